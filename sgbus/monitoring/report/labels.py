"""What each flow's figures count, in the words of the seed documents.

A report row's "on time" is a push made on time on the ``approval-push`` row, a claim on the
``claim`` row, a reply on the ``consultation-reply`` row: each row says which. Flow names are
the console's (:data:`sgbus.console.labels.FLOW_LABELS`), kept beside the counted answer here so
the report does not import the web console.
"""

from __future__ import annotations

from typing import NamedTuple


class Counted(NamedTuple):
    """A flow's name and the answer its figures count."""

    name: str
    """The flow in Chinese: ``审批结果推送``."""
    answer_zh: str
    """The answer counted, as a verb: ``推送`` (so: 按时推送, 逾期推送)."""
    answer_en: str
    """The same as a plural noun: ``pushes``."""


FLOWS: dict[str, Counted] = {
    "approval-push": Counted("审批结果推送", "推送", "pushes"),
    "claim": Counted("审批结果认领", "认领", "claims"),
    "supervision-push": Counted("监管信息推送", "推送", "pushes"),
    "supervision-claim": Counted("监管信息认领", "认领", "claims"),
    "change-decision": Counted("许可变动决定", "作出决定", "decisions"),
    "verification-claim": Counted("核查任务认领", "认领", "claims"),
    "verification-result": Counted("核查结果报送", "报送", "results reported"),
    "joint-opinion": Counted("联合审查意见", "出具意见", "opinions"),
    "lead-opinion": Counted("牵头部门意见", "出具意见", "opinions"),
    "consultation-reply": Counted("函询答复", "答复", "replies"),
    "policy-notice": Counted("政策调整告知", "告知", "notices"),
    "transfer-decision": Counted("移送受理决定", "作出决定", "decisions"),
    "meeting-agenda": Counted("会商议题", "报送议题", "agendas"),
    "meeting-minutes": Counted("会议纪要", "印发纪要", "minutes"),
    "dispute-ruling": Counted("争议裁定", "裁定", "rulings"),
}


def counted(flow: str) -> Counted:
    """What ``flow``'s figures count; an unknown flow counts answers (办理)."""
    return FLOWS.get(flow) or Counted(flow, "办理", "answers")
