"""YAML documents that remember where each value came from.

Operator files (calendar overrides, policies, catalogues) are hand-edited, so every error must name
the file and line at fault. PyYAML's node tree carries positions; this module turns it into plain
Python values plus an index from value path to line, and refuses duplicate keys, which PyYAML would
otherwise resolve silently by keeping the last one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

PathKey = tuple[str | int, ...]

# Scalars keep the YAML core-schema types except timestamps, which stay strings so that each
# loader can parse dates itself and report a bad one with its line instead of failing the file.
_TYPED_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("int", "bool", "float", "null"))
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


ModelT = TypeVar("ModelT", bound=BaseModel)


class SourceError(ValueError):
    """A problem in an operator file; the message starts with ``file:line:`` when it is known."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


@dataclass
class YamlDoc:
    """Plain data of one YAML document and the 1-based line of every value in it."""

    source: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of the value at ``path``, or of its nearest existing parent."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def error(self, path: Sequence[str | int], problem: str) -> SourceError:
        """A :class:`SourceError` located at ``path``, prefixed with the dotted path."""
        where = format_path(path)
        text = f"{where}: {problem}" if where else problem
        return SourceError(self.source, self.line_of(path), text)


def format_path(path: Sequence[str | int]) -> str:
    """``('rules', 2, 'flow')`` → ``rules[2].flow``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_yaml(text: str, source: str) -> YamlDoc:
    """Parse one YAML document; syntax errors and duplicate keys raise :class:`SourceError`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SourceError(source, line, f"not valid YAML: {exc.problem}") from None
    doc = YamlDoc(source=source, data=None)
    if node is not None:
        doc.data = _plain(node, (), doc)
    return doc


def load_yaml(path: Path) -> YamlDoc:
    """Read and parse ``path``; an unreadable file raises :class:`SourceError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), None, f"cannot read file: {exc}") from None
    return parse_yaml(text, str(path))


def _plain(node: yaml.Node, path: PathKey, doc: YamlDoc) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        return _plain_mapping(node, path, doc)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), doc) for i, item in enumerate(node.value)]
    return _plain_scalar(node)


def _plain_mapping(node: yaml.MappingNode, path: PathKey, doc: YamlDoc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise SourceError(doc.source, line, "a mapping key must be a plain word")
        key = str(key_node.value)
        if key in first_line:
            raise SourceError(
                doc.source, line, f"key {key!r} repeated (first at line {first_line[key]})"
            )
        first_line[key] = line
        out[key] = _plain(value_node, (*path, key), doc)
        doc.lines[(*path, key)] = line
    return out


def _plain_scalar(node: yaml.Node) -> Any:
    if node.tag in _TYPED_TAGS:
        return _CONSTRUCTOR.construct_object(node)
    return str(node.value)


def validation_error(doc: YamlDoc, exc: ValidationError, what: str) -> SourceError:
    """Turn a pydantic error into one :class:`SourceError` listing every problem with its line.

    Input values are never echoed: operator files may carry names or contact details.
    """
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        line = doc.line_of(loc)
        where = f"line {line}: " if line is not None else ""
        problems.append(f"{where}{format_path(loc) or '(top level)'}: {err['msg']}")
    first = doc.line_of(tuple(exc.errors()[0]["loc"])) if exc.errors() else None
    body = f"invalid {what}:\n  " + "\n  ".join(problems)
    return SourceError(doc.source, first, body)


def validate_mapping(doc: YamlDoc, model: type[ModelT], what: str) -> ModelT:
    """``doc`` validated as ``model``; errors name the file, the line and the bad key."""
    if not isinstance(doc.data, dict):
        raise SourceError(doc.source, doc.line_of(()), f"a {what} file must be a YAML mapping")
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(doc, exc, what) from None
