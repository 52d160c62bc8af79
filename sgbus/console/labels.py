"""Chinese labels of event types, fields and enum symbols, read from the contracts' own docs.

Every record and field description of the Avro contracts starts with its Chinese name
(``审批结果 — A licence decision …``), so the console never keeps a second, drifting list.
"""

from __future__ import annotations

from enum import Enum
from functools import cache

from pydantic import BaseModel

from sgbus.bus.events import EVENT_CLASSES

_SEP = " — "


def _head(doc: str | None, fallback: str) -> str:
    if not doc or _SEP not in doc:
        return fallback
    return doc.split(_SEP, 1)[0].strip()


@cache
def event_label(event_type: str) -> str:
    """``审批结果`` for ``ApprovalResult``; the type itself when it has no Chinese name."""
    cls = EVENT_CLASSES.get(event_type)
    return _head(cls.__doc__ if cls else None, event_type)


def field_label(model: type[BaseModel], name: str) -> str:
    """The Chinese label of a field of ``model``, else the field name."""
    info = model.model_fields.get(name)
    return _head(info.description if info else None, name)


@cache
def symbol_labels(enum: type[Enum]) -> dict[str, str]:
    """``{"MANUAL": "人工认领", …}`` from an enum's doc (``Symbols: MANUAL=人工认领 (…); …``)."""
    doc = enum.__doc__ or ""
    if "Symbols:" not in doc:
        return {}
    out: dict[str, str] = {}
    for part in doc.split("Symbols:", 1)[1].split(";"):
        name, _, rest = part.strip().partition("=")
        if rest:
            out[name.strip()] = rest.split("(", 1)[0].strip().rstrip(".")
    return out


#: Flows, roles and expiry actions of the policies, in the words of the seed documents.
FLOW_LABELS = {
    "approval-push": "审批结果推送",
    "claim": "审批结果认领",
    "supervision-push": "监管信息推送",
    "supervision-claim": "监管信息认领",
    "change-decision": "许可变动决定",
    "verification-claim": "核查任务认领",
    "verification-result": "核查结果报送",
    "joint-opinion": "联合审查意见",
    "lead-opinion": "牵头部门意见",
    "consultation-reply": "函询答复",
    "policy-notice": "政策调整告知",
    "transfer-decision": "移送受理决定",
    "meeting-agenda": "会商议题",
    "meeting-minutes": "会议纪要",
}
ROLE_LABELS = {
    "sender": "发送方",
    "recipient": "接收方",
    "approval": "行政审批服务局",
    "department": "监管部门",
    "oversight": "监督机构",
}
EXPIRY_LABELS = {
    "auto-claim": "系统自动认领",
    "deemed-consent": "视为同意",
    "breach-report": "记录违约并通报",
    "escalate": "上报处理",
}


def flow_label(flow: str) -> str:
    """A flow id in Chinese (the id itself when unknown)."""
    return FLOW_LABELS.get(flow, flow)
