"""Bar charts drawn as SVG on the server: no script library, nothing to build, fast to load.

`series` rows are {"bucket": date, name: amount, ...} in minor units; the chart groups one
bar per name per bucket and labels the axis in whole currency units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from federa.statistics.domain.periods import Grain

COLOURS = {"invoiced": "#2563eb", "notified": "#f59e0b", "paid": "#10b981"}
LABELS = {"invoiced": "Invoiced", "notified": "Notified", "paid": "Paid"}
WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 44


def nice_step(top: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) so that `ticks` steps cover `top`."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power) or 1
    return int(10 * power)


def bucket_label(day: date, grain: Grain) -> str:
    if grain is Grain.MONTH:
        return day.strftime("%b %y")
    if grain is Grain.WEEK:
        return f"W{day.isocalendar().week:02d}"
    return day.strftime("%d %b")


def _units(minor: int) -> str:
    whole = minor // 100
    if abs(whole) >= 1_000_000:
        return f"{whole / 1_000_000:,.1f}M"
    if abs(whole) >= 10_000:
        return f"{whole / 1000:,.0f}k"
    return f"{whole:,}"


def bar_chart(
    series: Sequence[dict[str, Any]], grain: Grain, names: Sequence[str], currency: str = ""
) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([int(row[n]) for row in series for n in names] + [0])
    step = nice_step(top)
    ceiling = max(step * math.ceil(top / step), step)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" data-grain="{grain.value}"'
        f' aria-label="{escape(", ".join(LABELS[n] for n in names))} per {grain.value}">'
    ]
    for i in range(0, ceiling + 1, step):
        y = TOP + plot_h - plot_h * i / ceiling
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{_units(i)}</text>"
        )
    slot = plot_w / max(len(series), 1)
    bar = max(min(slot * 0.8 / len(names), 28), 1.0)
    every = max(1, math.ceil(len(series) / 16))
    for index, row in enumerate(series):
        x0 = LEFT + slot * index + (slot - bar * len(names)) / 2
        bucket = row["bucket"]
        for k, name in enumerate(names):
            value = int(row[name])
            h = plot_h * value / ceiling
            parts.append(
                f'<rect x="{x0 + k * bar:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[name]}" rx="2" data-series="{name}" '
                f'data-bucket="{bucket}" data-value="{value}"><title>{LABELS[name]} '
                f"{bucket_label(bucket, grain)}: {value / 100:,.2f} {escape(currency)}"
                "</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{LEFT + slot * index + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'class="tick" text-anchor="middle">{bucket_label(bucket, grain)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
