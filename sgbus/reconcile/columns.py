"""The register's columns: the Chinese labels of the contract docs, the brief names clerks use,
and English aliases. Labels are read from the Avro docs, as the console reads them."""

from __future__ import annotations

from functools import cache

from sgbus.bus.events import ApprovalResult, Envelope, Licensee, Matter
from sgbus.console.labels import field_label

REQUIRED = ("document_number", "decision_date")
OPTIONAL = ("region", "matter_code", "matter_name", "licensee_name", "credit_code")
COLUMNS = REQUIRED + OPTIONAL

# Short names clerks write beside the contract labels, and English aliases.
_EXTRA: dict[str, tuple[str, ...]] = {
    "document_number": ("许可决定文书号", "决定文书号", "文书号", "document_number"),
    "decision_date": ("决定日期", "decision_date"),
    "region": ("区划", "区划代码", "region"),
    "matter_code": ("matter_code",),
    "matter_name": ("许可事项名称", "matter_name", "matter"),
    "licensee_name": ("licensee_name", "licensee"),
    "credit_code": ("credit_code", "uscc"),
}


@cache
def contract_labels() -> dict[str, str]:
    """Column → its label in the contract docs (``行政许可决定文书号`` …)."""
    return {
        "document_number": field_label(ApprovalResult, "document_number"),
        "decision_date": field_label(ApprovalResult, "decision_date"),
        "region": field_label(Envelope, "region"),
        "matter_code": field_label(Matter, "code"),
        "matter_name": field_label(Matter, "name"),
        "licensee_name": field_label(Licensee, "name"),
        "credit_code": field_label(Licensee, "uscc"),
    }


def _norm(header: str) -> str:
    return "".join(header.split()).lower().replace("-", "_")


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for column, label in contract_labels().items():
        for name in (label, *_EXTRA[column]):
            out[_norm(name)] = column
    return out


def column_of(header: object) -> str | None:
    """The register column a header names, or None for a column reconciliation ignores."""
    if header is None:
        return None
    return _aliases().get(_norm(str(header)))


def header_help() -> str:
    """The accepted headers, for an error message."""
    labels = contract_labels()
    return ", ".join(f"{labels[c]} / {c}" for c in COLUMNS)
