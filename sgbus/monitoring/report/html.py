"""The report as one self-contained HTML file: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from html import escape

from sgbus.monitoring.report.actions import ActionCounts
from sgbus.monitoring.report.charts import (
    FAIR,
    GOOD,
    POOR,
    daily_columns,
    rate_bars,
    rate_colour,
)
from sgbus.monitoring.report.labels import counted
from sgbus.monitoring.report.model import Line, Report
from sgbus.monitoring.report.workhours import CHINA_TZ

COLUMNS = (
    ("收到", "Received"),
    ("按时", "On time"),
    ("逾期", "Late"),
    ("自动认领/视为同意", "Auto-claimed / deemed consent"),
    ("未到期", "Still open"),
    ("争议中", "Disputed"),
    ("已转办", "Transferred"),
    ("违规", "Breaches"),
    ("用时中位数", "Median time (working h)"),
    ("按时率", "On-time rate"),
)
NAMED_COLUMNS = (
    ("按时率", "On-time rate"),
    ("已办结", "Closed"),
    ("按时", "On time"),
    ("违规", "Breaches"),
    ("被督办", "Urged"),
)
ACTION_COLUMNS = (
    ("被督办", "Urged"),
    ("提出争议", "Disputes raised"),
    ("转出", "Transferred out"),
    ("转入", "Transferred in"),
)

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei",
"PingFang SC",system-ui,sans-serif;color:#212121;margin:32px auto;max-width:1280px;padding:0 24px}
h1{font-size:26px;margin:0 0 4px}h1 small{font-size:16px;color:#616161;font-weight:normal}
h2{font-size:18px;margin:28px 0 10px;border-bottom:2px solid #1565c0;padding-bottom:4px}
.meta{color:#616161;font-size:13px;margin:0 0 18px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{flex:1 1 140px;border:1px solid #e0e0e0;border-radius:6px;padding:10px 14px;
background:#fafafa}
.tile b{display:block;font-size:24px}.tile span{font-size:12px;color:#616161}
.charts{display:flex;gap:32px;flex-wrap:wrap}.chart{flex:1 1 480px;min-width:0}
.legend{font-size:12px;color:#616161;margin:4px 0 0}.legend i{display:inline-block;width:10px;
height:10px;margin:0 4px 0 10px;border-radius:2px}
.chart h3{font-size:14px;margin:0 0 6px;color:#424242}
svg .label{font-size:13px;fill:#212121}svg .value{font-size:12px;fill:#424242}
svg .tick{font-size:11px;fill:#757575}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e0e0e0;padding:6px 8px;text-align:right;white-space:nowrap}
th{background:#eceff1;font-weight:600;vertical-align:bottom}
th small{display:block;font-weight:normal;color:#616161}
td.name,th.name{text-align:left}
td.name small{display:block;font-weight:normal;color:#757575;font-size:11px}
tr.party td{background:#f5f7fa;font-weight:600;border-top:2px solid #cfd8dc}
tr.grand td{font-weight:700;border-top:2px solid #90a4ae}
.rate{display:inline-block;min-width:56px;padding:1px 6px;border-radius:3px;color:#fff}
.notes{font-size:12px;color:#616161;line-height:1.6}
"""


def render_html(report: Report, source: str) -> str:
    """The full HTML document; ``source`` names the data source (never a password)."""
    r = report
    generated = r.generated_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    rates = [(r.name_of(p.party), p.on_time_rate) for p in r.party_totals]
    title = f"审管联动办理情况通报({r.period})"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)} <small>Status report</small></h1>
<p class="meta">统计期间 Period: {r.start} 00:00 – {r.end} 24:00 (Asia/Shanghai, by date opened;
actions by date taken) · 生成时间 Generated: {generated} · 数据来源 Source: {escape(source)}</p>
{_tiles(r.total)}
<h2>一、点名通报 Named: on-time rate under {r.name_below:.0%}</h2>
{_named(r)}
<h2>二、图表 Charts</h2>
<div class="charts">
<div class="chart"><h3>各部门按时率 On-time rate per department</h3>{rate_bars(rates)}
<p class="legend"><i style="background:{GOOD}"></i>≥ 95%<i style="background:{FAIR}"></i>≥ 80%
<i style="background:{POOR}"></i>&lt; 80%</p></div>
<div class="chart"><h3>每日收到事项 Items received per day (grey: weekend)</h3>
{daily_columns(r.daily)}</div>
</div>
<h2>三、分部门分流程 By party and flow</h2>
{_table(r)}
<h2>四、督办、争议、转办 Urgings, disputes and transfers</h2>
{_actions(r)}
{_NOTES}
</body></html>
"""


def _tiles(t: Line) -> str:
    rate = "n/a" if t.on_time_rate is None else f"{t.on_time_rate:.1%}"
    tiles = (
        (t.received, "收到 Received"),
        (t.on_time, "按时办理 On time"),
        (rate, "按时率 On-time rate"),
        (t.auto_claimed, "自动认领/视为同意 Auto-resolved"),
        (t.breaches, "违规 Breaches"),
        (t.still_open, "未到期 Still open"),
        (t.disputed, "争议中 Disputed"),
        (t.transferred, "已转办 Transferred"),
        (_hours(t.median_claim_hours), "用时中位数 Median time (working h)"),
    )
    cells = "".join(f'<div class="tile"><b>{v}</b><span>{label}</span></div>' for v, label in tiles)
    return f'<div class="tiles">{cells}</div>'


def _named(r: Report) -> str:
    """The parties under the threshold, lowest rate first (点名通报)."""
    if not r.named:
        return f"<p>本期没有按时率低于 {r.name_below:.0%} 的单位。 No party is under it.</p>"
    head = "".join(f"<th>{zh}<small>{en}</small></th>" for zh, en in NAMED_COLUMNS)
    rows = "".join(
        f'<tr><td class="name">{_party_cell(r, t.party)}</td><td>{_badge(t.on_time_rate)}</td>'
        f"<td>{t.closed}</td><td>{t.on_time}</td><td>{t.breaches}</td>"
        f"<td>{r.actions_of(t.party).urged}</td></tr>"
        for t in r.named
    )
    return (
        f'<table><thead><tr><th class="name">单位<small>Party</small></th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _table(r: Report) -> str:
    head = "".join(f"<th>{zh}<small>{en}</small></th>" for zh, en in COLUMNS)
    rows = []
    for total in r.party_totals:
        name = f"{escape(r.name_of(total.party))} 合计<small>{escape(total.party)} · total</small>"
        rows.append(_row(total, name, "party"))
        rows += [
            _row(line, _flow_cell(line.flow), "") for line in r.lines if line.party == total.party
        ]
    rows.append(_row(r.total, "全部单位 All parties", "grand"))
    return (
        f'<table><thead><tr><th class="name">单位 / 流程<small>Party / flow</small></th>{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _actions(r: Report) -> str:
    """Urgings, disputes and transfers per party, taken in the period."""
    if not r.actions:
        return "<p>本期没有督办、争议或转办。 No urgings, disputes or transfers.</p>"
    head = "".join(f"<th>{zh}<small>{en}</small></th>" for zh, en in ACTION_COLUMNS)
    rows = [
        f'<tr><td class="name">{_party_cell(r, a.party)}</td>{_action_cells(a)}</tr>'
        for a in r.actions
    ]
    total = f'<tr class="grand"><td class="name">合计 All</td>{_action_cells(r.action_total)}</tr>'
    return (
        f'<table><thead><tr><th class="name">单位<small>Party</small></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}{total}</tbody></table>"
    )


def _action_cells(a: ActionCounts) -> str:
    counts = (a.urged, a.disputed, a.transferred_out, a.transferred_in)
    return "".join(f"<td>{n}</td>" for n in counts)


def _party_cell(r: Report, party: str) -> str:
    return f"{escape(r.name_of(party))}<small>{escape(party)}</small>"


def _flow_cell(flow: str) -> str:
    c = counted(flow)
    return (
        f"{escape(c.name)}<small>{escape(flow)} · 计{escape(c.answer_zh)}"
        f" counts {escape(c.answer_en)}</small>"
    )


def _row(line: Line, name_html: str, cls: str) -> str:
    cells = (
        line.received,
        line.on_time,
        line.late,
        line.auto_claimed,
        line.still_open,
        line.disputed,
        line.transferred,
        line.breaches,
        _hours(line.median_claim_hours),
    )
    tds = "".join(f"<td>{c}</td>" for c in cells)
    badge = _badge(line.on_time_rate)
    return f'<tr class="{cls}"><td class="name">{name_html}</td>{tds}<td>{badge}</td></tr>'


def _badge(rate: float | None) -> str:
    text = "n/a" if rate is None else f"{rate:.1%}"
    return f'<span class="rate" style="background:{rate_colour(rate)}">{text}</span>'


def _hours(h: float | None) -> str:
    return "–" if h is None else f"{h:.1f}"


_NOTES = """<h2>说明 Notes</h2><div class="notes">
<p>Counts are of obligations opened in the period, as the watchdog recorded them; a party is
the one that owed the answer. What a row counts as an answer depends on its flow, as the row
says: a push for 审批结果推送 (approval-push), a claim for 审批结果认领 (claim), a reply for
函询答复. <b>On time</b>: answered before the deadline. <b>Late</b>: answered after it
(counted in breaches too). <b>Auto-claimed / deemed consent</b>: the system claimed at the
deadline (安丘 第十八条) or silence counted as consent (第二十三条). <b>Disputed</b>: the party
disputes the item (争议); its clock is stopped until the oversight office rules.
<b>Transferred</b>: passed on in time to another department (转办), not a breach; the receiver's
own obligation is counted for the receiver. <b>Breaches</b>: deadline missed under a
breach-report or escalation rule. <b>Still open</b>: not answered and not yet due. On-time rate
= on time ÷ (on time + auto-claimed + breaches); parties under the threshold are named in
section 一. Time to answer counts only hours on working days (24 per working day). Urgings,
disputes and transfers are counted in the period they were made, once per item and party.</p>
</div>"""
