"""The report as one self-contained HTML file: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from html import escape

from sgbus.monitoring.report.charts import (
    FAIR,
    GOOD,
    POOR,
    daily_columns,
    rate_bars,
    rate_colour,
)
from sgbus.monitoring.report.model import Line, Report
from sgbus.monitoring.report.workhours import CHINA_TZ

COLUMNS = (
    ("收到", "Received"),
    ("按时认领", "Claimed on time"),
    ("逾期认领", "Claimed late"),
    ("自动认领", "Auto-claimed"),
    ("未办结", "Still open"),
    ("违规", "Breaches"),
    ("认领用时中位数", "Median claim time (working h)"),
    ("按时率", "On-time rate"),
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
tr.party td{background:#f5f7fa;font-weight:600;border-top:2px solid #cfd8dc}
tr.grand td{font-weight:700;border-top:2px solid #90a4ae}
.rate{display:inline-block;min-width:56px;padding:1px 6px;border-radius:3px;color:#fff}
.notes{font-size:12px;color:#616161;line-height:1.6}
"""


def render_html(report: Report, source: str) -> str:
    """The full HTML document; ``source`` names the data source (never a password)."""
    r = report
    generated = r.generated_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    rates = [(p.party, p.on_time_rate) for p in r.party_totals]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>审管联动推送认领情况通报 {r.start} – {r.end}</title><style>{_CSS}</style></head>
<body>
<h1>审管联动推送认领情况通报 <small>Status report of pushes and claims</small></h1>
<p class="meta">统计期间 Period: {r.start} – {r.end} (Asia/Shanghai, by date opened) ·
生成时间 Generated: {generated} · 数据来源 Source: {escape(source)}</p>
{_tiles(r.total)}
<h2>图表 Charts</h2>
<div class="charts">
<div class="chart"><h3>各部门按时率 On-time rate per department</h3>{rate_bars(rates)}
<p class="legend"><i style="background:{GOOD}"></i>≥ 95%<i style="background:{FAIR}"></i>≥ 80%
<i style="background:{POOR}"></i>&lt; 80%</p></div>
<div class="chart"><h3>每日收到事项 Items received per day (grey: weekend)</h3>
{daily_columns(r.daily)}</div>
</div>
<h2>分部门分流程 By party and flow</h2>
{_table(r)}
{_NOTES}
</body></html>
"""


def _tiles(t: Line) -> str:
    rate = "n/a" if t.on_time_rate is None else f"{t.on_time_rate:.1%}"
    tiles = (
        (t.received, "收到 Received"),
        (t.on_time, "按时认领 Claimed on time"),
        (rate, "按时率 On-time rate"),
        (t.auto_claimed, "自动认领 Auto-claimed"),
        (t.breaches, "违规 Breaches"),
        (t.still_open, "未办结 Still open"),
        (_hours(t.median_claim_hours), "认领用时中位数 Median claim (working h)"),
    )
    cells = "".join(f'<div class="tile"><b>{v}</b><span>{label}</span></div>' for v, label in tiles)
    return f'<div class="tiles">{cells}</div>'


def _table(r: Report) -> str:
    head = "".join(f"<th>{zh}<small>{en}</small></th>" for zh, en in COLUMNS)
    rows = []
    for total in r.party_totals:
        rows.append(_row(total, f"{total.party} 合计 total", "party"))
        rows += [_row(line, line.flow, "") for line in r.lines if line.party == total.party]
    rows.append(_row(r.total, "全部 All parties", "grand"))
    return (
        f'<table><thead><tr><th class="name">部门 / 流程<small>Party / flow</small></th>{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _row(line: Line, name: str, cls: str) -> str:
    rate = line.on_time_rate
    badge = (
        f'<span class="rate" style="background:{rate_colour(rate)}">'
        f"{'n/a' if rate is None else f'{rate:.1%}'}</span>"
    )
    cells = (
        line.received,
        line.on_time,
        line.late,
        line.auto_claimed,
        line.still_open,
        line.breaches,
        _hours(line.median_claim_hours),
    )
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f'<tr class="{cls}"><td class="name">{escape(name)}</td>{tds}<td>{badge}</td></tr>'


def _hours(h: float | None) -> str:
    return "–" if h is None else f"{h:.1f}"


_NOTES = """<h2>说明 Notes</h2><div class="notes">
<p>Counts are of obligations opened in the period, as the watchdog recorded them; a party is
the one that owed the answer. <b>Claimed on time</b>: answered before the deadline.
<b>Claimed late</b>: answered after it (counted in breaches too). <b>Auto-claimed</b>: the
system claimed at the deadline (安丘 第十八条) or silence counted as consent (第二十三条).
<b>Breaches</b>: deadline missed under a breach-report or escalation rule.
<b>Still open</b>: not answered and not yet due. On-time rate = on time ÷ (on time +
auto-claimed + breaches). Claim time counts only hours on working days (24 per working day).</p>
</div>"""
