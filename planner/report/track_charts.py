"""Tracking charts (matplotlib, Agg): cumulative actual vs plan per team, and the gap's waterfall."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from planner.report.charts import save_figure, use_cjk_font  # noqa: E402
from planner.report.units import format_money, money_scale  # noqa: E402


def cumulative_chart(rows: list[dict[str, Any]], path: str | Path, unit: str | None = "元") -> None:
    """One panel per team (the total first): cumulative actual (solid) against plan (dashed)."""
    use_cjk_font()
    teams = list(dict.fromkeys(str(r["team"]) for r in rows))
    scale, word = money_scale(max((abs(r["cumulative_target"]) for r in rows), default=1.0))
    fig, axes = plt.subplots(1, len(teams), figsize=(3.6 * len(teams), 3.4), squeeze=False, sharey=False)
    for ax, team in zip(axes[0], teams, strict=True):
        mine = [r for r in rows if str(r["team"]) == team]
        x = [r["period"][-2:] for r in mine]
        ax.plot(x, [r["cumulative_target"] / scale for r in mine], "--", color="#7f7f7f", label="计划 plan")
        ax.plot(x, [r["cumulative_actual"] / scale for r in mine], "-o", color="#1f77b4", ms=3, label="实际 actual")
        last = mine[-1]
        rate = last["cumulative_actual"] / last["cumulative_target"] if last["cumulative_target"] else float("nan")
        ax.set_title(f"{team}  {rate:.0%}", fontsize=10)
        ax.set_xlabel("月 month")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"累计 cumulative ({word}{unit or ''})")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def waterfall_chart(parts: list[tuple[str, float]], gap: float, path: str | Path, unit: str | None = "元") -> None:
    """Bars from zero to the gap, one per driver (green up, red down), the gap as the last bar."""
    use_cjk_font()
    scale, word = money_scale(max([abs(gap), *(abs(v) for _, v in parts)] or [1.0]))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.0 * len(parts) + 2), 3.8))
    start = 0.0
    for i, (_, v) in enumerate(parts):
        ax.bar(i, v / scale, bottom=start / scale, color="#2ca02c" if v >= 0 else "#d62728")
        ax.text(i, (start + max(v, 0)) / scale, format_money(v, unit), ha="center", va="bottom", fontsize=7)
        start += v
    ax.bar(len(parts), gap / scale, color="#1f4e78")
    ax.text(len(parts), max(gap, 0) / scale, format_money(gap, unit), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(parts) + 1), [n for n, _ in parts] + ["差距 gap"], rotation=30, ha="right", fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel(f"{word}{unit or ''}")
    ax.set_title("差距归因 attribution of the gap", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def write_charts(report: dict[str, Any], directory: str | Path) -> list[Path]:
    """Both charts from a tracking JSON dict into ``directory``; returns the files written."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    unit = report.get("unit")
    a = report["attribution"]
    files = [d / "cumulative.png", d / "attribution.png"]
    cumulative_chart(report["completion"], files[0], unit)
    parts = [(c["driver"], c["value"]) for c in a["contributions"] if c["value"]]
    waterfall_chart(parts, a["gap"], files[1], unit)
    return files
