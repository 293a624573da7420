"""The driver tree as an SVG laid out here: target on the left, inputs on the right.

Each box shows baseline → plan and the uplift; indexed entries list their labels. Levers are
coloured by owner, fixed inputs grey, uncontrollable ones amber and dashed. An entry referenced a
second time is drawn as a small "see above" stub so a shared driver is explained once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planner.errors import PlannerError
from planner.report.html_values import clip, esc, fmt_times, series_format
from planner.report.units import is_money
from planner.result import InputResult, NodeResult, Plan
from planner.tree.nodes import Bin, Expr, Ext, Neg, Num, Ref, Sum, refs, to_text

W, GAP, VGAP, PAD = 206, 28, 10, 8  # box width, column gap, vertical gap, inner padding
LINE, HEAD, FORMULA = 14, 20, 14
MAX_LABELS = 8
OWNER_COLOURS = ("#2563eb", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4d7c0f", "#b91c1c")
KIND_TAG = {"fixed": "固定 fixed", "uncontrollable": "不可控", "node": "", "ref": "见上 see above"}


@dataclass
class Box:
    name: str
    kind: str  # node | lever | fixed | uncontrollable | ref
    formula: str | None = None
    owner: str | None = None
    total: tuple[str, str, str] | None = None  # baseline, planned, uplift (scalar or Σ)
    lines: list[tuple[str, str, str, str]] = field(default_factory=list)  # label, baseline, planned, uplift
    more: int = 0  # labels not listed
    tip: str = ""
    children: list[Box] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0
    root: bool = False  # the target's box

    @property
    def h(self) -> float:
        rows = (self.total is not None) + len(self.lines) + (self.more > 0)
        return PAD * 2 + HEAD + (FORMULA if self.formula else 0) + LINE * rows


def owner_colours(plan: Plan) -> dict[str, str]:
    """Owner → colour, in order of first appearance among the levers."""
    owners: list[str] = []
    for i in plan.levers:
        key = i.owner or "未指定 no owner"
        if key not in owners:
            owners.append(key)
    return {o: OWNER_COLOURS[k % len(OWNER_COLOURS)] for k, o in enumerate(owners)}


def money_names(plan: Plan, extra: set[str] | None = None) -> set[str]:
    """Names shown as money: the target and what adds up into it (sum, +, −), plus ``extra``."""
    entries = {e.get("name"): e for e in plan.tree if isinstance(e, dict)}
    money, todo = set(extra or ()), [plan.target.node]
    while todo:
        name = todo.pop()
        if name in money and name != plan.target.node:
            continue
        money.add(name)
        formula = (entries.get(name) or {}).get("formula")
        if formula:
            todo.extend(_additive_refs(_parse(formula)))
    return money if is_money(plan.target_unit) else set(extra or ())  # a count target adds up counts


def _additive_refs(e: Expr | None) -> list[str]:
    if isinstance(e, Ref):
        return [e.name]
    if isinstance(e, Sum):
        return _additive_refs(e.arg)
    if isinstance(e, Neg):
        return _additive_refs(e.operand)
    if isinstance(e, Bin) and e.op in "+-":
        return _additive_refs(e.left) + _additive_refs(e.right)
    return []


def _parse(formula: str) -> Expr | None:
    from planner.tree.parse import parse_formula

    try:
        return parse_formula(str(formula))
    except PlannerError:
        return None


def _summed(e: Expr | None) -> str | None:
    """``x`` when the formula is exactly ``sum(x)`` (over all labels)."""
    if isinstance(e, Sum) and e.dim is None and isinstance(e.arg, Ref):
        return e.arg.name
    return None


def display_formula(e: Expr, dims: dict[str, list[str]]) -> str:
    """The formula without ``[dim]`` annotations (they repeat what the box already says)."""
    def strip(x: Expr) -> Expr:
        if isinstance(x, Ref):
            return Ref(x.name) if x.index in dims else x
        if isinstance(x, Neg):
            return Neg(strip(x.operand))
        if isinstance(x, Bin):
            return Bin(x.op, strip(x.left), strip(x.right))
        if isinstance(x, Sum):
            return Sum(strip(x.arg), x.dim)
        if isinstance(x, Ext):
            return Ext(x.kind, strip(x.a), strip(x.b))
        return x
    return to_text(strip(e)) if not isinstance(e, Num) else to_text(e)


def build_tree(plan: Plan, money: set[str]) -> list[Box]:
    """The tree of boxes under the target node, then one small tree per entry the target does not
    use (inputs that only feed constraints, such as seats). Empty when there is nothing to draw."""
    entries = {e["name"]: e for e in plan.tree if isinstance(e, dict) and "name" in e}
    rows: dict[str, list[Any]] = {}
    every: list[InputResult | NodeResult] = [*plan.inputs, *plan.nodes]
    for r in every:
        rows.setdefault(r.name, []).append(r)
    root = plan.target.node
    if root not in rows and root not in entries:
        return []
    seen: set[str] = set()

    def children_of(name: str) -> list[str]:
        e = entries.get(name) or {}
        if e.get("children"):
            return [str(c) for c in e["children"]]
        if e.get("formula"):
            expr = _parse(e["formula"])
            return list(dict.fromkeys(r.name for r in refs(expr))) if expr is not None else []
        if name == root and not entries:  # no tree in the plan: the inputs hang off the target
            return list(dict.fromkeys(i.name for i in plan.inputs))
        return []

    def make(name: str, depth: int) -> Box:
        if name in seen:
            return Box(name, "ref")
        seen.add(name)
        entry = entries.get(name) or {}
        box = _box(plan, name, entry, rows.get(name, []), money)
        expr = _parse(entry["formula"]) if entry.get("formula") else None
        inner = _summed(expr)
        kids = children_of(name)
        if inner is not None and inner in entries and inner not in seen and (entries[inner].get("formula")):
            # total = sum(x): one box shows the total and x's labels, and x's children hang off it
            seen.add(inner)
            part = _box(plan, inner, entries[inner], rows.get(inner, []), money)
            box.lines, box.more = part.lines, part.more
            sub = _parse(entries[inner]["formula"])
            box.formula = "Σ " + (display_formula(sub, plan.dimensions) if sub is not None else inner)
            box.tip += "\n" + part.tip
            kids = children_of(inner)
        elif expr is not None:
            box.formula = display_formula(expr, plan.dimensions)
        if depth < 40:  # a cycle cannot reach here (the engine refuses them); the cap is belt and braces
            box.children = [make(c, depth + 1) for c in kids]
        return box

    trees = [make(root, 0)]
    trees[0].root = True
    left = [n for n in dict.fromkeys([*entries, *rows]) if n not in seen]
    used = {c for n in left for c in children_of(n)}
    for name in sorted(left, key=lambda n: n in used):  # the tops of what is left first, then the rest
        if name not in seen:
            trees.append(make(name, 0))
    return trees


def _box(plan: Plan, name: str, entry: dict, rows: list, money: set[str]) -> Box:
    first = rows[0] if rows else None
    kind = getattr(first, "kind", None) or ("node" if entry.get("formula") or not entry else entry.get("kind", "node"))
    if kind not in ("lever", "fixed", "uncontrollable"):
        kind = "node"
    is_money = name in money
    owner = getattr(first, "owner", None) if kind == "lever" else None
    box = Box(name, kind, formula=entry.get("formula"), owner=owner)

    f = series_format([v for r in rows for v in (r.baseline, r.planned)], money=is_money, unit=plan.unit)

    if first is not None and len(rows) == 1 and first.label is None:
        same = first.planned == first.baseline
        box.total = ("" if same else f(first.baseline), f(first.planned),
                     "" if same else fmt_times(_ratio(first.planned, first.baseline)))
    elif rows:
        if all(getattr(r, "flow", False) for r in rows) or is_money:
            b, p = sum(r.baseline for r in rows), sum(r.planned for r in rows)
            box.total = (f(b), f(p), fmt_times(_ratio(p, b)))
        for r in rows[:MAX_LABELS]:
            same = r.planned == r.baseline
            box.lines.append((r.label or "", "" if same else f(r.baseline), f(r.planned),
                              "" if same else fmt_times(_ratio(r.planned, r.baseline))))
        box.more = max(0, len(rows) - MAX_LABELS)
    box.tip = _tip(plan, name, box, rows, f)
    return box


def _ratio(planned: float, baseline: float) -> float | None:
    """planned ÷ baseline where that reads as a multiple (both positive); else None, shown '—'."""
    return planned / baseline if baseline > 0 and planned >= 0 else None


def short_label(label: str, units: int = 8) -> str:
    """A label cut to fit a box line; each part of a multi-dimension label ('信息流广告, 年卡') is cut
    on its own so that labels differing only in a later part stay apart."""
    parts = [p.strip() for p in label.replace("/", ",").split(",")] if ("," in label or "/" in label) else [label]
    if len(parts) == 1:
        return clip(label, units)
    each = max(3, (units + 2) // len(parts))
    return "·".join(clip(p, each) for p in parts)


def _tip(plan: Plan, name: str, box: Box, rows: list, f) -> str:
    kind = {"lever": "杠杆 lever", "fixed": "固定 fixed", "uncontrollable": "不可控 uncontrollable",
            "node": "指标 node"}[box.kind]
    out = [f"{name} — {kind}" + (f" · {box.owner}" if box.owner else "")]
    if box.formula:
        out.append(f"= {box.formula}")
    for r in rows:
        line = f"{r.label + ': ' if r.label else ''}{f(r.baseline)} → {f(r.planned)} {fmt_times(_ratio(r.planned, r.baseline))}"
        if getattr(r, "effort", 0):
            line += f" · effort {r.effort:.3f}"
        if getattr(r, "bound", None):
            line += f" · binds: {r.bound}"
        out.append(line)
    return "\n".join(out)


# --- layout and drawing -------------------------------------------------------------------------

def _place(box: Box, depth: int, top: float) -> float:
    """Place ``box`` and its subtree from ``top``; return the subtree's bottom edge."""
    box.x = depth * (W + GAP)
    if not box.children:
        box.y = top
        return top + box.h
    cur = top
    for c in box.children:
        cur = _place(c, depth + 1, cur) + VGAP
    kids_bottom = cur - VGAP
    span = kids_bottom - top
    if box.h <= span:
        box.y = top + (span - box.h) / 2
        return kids_bottom
    box.y = top
    for c in box.children:  # a parent taller than its children: centre the children on it
        _shift(c, (box.h - span) / 2)
    return top + box.h


def _shift(box: Box, dy: float) -> None:
    box.y += dy
    for c in box.children:
        _shift(c, dy)


def _walk(box: Box) -> list[Box]:
    out = [box]
    for c in box.children:
        out.extend(_walk(c))
    return out


def render_tree_svg(trees: list[Box], colours: dict[str, str]) -> str:
    """The laid-out trees as one inline ``<svg>`` (scales to the page width, keeps its aspect): the
    target's tree first, then, under a caption, the entries outside it side by side."""
    bottom = _place(trees[0], 0, 0)
    caption = ""
    if len(trees) > 1:
        top = bottom + 40
        caption = (f'<text class="caption" x="0" y="{top - 12:.0f}">不在目标公式中 not in the target\'s formula '
                   f'(constraints, budget):</text>')
        col, row_bottom = 0, float(top)
        for t in trees[1:]:
            row_bottom = max(row_bottom, _place(t, col, top))
            col = int(max(b.x for b in _walk(t)) // (W + GAP)) + 1
        bottom = row_bottom
    boxes = [b for t in trees for b in _walk(t)]
    width = max(b.x for b in boxes) + W + 2
    height = bottom + 2
    parts = [f'<svg class="tree" xmlns="http://www.w3.org/2000/svg" viewBox="-1 -1 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" style="max-width:100%;height:auto" role="img" aria-label="driver tree">',
             caption]
    for b in boxes:
        for c in b.children:
            x1, y1, x2, y2 = b.x + W, b.y + b.h / 2, c.x, c.y + c.h / 2
            xm = x1 + GAP / 2
            parts.append(f'<path class="edge" d="M{x1:.1f},{y1:.1f} H{xm:.1f} V{y2:.1f} H{x2:.1f}"/>')
    parts.extend(_draw_box(b, colours) for b in boxes)
    parts.append("</svg>")
    return "\n".join(parts)


def _draw_box(b: Box, colours: dict[str, str]) -> str:
    colour = colours.get(b.owner or "未指定 no owner", "#64748b") if b.kind == "lever" else None
    cls = f"box {b.kind}" + (" root" if b.root else "")
    style = f' style="--owner:{colour}"' if colour else ""
    out = [f'<g class="{cls}" data-name="{esc(b.name)}"{style}>', f"<title>{esc(b.tip or b.name)}</title>",
           f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{W}" height="{b.h:.1f}" rx="6"/>']
    if colour:
        out.append(f'<rect class="stripe" x="{b.x:.1f}" y="{b.y:.1f}" width="6" height="{b.h:.1f}" rx="3"/>')
    x, y = b.x + PAD + (4 if colour else 0), b.y + PAD + 13
    tag = b.owner if b.kind == "lever" else KIND_TAG.get(b.kind, "")
    tag_units = min(14, len(tag or "") * 2)
    out.append(f'<text class="name" x="{x:.1f}" y="{y:.1f}">{esc(clip(b.name, 30 - tag_units))}</text>')
    if tag:
        out.append(f'<text class="tag" x="{b.x + W - PAD:.1f}" y="{y:.1f}" text-anchor="end">{esc(clip(tag, 14))}</text>')
    y += HEAD - 4
    if b.formula:
        out.append(f'<text class="formula" x="{x:.1f}" y="{y:.1f}">= {esc(clip(b.formula, 31))}</text>')
        y += FORMULA
    if b.total:
        base, plan, up = b.total
        sigma = "Σ " if b.lines else ""
        arrow = f"{esc(base)} → " if base else ""
        out.append(f'<text class="value" x="{x:.1f}" y="{y:.1f}">{sigma}{arrow}<tspan class="planned">'
                   f'{esc(plan)}</tspan></text>')
        out.append(f'<text class="uplift" x="{b.x + W - PAD:.1f}" y="{y:.1f}" text-anchor="end">{esc(up)}</text>')
        y += LINE
    for label, base, plan, up in b.lines:
        arrow = f"{esc(base)} → " if base else ""
        out.append(f'<text class="label" x="{x:.1f}" y="{y:.1f}">{esc(short_label(label, 10))} '
                   f'<tspan class="num">{arrow}{esc(plan)}</tspan></text>')
        out.append(f'<text class="label-up" x="{b.x + W - PAD:.1f}" y="{y:.1f}" text-anchor="end">{esc(up)}</text>')
        y += LINE
    if b.more:
        out.append(f'<text class="label" x="{x:.1f}" y="{y:.1f}">… 另 {b.more} 项 more</text>')
    out.append("</g>")
    return "".join(out)


def tree_legend(colours: dict[str, str]) -> str:
    """HTML legend: one chip per owner, then fixed / uncontrollable / node."""
    chips = [f'<span class="chip lever" style="--owner:{c}">{esc(o)}</span>' for o, c in colours.items()]
    chips += ['<span class="chip fixed">固定 fixed</span>', '<span class="chip uncontrollable">不可控 uncontrollable</span>',
              '<span class="chip node">指标 node (formula)</span>']
    return '<div class="legend">' + "".join(chips) + "</div>"
