"""Formula nodes: a small immutable expression tree, and its printer."""

from __future__ import annotations

import keyword
import unicodedata
from dataclasses import dataclass

# Binding strength for printing with the fewest parentheses that still round-trip.
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    """A name, optionally with ``[dim]`` (an annotation) or ``[label]`` (a selection)."""

    name: str
    index: str | None = None


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class Bin:
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Sum:
    """``sum(x)`` over every label, or ``sum(x, dim)`` over one dimension."""

    arg: Expr
    dim: str | None = None


@dataclass(frozen=True)
class Ext:
    """``min(a, b)`` or ``max(a, b)``."""

    kind: str  # min | max
    a: Expr
    b: Expr


Expr = Num | Ref | Neg | Bin | Sum | Ext


def to_text(e: Expr) -> str:
    """Print a formula so that ``parse(to_text(e)) == e``."""
    return _text(e, 0, False)


def _text(e: Expr, outer: int, right: bool) -> str:
    if isinstance(e, Num):
        v = e.value
        s = repr(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
        return s
    if isinstance(e, Ref):
        return f"{e.name}[{_index_text(e.index)}]" if e.index is not None else e.name
    if isinstance(e, Neg):
        return f"-{_text(e.operand, 3, False)}"
    if isinstance(e, Sum):
        inner = to_text(e.arg)
        return f"sum({inner}, {e.dim})" if e.dim else f"sum({inner})"
    if isinstance(e, Ext):
        return f"{e.kind}({to_text(e.a)}, {to_text(e.b)})"
    p = _PREC[e.op]
    s = f"{_text(e.left, p, False)} {e.op} {_text(e.right, p, True)}"
    # Left-associative: a right operand of equal precedence needs parentheses.
    return f"({s})" if p < outer or (p == outer and right) else s


def _index_text(index: str) -> str:
    """A label as written in a formula: bare when the parser reads it back unchanged, else quoted.

    Labels such as ``01``, ``1月`` or ``A 类`` are not Python names, and Python folds some names
    (full-width letters) to other spellings, so those are printed as ``x['01']``.
    """
    bare = (index.isidentifier() and not keyword.iskeyword(index)
            and unicodedata.normalize("NFKC", index) == index) or (index.isascii() and index.isdigit() and index == str(int(index)))
    return index if bare else repr(index)


def refs(e: Expr) -> list[Ref]:
    """Every name reference in the formula, in order."""
    if isinstance(e, Ref):
        return [e]
    if isinstance(e, Neg):
        return refs(e.operand)
    if isinstance(e, Bin):
        return refs(e.left) + refs(e.right)
    if isinstance(e, Sum):
        return refs(e.arg)
    if isinstance(e, Ext):
        return refs(e.a) + refs(e.b)
    return []
