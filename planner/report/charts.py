"""Static charts for what-if reports (matplotlib, Agg backend): tornado and frontier as PNG or SVG."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from planner.errors import InputError  # noqa: E402
from planner.files import write_with  # noqa: E402

_CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
        "Source Han Sans SC")


def use_cjk_font() -> None:
    """Use a CJK font when one is installed (labels are often Chinese); else matplotlib's default."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    picks = [f for f in _CJK if f in have]
    if picks:
        plt.rcParams["font.sans-serif"] = [*picks, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False


def save_figure(fig: Any, path: str | Path) -> None:
    """Write the figure atomically as PNG or SVG (by the file's suffix); the figure is always closed."""
    try:
        suffix = Path(path).suffix.lower()
        if suffix not in (".png", ".svg"):
            raise InputError(f"charts are .png or .svg (got {suffix or 'no suffix'})", file=str(path),
                             hint="name the chart file e.g. tornado.png or tornado.svg")
        write_with(path, lambda tmp: fig.savefig(tmp, format=suffix[1:], dpi=150, bbox_inches="tight"))
    finally:
        plt.close(fig)


def tornado_chart(rows: list[dict[str, Any]], path: str | Path, *, metric: str = "effort", pct: float = 0.1) -> None:
    """Horizontal bars: the metric's change at −pct and +pct per item, the largest swing on top.

    An unreachable side is drawn to the edge of the axis and labelled ✕.
    """
    import warnings

    use_cjk_font()
    rows = list(reversed(rows))  # matplotlib draws the first bar at the bottom
    finite = [abs(v) for r in rows for v in _deltas(r) if v is not None and math.isfinite(v)]
    edge = (max(finite) if finite else 1.0) * 1.15 or 1.0
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(rows) + 1)))
    names = [str(r["name"]) for r in rows]
    for side, colour, k in ((f"−{pct:.0%}", "#8fb3d9", 0), (f"+{pct:.0%}", "#d98f8f", 1)):
        vals = [_deltas(r)[k] for r in rows]
        drawn = [(edge if k else -edge) if v is None else v for v in vals]
        ax.barh(names, drawn, color=colour, label=side, alpha=0.9)
        for i, v in enumerate(vals):
            if v is None:
                ax.text(drawn[i], i, " ✕ unreachable " if k else " unreachable ✕ ", va="center",
                        ha="right" if k else "left", fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change in {metric}")
    ax.legend(loc="lower right", fontsize=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing-glyph warnings when no CJK font is installed
        save_figure(fig, path)


def _deltas(r: dict[str, Any]) -> tuple[float | None, float | None]:
    base = r.get("base")
    out = []
    for k in ("low", "high"):
        v = r.get(k)
        out.append(None if v is None or base is None else v - base)
    return out[0], out[1]


def frontier_chart(points: list[dict[str, Any]], path: str | Path) -> None:
    """Minimum effort against the target multiple, events annotated."""
    import warnings

    use_cjk_font()
    pts = [p for p in points if p.get("effort") is not None]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    by_multiple = all(p.get("multiple") is not None for p in pts)
    xs = [p["multiple"] if by_multiple else p["target"] for p in pts]
    ax.plot(xs, [p["effort"] for p in pts], marker="o", color="#2f6fad")
    for x, p in zip(xs, pts, strict=True):
        if p.get("events"):
            ax.annotate(str(p["events"])[:60], (x, p["effort"]), fontsize=6, rotation=20,
                        xytext=(4, 6), textcoords="offset points")
    ax.set_xlabel("target (× last year)" if by_multiple else "target")
    ax.set_ylabel("minimum effort")
    ax.grid(alpha=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        save_figure(fig, path)
