"""How the report writes a value: money in 亿/万 (via ``planner.report.units``), rates as percentages,
counts in 万, uplifts as ×."""

from __future__ import annotations

import html
import math

from planner.report.units import format_money, format_pct, is_money


def fmt_value(value: float | None, *, money: bool = False, unit: str | None = None,
              rate: bool | None = None) -> str:
    """One value for people: money '550.12亿', a rate '3.94%', a count '19.09万' or '294'.

    ``rate`` None decides per value (below 1 is a rate); True/False applies to a whole input,
    so a sufficiency of 1.0 next to 0.8 reads '100.0%' rather than '1'.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if money:
        return format_money(value, unit if is_money(unit) else "元")
    a = abs(value)
    if rate is None:
        rate = a < 1
    if a == 0:
        return "0"
    if rate:
        return format_pct(value, 2 if a < 0.1 else 1)
    if a >= 1e8:
        return f"{value / 1e8:,.2f}亿"
    if a >= 1e4:
        return f"{value / 1e4:,.2f}万"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def looks_like_rates(values: list[float]) -> bool | None:
    """True when every value lies in [0, 1] and one is a fraction: the whole series reads as %."""
    vals = [abs(v) for v in values if v is not None and math.isfinite(v)]
    if vals and all(v <= 1 for v in vals) and any(0 < v < 1 for v in vals):
        return True
    return False if vals else None


def series_format(values: list[float], *, money: bool = False, unit: str | None = None):
    """A formatter for one input's or node's values, consistent across its labels: all rates as %,
    all counts with the same decimals ('1.20 → 2.00', not '1.20 → 2')."""
    rate = looks_like_rates(values)
    whole = all(float(v).is_integer() for v in values if v is not None and math.isfinite(v))

    def fmt(v: float | None) -> str:
        if not money and not rate and v is not None and math.isfinite(v) and not whole and 1 <= abs(v) < 1e4:
            return f"{v:,.2f}"
        return fmt_value(v, money=money, unit=unit, rate=rate)

    return fmt


def fmt_times(ratio: float | None) -> str:
    """A ratio as '×1.97' (two decimals, three significant figures past ×10)."""
    if ratio is None or not math.isfinite(ratio):
        return "—"
    return f"×{ratio:.1f}" if ratio >= 10 else f"×{ratio:.2f}"


def fmt_amount(value: float | None, unit: str | None) -> str:
    """A total of the target's kind: money in 亿/万 with ``unit: 元``, a count with its unit ('120,000个'),
    else a bare count in 亿/万 ('12.00万')."""
    return format_money(value, unit) if unit else fmt_value(value, rate=False)


def fmt_signed_money(value: float, unit: str | None = "元") -> str:
    """'+206.27亿' / '−4.76亿' for contributions (counts alike: '+14,000个'; bare counts '+1.14万', '+850')."""
    text = format_money(abs(value), unit) if unit else fmt_value(abs(value), rate=False)
    return ("+" if value >= 0 else "−") + text


def esc(text: object) -> str:
    """HTML-escape anything that came from a scenario or a JSON file (labels, names, sentences)."""
    return html.escape("" if text is None else str(text), quote=True)


def text_units(text: str) -> int:
    """Display width in half-width cells: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def clip(text: str, units: int) -> str:
    """Cut ``text`` to at most ``units`` display cells, ending with '…' when cut."""
    if text_units(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        w = 2 if ord(ch) > 0x2E80 else 1
        if used + w > units - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"
