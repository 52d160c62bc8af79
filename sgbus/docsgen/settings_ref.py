"""The settings reference: every field of every ``BaseSettings`` class, with its variable."""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from sgbus.docsgen.markdown import code, page, prose, table


@dataclass(frozen=True)
class SettingsGroup:
    """One settings class and how the reference introduces it."""

    cls: type[BaseSettings]
    title: str
    used_by: str


def settings_groups() -> list[SettingsGroup]:
    """Every settings class of sgbus, in the order the page shows them."""
    from sgbus.bus.settings import Settings
    from sgbus.console.web.config import ConsoleSettings
    from sgbus.digest.settings import DigestSettings
    from sgbus.gateway.serve import GatewaySettings

    return [
        SettingsGroup(Settings, "Bus, stack and services", "every command and service"),
        SettingsGroup(ConsoleSettings, "Web console", "`sgbus console run`"),
        SettingsGroup(GatewaySettings, "HTTP gateway", "`sgbus gateway run`"),
        SettingsGroup(DigestSettings, "Notification digest", "`sgbus digest run|send`"),
    ]


def type_name(annotation: Any) -> str:
    """A short, stable spelling of a field's type (no module paths)."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    text = re.sub(r"\b(?:[a-z_]+\.)+([A-Za-z_]+)", r"\1", str(annotation))
    return text.replace(" | ", " or ")  # a pipe would end the table cell


def default_text(field: FieldInfo) -> str:
    """The default as written in a variable, with the home folder shown as ``~``."""
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None:
        return "unset"
    if isinstance(value, Path):
        home = str(Path.home())
        text = str(value)
        return "~" + text[len(home) :] if text.startswith(home) else text
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | dict) and not value:
        return "[]" if isinstance(value, list) else "{}"
    return str(value)


def constraints(field: FieldInfo) -> str:
    """Bounds and patterns pydantic enforces on the field, e.g. ``1 ≤ x ≤ 65535``."""
    parts = []
    symbols = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    for meta in field.metadata:
        for attr, symbol in symbols.items():
            bound = getattr(meta, attr, None)
            if bound is not None:
                parts.append(f"{symbol} {bound}")
        pattern = getattr(meta, "pattern", None)
        if pattern is not None:
            parts.append(f"matches `{pattern}`")
        min_length = getattr(meta, "min_length", None)
        if min_length is not None:
            parts.append(f"length ≥ {min_length}")
    return ", ".join(parts)


def env_prefix(cls: type[BaseSettings]) -> str:
    """The variable prefix of a settings class (``SGBUS_`` …)."""
    return str(cls.model_config.get("env_prefix", ""))


def group_section(group: SettingsGroup) -> str:
    """One class's table."""
    prefix = env_prefix(group.cls)
    rows = []
    for name, field in group.cls.model_fields.items():
        what = prose(field.description or "")
        limits = constraints(field)
        if limits:
            what = f"{what} ({limits})" if what else limits
        rows.append(
            [
                code(prefix + name.upper()),
                code(type_name(field.annotation)),
                code(default_text(field)),
                what or "—",
            ]
        )
    doc = (group.cls.__doc__ or "").strip().splitlines()[0]
    head = f"## {group.title}\n\n{doc} Read by {group.used_by}; prefix `{prefix}`.\n\n"
    return head + table(["variable", "type", "default", "what"], rows)


INTRO = """
Every setting is an environment variable. None is read from a file in the current folder: a
settings file is used only when `SGBUS_ENV_FILE` names it (one `SGBUS_NAME=value` per line), and a
variable set in the environment wins over the file. Lists and objects are JSON
(`SGBUS_CLAIM_ON_RECEIPT_PARTIES='["weihai-water"]'`). A bad value stops the command at once with
one line naming the variable. The descriptions below are the fields' own, from the code.
"""


def settings_page() -> str:
    """The whole settings reference page."""
    return page("Settings", INTRO, [group_section(g) for g in settings_groups()])
