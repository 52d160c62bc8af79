"""The command reference: every ``sgbus`` command, its arguments and options."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from sgbus.docsgen.markdown import code, page, prose, table

Command = TyperCommand | TyperGroup
Parameter = TyperOption | TyperArgument


def root_command() -> TyperGroup:
    """The ``sgbus`` command tree, with every command module loaded."""
    from sgbus.cli import _register, app

    _register()
    command = typer.main.get_command(app)
    if not isinstance(command, TyperGroup):
        raise TypeError("the sgbus app is not a command group")
    return command


def walk(group: TyperGroup, prefix: str) -> Iterator[tuple[str, Command]]:
    """Every command below ``group``, depth first, sorted by name."""
    for name in sorted(group.commands):
        command = group.commands[name]
        if not isinstance(command, TyperCommand | TyperGroup) or command.hidden:
            continue
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, TyperGroup):
            yield from walk(command, path)


def _default(param: Parameter) -> str:
    value = param.default
    if value is None or callable(value) or param.show_default is False:
        return ""
    if isinstance(param, TyperOption) and param.is_flag and not value:
        return ""
    text = str(list(value) if isinstance(value, tuple) else value)
    home = str(Path.home())
    return "~" + text[len(home) :] if text.startswith(home) else text


def _param_row(param: Parameter) -> list[str]:
    if isinstance(param, TyperOption):
        names = ", ".join(param.opts + param.secondary_opts)
        help_text = param.help or ""
    else:
        names = (param.name or "").upper()
        help_text = getattr(param, "help", None) or ""
    envvar = param.envvar if isinstance(param.envvar, str) else ""
    if envvar:
        help_text = f"{help_text} (env `{envvar}`)".strip()
    return [code(names), prose(help_text) or "—", code(_default(param))]


def usage(path: str, params: list[Parameter]) -> str:
    """``sgbus x [OPTIONS] ARG...``: options first, then the arguments in order."""
    pieces = [path]
    if any(isinstance(p, TyperOption) for p in params):
        pieces.append("[OPTIONS]")
    for param in params:
        if isinstance(param, TyperArgument):
            name = (param.name or "").upper() + ("..." if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
    return " ".join(pieces)


def command_section(path: str, command: Command) -> str:
    """One command: its help, usage and parameters."""
    level = "#" * min(2 + path.count(" ") - 1, 4)
    text = (command.help or "").strip()
    out = f"{level} `{path}`\n\n"
    if text:
        out += prose(text.replace("\b\n", "")) + "\n\n"
    if isinstance(command, TyperGroup):
        return out
    params = [
        p
        for p in command.params
        if isinstance(p, TyperOption | TyperArgument) and not getattr(p, "hidden", False)
    ]
    out += f"Usage: `{usage(path, params)}`\n\n"
    if params:
        out += table(["argument / option", "what", "default"], map(_param_row, params))
    return out


INTRO = """
Every command checks its inputs before it does anything and reports a problem as one line on
stderr with exit status 2. `sgbus COMMAND --help` prints the same text as this page. Settings
common to all commands are environment variables: see [Settings](settings.md).
"""


def cli_page() -> str:
    """The whole command reference page."""
    root = root_command()
    return page("Commands", INTRO, [command_section(p, c) for p, c in walk(root, "sgbus")])
