"""Plotly figures for the page, and how a figure is embedded without breaking out of its tag.

A figure is embedded as JSON in ``<script type="application/json" data-figure=ID>`` next to an
empty ``<div id=ID>``; the page's script draws it. Every ``<`` and ``>`` in the JSON is written as
``\\u003c`` / ``\\u003e``, so a label such as ``</script>`` cannot end the tag. Text that plotly
renders (axis labels, bar text, hover) is HTML-escaped first: plotly reads ``&lt;`` back as ``<``
and shows it as text instead of interpreting tags.
"""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.graph_objects as go

from planner.report.html_bridge import Bridge
from planner.report.html_values import esc, fmt_amount, fmt_signed_money, fmt_times
from planner.report.units import money_scale

FONT = ("Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, "
        "WenQuanYi Micro Hei, Arial, sans-serif")
GOOD, BAD, TOTAL, BASE = "#059669", "#dc2626", "#1e3a8a", "#64748b"


def ptext(text: object) -> str:
    """Text for plotly to display literally (it interprets a few HTML tags, and decodes entities)."""
    return html.escape("" if text is None else str(text), quote=False)


def base_layout(**kw: Any) -> dict[str, Any]:
    layout: dict[str, Any] = dict(template="plotly_white", font=dict(family=FONT, size=13, color="#0f172a"),
                                  margin=dict(l=60, r=20, t=30, b=60), hoverlabel=dict(font=dict(family=FONT)),
                                  separators=".,")
    layout.update(kw)
    return layout


def figure_html(div_id: str, fig: go.Figure, height: int = 400) -> str:
    """The div and the escaped JSON that the page's script turns into the chart."""
    fig.update_layout(height=height)
    payload = json.loads(fig.to_json())  # plotly's encoder: numpy arrays, dates, NaN → null
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (f'<div class="chart" id="{esc(div_id)}" style="height:{height}px"></div>\n'
            f'<script type="application/json" data-figure="{esc(div_id)}">{text}</script>')


def display_scale(*values: float | None) -> tuple[float, str]:
    """Divisor and unit word for an axis that holds these amounts: (1e8, '亿'), (1e4, '万') or (1, '')."""
    biggest = max((abs(v) for v in values if v is not None), default=0.0)
    return money_scale(biggest)


def bridge_figure(bridge: Bridge, unit: str | None, target_name: str) -> go.Figure:
    """Waterfall: last year → one bar per driver (largest first) → this year's plan."""
    scale, word = display_scale(bridge.baseline, bridge.planned)
    parts = [c for c in bridge.parts if c.value != 0.0]
    names = ["去年 last year"] + [c.name for c in parts] + ["今年计划 plan"]
    values = [bridge.baseline] + [c.value for c in parts] + [bridge.planned]
    texts = [fmt_amount(bridge.baseline, unit)] + [fmt_signed_money(c.value, unit) for c in parts] + \
        [fmt_amount(bridge.planned, unit)]
    hover = [f"{ptext(target_name)} 去年 last year: {fmt_amount(bridge.baseline, unit)}"]
    for c in parts:
        kind = "杠杆 lever" if c.kind == "lever" else "假设 assumption"
        share = c.value / bridge.total if bridge.total else 0.0
        up = fmt_times(c.uplift_low) if c.uplift_low == c.uplift_high else \
            f"{fmt_times(c.uplift_low)}–{fmt_times(c.uplift_high)}"
        hover.append(f"<b>{ptext(c.name)}</b> ({kind}{' · ' + ptext(c.owner) if c.owner else ''})<br>"
                     f"贡献 contribution: {fmt_signed_money(c.value, unit)} ({share:.1%})<br>uplift {up}")
    hover.append(f"{ptext(target_name)} 今年计划 plan: {fmt_amount(bridge.planned, unit)}")
    fig = go.Figure(go.Waterfall(
        x=[ptext(n) for n in names], y=[v / scale for v in values],
        measure=["absolute"] + ["relative"] * len(parts) + ["total"],
        text=texts, textposition="outside", customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        connector=dict(line=dict(color="#cbd5e1", width=1)),
        increasing=dict(marker=dict(color=GOOD)), decreasing=dict(marker=dict(color=BAD)),
        totals=dict(marker=dict(color=TOTAL))))
    fig.update_layout(**base_layout(showlegend=False, yaxis=dict(title=f"{word}{unit or ''}", tickformat=",.0f"),
                                    meta=dict(scale=scale, unit=word, method=bridge.method)))
    running, seen = bridge.baseline, [0.0, bridge.baseline, bridge.planned]
    for c in parts:
        running += c.value
        seen.append(running)
    lo, hi = min(seen) / scale, max(seen) / scale
    pad = 0.12 * (hi - lo or 1.0)
    fig.update_yaxes(range=[lo - pad if lo < 0 else 0, hi + pad])
    return fig
