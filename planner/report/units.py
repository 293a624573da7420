"""Money in 元 shown in 亿 / 万, percentages: the one place every report formats numbers.

``format_money`` is for text (tables, sentences); ``excel_money_format`` gives the matching
spreadsheet number format, so a cell keeps its exact value in 元 but *displays* 亿 or 万.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

YI = 1e8  # 亿
WAN = 1e4  # 万
MONEY_UNITS = ("元", "yuan", "CNY", "RMB")


def is_money(unit: str | None) -> bool:
    """True when values in ``unit`` are money in 元 (shown in 亿 / 万)."""
    return (unit or "").strip() in MONEY_UNITS


def money_scale(value: float) -> tuple[float, str]:
    """The divisor and suffix for a magnitude: ≥1亿 → (1e8, '亿'), ≥1万 → (1e4, '万'), else (1, '')."""
    a = abs(value)
    if a >= YI:
        return YI, "亿"
    if a >= WAN:
        return WAN, "万"
    return 1.0, ""


def format_money(value: float | None, unit: str | None = "元", digits: int = 2) -> str:
    """Format an amount for people: ``5e10 → '500.00亿'``, ``123456 → '12.35万'``, ``850 → '850元'``.

    Amounts not in 元 (customers, orders) get thousands separators and the unit, if any.
    ``None`` and NaN give ``'—'``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if not is_money(unit):
        # counts with separators; small rates and ratios with four significant digits (0.0118, 12.5)
        text = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 1000 else f"{value:.4g}"
        return f"{text}{unit or ''}"
    scale, suffix = money_scale(value)
    if scale == 1.0:
        return f"{value:,.0f}元" if float(value).is_integer() else f"{value:,.{digits}f}元"
    return f"{value / scale:,.{digits}f}{suffix}"


def format_pct(value: float | None, digits: int = 1, *, signed: bool = False) -> str:
    """Format a ratio as a percentage: ``0.123 → '12.3%'``; ``signed`` gives ``'+12.3%'``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:+.{digits}f}%" if signed else f"{value * 100:.{digits}f}%"


def format_uplift(uplift: float | None, digits: int = 1) -> str:
    """An uplift ratio as a change: ``1.5 → '+50.0%'``, ``0.8 → '-20.0%'``."""
    return "—" if uplift is None else format_pct(uplift - 1.0, digits, signed=True)


def excel_money_format(values: Iterable[float], unit: str | None = "元") -> str:
    """Spreadsheet number format showing 元 amounts in 亿 or 万, chosen by the largest magnitude.

    The trick: each trailing ``,`` divides by 1000 and an escaped ``\\.`` is a literal point, so
    ``0\\.00,,"亿"`` shows 5e10 as 500.00亿 while the cell keeps 50000000000 (sums stay exact).
    Excel and LibreOffice both read this format.
    """
    if not is_money(unit):
        return "#,##0"
    biggest = max((abs(v) for v in values if v is not None and not math.isnan(v)), default=0.0)
    scale, _ = money_scale(biggest)
    if scale == YI:
        return '0\\.00,,"亿"'  # ÷1e6, point before the last two digits → ÷1e8 with 2 decimals
    if scale == WAN:
        return '0\\.0,"万"'  # ÷1e3, point before the last digit → ÷1e4 with 1 decimal
    return '#,##0"元"'


PCT_FORMAT = "0.0%"
RATIO_FORMAT = "0.0000"


def display_width(text: str) -> int:
    """Terminal / spreadsheet width of a text: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` display columns (so Chinese labels line up in tables)."""
    return text + " " * max(width - display_width(text), 0)
