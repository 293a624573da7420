"""``planner report``: one self-contained HTML page per plan, for the meeting.

The page inlines plotly.js, its stylesheet and its script: it opens with no network. Sections:
headline, reachability (max reachable and needs when not), the bridge from last year to the plan,
the driver tree, the levers and constraints, then whatever analyses are given (comparison,
sensitivity, phasing, tracking). Every string from a scenario or a JSON file is escaped.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from planner.errors import PlannerError
from planner.files import atomic_path, write_atomic
from planner.report.html_bridge import Bridge, by_owner, compute_bridge
from planner.report.html_figures import bridge_figure, figure_html
from planner.report.html_sections import (
    compare_section,
    phasing_section,
    sensitivity_section,
    tracking_section,
)
from planner.report.html_tree import build_tree, money_names, owner_colours, render_tree_svg, tree_legend
from planner.report.html_values import esc, fmt_amount, fmt_signed_money, fmt_times, fmt_value, series_format
from planner.report.units import format_money, format_pct, is_money
from planner.result import Plan

ASSETS = Path(__file__).parent / "assets"
EXTRAS = ("compare", "sensitivity", "phasing", "tracking")


def render_report(plan: Plan, *, compare: Any = None, sensitivity: Any = None, phasing: Any = None,
                  tracking: Any = None, base_dir: str | Path | None = None,
                  generated: dt.datetime | None = None) -> str:
    """The whole page as one HTML string.

    Parameters
    ----------
    plan : the plan (``planner solve --format json``), loaded with ``load_plan``.
    compare, sensitivity, phasing, tracking : parsed JSON of the optional analyses (README, "The JSON the optional sections read"
        describes the shapes read); None leaves the section out.
    base_dir : where to look for the plan's scenario file when ``plan.source`` is relative.
    """
    money = money_names(plan, _money_inputs(plan, base_dir))
    bridge = compute_bridge(plan, base_dir=base_dir)
    unit = plan.target_unit  # the optional sections show target amounts (their cost rows are in 元)
    body = [_header(plan, generated or dt.datetime.now()), _headline(plan), _banner(plan)]
    if bridge is not None and bridge.parts:
        body.append(_bridge_section(plan, bridge))
    body.append(_tree_section(plan, money))
    body.append(_levers_section(plan, money))
    if plan.constraints:
        body.append(_constraints_section(plan))
    for fn, data in ((compare_section, compare), (sensitivity_section, sensitivity),
                     (phasing_section, phasing), (tracking_section, tracking)):
        if data is not None:
            body.append(fn(data, unit))
    body.append(_footer(plan, bridge))
    return _page(plan.name or plan.scenario or "planner report", "\n".join(body))


def write_report(plan: Plan, path: str | Path, *, pdf: str | Path | None = None, **extras: Any) -> Path:
    """Write the page (whole or nothing) and, with ``pdf``, its print copy via headless Chromium."""
    page = render_report(plan, **extras)
    path = Path(path)
    if pdf is not None:
        print_pdf(page, pdf)  # first: a missing browser must not leave a half-done pair of outputs
    write_atomic(path, page)
    return path


def print_pdf(page: str, pdf: str | Path, *, browser: str | None = None) -> Path:
    """Print the page to PDF with headless Chromium (the same engine the browser tests use)."""
    exe = browser or chromium_path()
    if exe is None:
        raise PlannerError("cannot print the PDF because no Chromium browser was found",
                           hint="install it (Debian: `apt-get install chromium`) or leave out --pdf")
    with tempfile.TemporaryDirectory(prefix="planner-pdf-") as tmp, atomic_path(pdf) as out:
        src = Path(tmp) / "report.html"
        src.write_text(page, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
               "--disable-background-networking", "--disable-component-update", f"--user-data-dir={tmp}/profile",
               "--no-pdf-header-footer", "--virtual-time-budget=10000",
               # ≈ the printable width of A4 landscape: the charts are laid out at it
               "--window-size=1030,1400", f"--print-to-pdf={out}", src.as_uri()]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PlannerError(f"cannot print the PDF: {exc}", hint="check that Chromium starts: chromium --version") from exc
        if run.returncode != 0 or not out.exists() or out.stat().st_size < 1000:
            tail = (run.stderr or "").strip().splitlines()[-3:]
            raise PlannerError(f"Chromium did not print the PDF (exit {run.returncode}): {' | '.join(tail)}",
                               hint="run with --debug, or check `chromium --headless --print-to-pdf` by hand")
    return Path(pdf)


def chromium_path() -> str | None:
    """The Chromium (or Chrome) executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


# --- page frame ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # Inline script text must not contain "</script": plotly.js does not today, but make sure.
    return get_plotlyjs().replace("</script", "<\\/script")


def _page(title: str, body: str) -> str:
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    js = (ASSETS / "report.js").read_text(encoding="utf-8")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>\n{css}</style>\n"
            f"<script>{_plotly_js()}</script>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            f"<script>\n{js}</script>\n</body>\n</html>\n")


def _header(plan: Plan, generated: dt.datetime) -> str:
    ok = plan.ok
    status = (f'<span class="status {"ok" if ok else "no"}">{esc(plan.status)}</span>')
    sub = esc(plan.scenario) + (f" · {esc(plan.objective)}" if plan.objective else "")
    meta = [f"{status}", f"generated {generated:%Y-%m-%d %H:%M}"]
    if plan.source:
        meta.append(f"source {esc(plan.source)}")
    if plan.solver:
        meta.append(f"{esc(plan.solver.name)} · {plan.solver.seconds:.2f} s")
    return (f'<header class="top"><div><h1>{esc(plan.name or plan.scenario)}</h1>'
            f'<div class="sub">情景 scenario: {sub}</div></div>'
            f'<div class="meta">{"<br>".join(meta)}</div></header>')


def _card(key: str, value: str, note: str = "", cls: str = "", ident: str = "") -> str:
    idattr = f' id="{ident}"' if ident else ""
    return (f'<div class="card {cls}"{idattr}><div class="k">{key}</div><div class="v">{value}</div>'
            f'<div class="n">{note}</div></div>')


def headline_numbers(plan: Plan) -> dict[str, str]:
    """The headline as text, keyed by card id (the browser tests look for these strings)."""
    t, unit = plan.target, plan.target_unit
    base = t.baseline
    out = {"target": fmt_amount(t.required, unit), "baseline": fmt_amount(base, unit),
           "multiple": fmt_times(t.required / base) if t.required is not None and base and base > 0
           and t.required > 0 else fmt_signed_money(t.required - base, unit) if t.required is not None else "—",
           "achieved": fmt_amount(t.achieved if t.achieved is not None else plan.max_reachable, unit),
           "effort": "—" if plan.effort is None else f"{plan.effort:.2f}",
           "cost": format_money(plan.cost, plan.unit if is_money(plan.unit) else "元"),
           "margin": format_pct(t.margin, 0)}
    return out


def _headline(plan: Plan) -> str:
    t, unit, nums = plan.target, plan.target_unit, headline_numbers(plan)
    tnote = f"承诺 commitment {esc(fmt_amount(t.commitment, unit))} + 余量 {format_pct(t.margin, 0)}" \
        if t.margin and t.commitment is not None else f"for {esc(t.node)}"
    mnote = f"承诺 commitment {fmt_times(t.commitment / t.baseline)}" \
        if t.margin and t.commitment is not None and t.baseline and t.baseline > 0 else "vs last year"
    cap_e, cap_c = plan.budget.get("effort"), plan.budget.get("cost")
    enote = f"上限 cap {cap_e:g}" if cap_e is not None else "Σ effort of the levers (ln-uplift units)"
    cnote = (f"of {esc(format_money(cap_c, '元'))} ({format_pct(plan.cost / cap_c, 0)})"
             if cap_c and plan.cost is not None else "no cost budget")
    anote = "≥ target ✓" if plan.ok and t.achieved is not None else "目标不可达 target out of reach"
    cards = [
        _card("目标 Target", esc(nums["target"]), tnote, "hero", "h-target"),
        _card("去年 Last year", esc(nums["baseline"]), f"{esc(t.node)} at baselines", ident="h-baseline"),
        _card("倍数 Multiple" if nums["multiple"].startswith("×") else "变化 Change", esc(nums["multiple"]), mnote,
              ident="h-multiple"),
        _card("计划达成 Plan" if t.achieved is not None else "最大可达 Max reachable", esc(nums["achieved"]), anote,
              "bad" if not plan.ok else "", ident="h-achieved"),
        _card("努力 Effort", esc(nums["effort"]), enote, ident="h-effort"),
        _card("预算使用 Budget used", esc(nums["cost"]), cnote, ident="h-cost"),
        _card("余量 Margin", esc(nums["margin"]), "stretch over the commitment", ident="h-margin"),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _banner(plan: Plan) -> str:
    t, unit = plan.target, plan.target_unit
    if plan.ok:
        return (f'<div class="banner ok" id="reach"><b>可达成 Reachable.</b> The plan brings {esc(t.node)} to '
                f'{esc(fmt_amount(t.achieved, unit))} (target {esc(fmt_amount(t.required, unit))}) '
                f'with total effort {plan.effort or 0:.2f}.</div>')
    head = f'<b>目标不可达 Out of reach.</b> {esc(fmt_amount(t.required, unit))} cannot be reached'
    if plan.max_reachable is not None:
        mult = f" ({fmt_times(plan.max_reachable / t.baseline)} of last year)" if t.baseline else ""
        head += f": the most these constraints allow is <b>{esc(fmt_amount(plan.max_reachable, unit))}</b>{mult}."
    items = []
    for n in plan.needs:
        text = n.sentence or (f"{n.what}: {fmt_value(n.source)} → {fmt_value(n.to)}" if n.to is not None
                              else f"{n.what}: not enough alone")
        items.append(f"<li>{esc(text)}</li>")
    needs = f"What would make it possible 需要:<ul>{''.join(items)}</ul>" if items else ""
    # The solver's own sentence repeats the line above when it is about reachability; show it otherwise.
    msg = f"<div>{esc(plan.message)}</div>" if plan.message and plan.max_reachable is None else ""
    return f'<div class="banner no" id="reach">{head}{msg}{needs}</div>'


# --- sections -----------------------------------------------------------------------------------

def _bridge_section(plan: Plan, bridge: Bridge) -> str:
    unit = plan.target_unit
    fig = bridge_figure(bridge, unit, plan.target.node)
    method = esc(bridge.note)
    rows = []
    for c in bridge.parts:
        share = c.value / bridge.total if bridge.total else 0.0
        up = fmt_times(c.uplift_low) if c.uplift_low == c.uplift_high else \
            f"{fmt_times(c.uplift_low)}–{fmt_times(c.uplift_high)}"
        kind = "杠杆 lever" if c.kind == "lever" else "假设 assumption"
        cls = "pos" if c.value > 0 else "neg" if c.value < 0 else ""
        rows.append(f'<tr><td class="t">{esc(c.name)}</td><td class="t">{kind}</td><td class="t">{esc(c.owner or "")}'
                    f'</td><td>{up}</td><td class="{cls}">{esc(_contrib(c.value, unit))}</td>'
                    f"<td>{format_pct(share, 1)}</td></tr>")
    owners = "".join(f'<tr><td class="t">{esc(o)}</td><td>{esc(_contrib(v, unit))}</td>'
                     f"<td>{format_pct(v / bridge.total if bridge.total else 0, 1)}</td></tr>"
                     for o, v in by_owner(bridge))
    table = ('<table id="bridge-table"><thead><tr><th class="t">driver</th><th class="t">kind</th>'
             '<th class="t">owner</th><th>uplift</th><th>贡献 contribution</th><th>share</th></tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table>')
    owner_table = ('<table id="owner-table"><thead><tr><th class="t">负责 owner</th><th>贡献 contribution</th>'
                   f'<th>share</th></tr></thead><tbody>{owners}</tbody></table>')
    to = "this year's plan" if plan.target.achieved is not None else "the most reachable (target out of reach)"
    return (f'<section id="bridge"><h2>增长桥 Bridge<small>last year → {to}, by driver</small></h2>'
            f'<p class="lead">{esc(fmt_amount(bridge.baseline, unit))} → {esc(fmt_amount(bridge.planned, unit))}: '
            f'{method}. The bars add up exactly to the change.</p>'
            f'{figure_html("fig-bridge", fig, 420)}<div class="two wide-left"><div class="scroll">{table}</div>'
            f'<div class="scroll">{owner_table}</div></div></section>')


def _contrib(value: float, unit: str | None) -> str:
    return fmt_signed_money(value, unit) if value else "— (no direct effect)"


def _tree_section(plan: Plan, money: set[str]) -> str:
    trees = build_tree(plan, money)
    if not trees:
        return ""
    colours = owner_colours(plan)
    return (f'<section id="tree"><h2>驱动树 Driver tree<small>baseline → plan, uplift ×; hover a box for '
            f'details</small></h2>{tree_legend(colours)}<div class="treewrap">{render_tree_svg(trees, colours)}'
            f"</div></section>")


def _levers_section(plan: Plan, money: set[str]) -> str:
    rows = []
    fmts = {name: series_format([v for i in plan.inputs if i.name == name for v in (i.baseline, i.planned)],
                                money=name in money, unit=plan.unit) for name in {i.name for i in plan.inputs}}
    for i in plan.inputs:
        if i.kind != "lever":
            continue
        f = fmts[i.name]
        up = i.uplift if i.uplift is not None else (i.planned / i.baseline if i.baseline else None)
        still = ' class="still"' if i.planned == i.baseline else ""
        rows.append(f'<tr{still}><td class="t">{esc(i.name)}</td><td class="t">{esc(i.label or "")}</td>'
                    f'<td class="t">{esc(i.owner or "")}</td><td>{esc(f(i.baseline))}'
                    f"</td><td><b>{esc(f(i.planned))}</b></td>"
                    f'<td>{fmt_times(up)}</td><td>{format_pct(up - 1, 1, signed=True) if up else "—"}</td>'
                    f'<td>{i.effort:.3f}</td><td class="t">{esc(i.bound or "")}</td></tr>')
    if not rows:
        return ""
    return ('<section id="levers"><h2>杠杆 Levers<small>what each owner commits to</small></h2><div class="scroll">'
            '<table><thead><tr><th class="t">lever</th><th class="t">label</th><th class="t">owner</th><th>去年 baseline'
            '</th><th>计划 plan</th><th>uplift</th><th>change</th><th>effort</th><th class="t">binds</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _constraints_section(plan: Plan) -> str:
    rows = []
    for c in plan.constraints:
        slack = (c.rhs - c.lhs) if c.sense == "<=" else (c.lhs - c.rhs)
        f = series_format([c.lhs, c.rhs])
        rows.append(f'<tr><td class="t">{esc(c.name)}</td><td>{esc(f(c.lhs))}</td><td>{esc(c.sense)}</td>'
                    f'<td>{esc(f(c.rhs))}</td><td>{esc(f(slack))}</td>'
                    f'<td class="t">{"binding 紧约束" if c.binding else ""}</td></tr>')
    return ('<section id="constraints"><h2>约束 Constraints</h2><div class="scroll"><table><thead><tr>'
            '<th class="t">constraint</th><th>lhs</th><th></th><th>rhs</th><th>slack</th><th class="t"></th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div></section>')


def _footer(plan: Plan, bridge: Bridge | None) -> str:
    notes = ["Effort = Σ over levers of weight × ln(uplift): doubling a lever costs 0.69 at weight 1.",
             "Amounts in 元 are shown in 亿 (1e8) and 万 (1e4); rates as percentages; uplift × = plan ÷ last year."]
    if bridge is not None and bridge.note and bridge.method != "tree":  # a fallback is worth repeating
        notes.append(esc(bridge.note))
    return "<footer>" + "".join(f"<p>{n}</p>" for n in notes) + "</footer>"


def _money_inputs(plan: Plan, base_dir: str | Path | None) -> set[str]:
    """Inputs the scenario file declares in 元 (``unit: 元``), if the file can still be read."""
    if not plan.source:
        return set()
    from planner.scenario import load_scenario

    path = Path(plan.source)
    if not path.exists() and base_dir is not None:
        path = Path(base_dir) / plan.source
    try:
        sc = load_scenario(path)
    except PlannerError:
        return set()
    return {name for name, spec in sc.inputs.items() if is_money(spec.unit)}
