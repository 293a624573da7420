"""Formula text → nodes, with Python's own parser (``ast.parse`` never executes anything).

Only a whitelist of syntax is accepted: numbers, names, ``name[index]``, ``+ - * /``, unary minus,
parentheses, ``sum(x)``, ``sum(x, dim)``, ``min(a, b)``, ``max(a, b)``, and comparisons at the top
of constraints. Everything else (attribute access, other calls, strings, lambdas, ...) is an error
that names the formula and the column.
"""

from __future__ import annotations

import ast
import math

from planner.errors import FormulaError
from planner.tree.nodes import Bin, Expr, Ext, Neg, Num, Ref, Sum

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS = {ast.LtE: "<=", ast.GtE: ">=", ast.Lt: "<=", ast.Gt: ">="}
_HINT = ("formulas use numbers, names, + - * /, parentheses, sum(x), sum(x, dim), min(a, b), max(a, b); "
         "indexed names as name[dim] or name[label]")


def parse_formula(text: str, where: str = "formula") -> Expr:
    """Parse one formula such as ``price[product] * buyers[product]``."""
    tree = _parse(text, where)
    try:
        return _convert(tree.body, text, where)
    except RecursionError:
        raise _too_deep(where) from None


def parse_constraint(text: str, where: str = "constraint") -> tuple[Expr, str, Expr]:
    """Parse ``lhs <= rhs`` or ``lhs >= rhs``; returns (lhs, sense, rhs)."""
    tree = _parse(text, where)
    body = tree.body
    if not isinstance(body, ast.Compare) or len(body.ops) != 1 or type(body.ops[0]) not in _CMPOPS:
        raise FormulaError(f"a constraint must be one comparison `lhs <= rhs` or `lhs >= rhs`, got {text!r}",
                           where=where, hint="write exactly one `<=` or `>=`; split a chain a <= b <= c into "
                                             "two named constraints")
    sense = _CMPOPS[type(body.ops[0])]
    try:
        return _convert(body.left, text, where), sense, _convert(body.comparators[0], text, where)
    except RecursionError:
        raise _too_deep(where) from None


def _too_deep(where: str) -> FormulaError:
    return FormulaError("the formula is too long or too deeply nested to parse", where=where,
                        hint="split it into intermediate nodes, or use sum(x) over a dimension")


def _parse(text: str, where: str) -> ast.Expression:
    if not isinstance(text, str):
        text = str(text)
    try:
        return ast.parse(text.strip(), mode="eval")
    except RecursionError:  # thousands of terms: Python's parser gives up before any syntax error
        raise _too_deep(where) from None
    except SyntaxError as exc:
        # Python reports offset 0 when the formula ends too early (`a +`).
        at = f"column {exc.offset}" if exc.offset else "at the end"
        raise FormulaError(f"cannot parse {text!r}: {exc.msg} ({at})", where=where, hint=_HINT) from None


def _col(node: ast.AST, text: str) -> int:
    # ast gives UTF-8 byte offsets; planners' labels are often Chinese, so convert to characters.
    raw = text.strip().encode("utf-8")[: getattr(node, "col_offset", 0)]
    return len(raw.decode("utf-8", errors="ignore")) + 1


def _fail(node: ast.AST, text: str, where: str, what: str) -> FormulaError:
    return FormulaError(f"{what} is not allowed in {text!r} (column {_col(node, text)})", where=where, hint=_HINT)


def _convert(node: ast.AST, text: str, where: str) -> Expr:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _fail(node, text, where, f"the constant {node.value!r}")
        if not math.isfinite(node.value):  # 1e400 parses as inf
            raise _fail(node, text, where, f"the non-finite number {ast.get_source_segment(text.strip(), node)}")
        return Num(float(node.value))
    if isinstance(node, ast.Name):
        return Ref(node.id)
    if isinstance(node, ast.Subscript):
        return _subscript(node, text, where)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _convert(node.operand, text, where)
        if isinstance(node.op, ast.UAdd):
            return inner
        return Num(-inner.value) if isinstance(inner, Num) else Neg(inner)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return Bin(_BINOPS[type(node.op)], _convert(node.left, text, where), _convert(node.right, text, where))
    if isinstance(node, ast.Call):
        return _call(node, text, where)
    if isinstance(node, ast.Attribute):
        # Point at the dot, not at the start of `x.attr`.
        dot = ast.Constant(None, col_offset=getattr(node.value, "end_col_offset", node.col_offset))
        raise _fail(dot, text, where, f"attribute access `.{node.attr}`")
    if isinstance(node, ast.Compare):
        raise _fail(node, text, where, "a comparison")
    raise _fail(node, text, where, f"`{type(node).__name__}` syntax")


def _subscript(node: ast.Subscript, text: str, where: str) -> Ref:
    if not isinstance(node.value, ast.Name):
        raise _fail(node, text, where, "indexing anything but a name")
    idx = node.slice
    if isinstance(idx, ast.Name):
        return Ref(node.value.id, idx.id)
    if isinstance(idx, ast.Constant) and isinstance(idx.value, str | int):
        return Ref(node.value.id, str(idx.value))
    raise _fail(node, text, where, "this index")


def _call(node: ast.Call, text: str, where: str) -> Expr:
    fname = node.func.id if isinstance(node.func, ast.Name) else None
    if fname not in ("sum", "min", "max"):
        raise _fail(node, text, where, f"calling `{ast.unparse(node.func)}`")
    if node.keywords:
        raise _fail(node, text, where, "a keyword argument")
    args = node.args
    if fname == "sum":
        if len(args) not in (1, 2):
            raise _fail(node, text, where, f"sum with {len(args)} arguments")
        dim = None
        if len(args) == 2:
            if not isinstance(args[1], ast.Name):
                raise _fail(args[1], text, where, "a dimension that is not a plain name")
            dim = args[1].id
        return Sum(_convert(args[0], text, where), dim)
    if len(args) != 2:
        raise _fail(node, text, where, f"{fname} with {len(args)} arguments (it takes two)")
    return Ext(fname, _convert(args[0], text, where), _convert(args[1], text, where))
