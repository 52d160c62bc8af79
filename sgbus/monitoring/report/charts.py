"""Inline SVG charts for the HTML report: no JavaScript, no external files, no plotting library."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

GOOD, FAIR, POOR, NONE = "#2e7d32", "#ef6c00", "#c62828", "#9e9e9e"


def rate_colour(rate: float | None) -> str:
    """Green from 95 %, orange from 80 %, red below; grey when there is no rate."""
    if rate is None:
        return NONE
    return GOOD if rate >= 0.95 else FAIR if rate >= 0.8 else POOR


def rate_bars(items: Sequence[tuple[str, float | None]], width: int = 640) -> str:
    """Horizontal bars of a rate in [0, 1] per label, with the percentage written at the end."""
    label_w, row_h, top = 200, 30, 24
    bar_w = width - label_w - 70
    height = top + row_h * max(1, len(items)) + 10
    parts = [_svg_open(width, height, "On-time rate per department")]
    for pct in (0, 25, 50, 75, 100):
        x = label_w + bar_w * pct / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 10}" stroke="#e0e0e0"/>'
            f'<text x="{x:.1f}" y="{top - 10}" class="tick" text-anchor="middle">{pct}%</text>'
        )
    for i, (label, rate) in enumerate(items):
        y = top + i * row_h
        w = bar_w * (rate or 0.0)
        text = "n/a" if rate is None else f"{rate:.1%}"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" class="label">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="{rate_colour(rate)}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 19}" class="value">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def daily_columns(days: Sequence[tuple[date, int]], width: int = 640, height: int = 220) -> str:
    """Columns of items received per day, with a readable number of date ticks."""
    left, bottom, top = 40, 30, 14
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max((n for _, n in days), default=0)
    scale_max = _nice_ceiling(peak)
    parts = [_svg_open(width, height, "Items received per day")]
    for k in range(5):
        v = scale_max * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{v:g}</text>'
        )
    slot = plot_w / max(1, len(days))
    every = max(1, math.ceil(len(days) / 12))
    for i, (day, n) in enumerate(days):
        h = plot_h * n / scale_max if scale_max else 0
        x = left + i * slot
        fill = "#90a4ae" if day.weekday() >= 5 else "#1565c0"
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{fill}">'
            f"<title>{day.isoformat()}: {n}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'class="tick">{day.month}-{day.day:02d}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _nice_ceiling(value: int) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that is ≥ value (at least 4, for four gridlines)."""
    if value <= 4:
        return 4
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
