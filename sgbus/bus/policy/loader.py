"""Load policies: shipped presets by name, operator files by path."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from sgbus.bus.policy.model import Policy
from sgbus.bus.yamldoc import (
    YamlDoc,
    load_yaml,
    parse_yaml,
    validate_mapping,
)

PRESETS = ("weihai", "zichuan", "ankang", "anqiu", "yingkou")


class UnknownPolicy(LookupError):
    """Neither a preset name nor an existing file."""

    def __str__(self) -> str:
        return str(self.args[0])


def _validate(doc: YamlDoc) -> Policy:
    return validate_mapping(doc, Policy, "policy")


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Validate policy YAML given as text."""
    return _validate(parse_yaml(text, source))


def load_policy_file(path: Path | str) -> Policy:
    """Read and validate an operator policy file."""
    return _validate(load_yaml(Path(path)))


@cache
def load_preset(name: str) -> Policy:
    """One of the shipped presets; an unknown name raises :class:`UnknownPolicy`."""
    if name not in PRESETS:
        raise UnknownPolicy(f"unknown policy preset {name!r}; presets: {', '.join(PRESETS)}")
    text = (
        resources.files("sgbus.bus.policy")
        .joinpath("presets", f"{name}.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_policy(text, f"preset {name}")


def load_policy(name_or_path: str) -> Policy:
    """A preset by name, or else an operator file by path."""
    if name_or_path in PRESETS:
        return load_preset(name_or_path)
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_policy_file(path)
    raise UnknownPolicy(
        f"no policy {name_or_path!r}: give a preset ({', '.join(PRESETS)}) or a YAML file path"
    )
