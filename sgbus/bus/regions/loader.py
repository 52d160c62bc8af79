"""Read policy maps: the shipped ones by name, operator files by path."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from sgbus.bus.regions.model import PolicyMap
from sgbus.bus.yamldoc import YamlDoc, load_yaml, parse_yaml, validate_mapping

#: Policy maps shipped with the package.
SHIPPED_MAPS = ("shandong",)


def _validate(doc: YamlDoc) -> PolicyMap:
    return validate_mapping(doc, PolicyMap, "policy map")


def parse_policy_map(text: str, source: str = "<policy map>") -> PolicyMap:
    """Validate policy-map YAML given as text."""
    return _validate(parse_yaml(text, source))


def load_policy_map_file(path: Path | str) -> PolicyMap:
    """Read and validate an operator's policy-map file."""
    return _validate(load_yaml(Path(path)))


@cache
def shipped_map(name: str) -> PolicyMap:
    """One of :data:`SHIPPED_MAPS`."""
    if name not in SHIPPED_MAPS:
        raise LookupError(f"no shipped policy map {name!r}; shipped: {', '.join(SHIPPED_MAPS)}")
    text = (
        resources.files("sgbus.bus.regions")
        .joinpath("maps", f"{name}.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_policy_map(text, f"policy map {name}")


def is_map_file(path: Path) -> bool:
    """Whether a YAML file is a policy map rather than a policy: it has a top-level
    ``regions`` or ``default`` key and no ``rules``. Unreadable files are not maps (the
    policy loader reports them)."""
    try:
        data = load_yaml(path).data
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict) and "rules" not in data and bool({"regions", "default"} & set(data))
    )
