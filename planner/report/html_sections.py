"""Optional sections of the report, one function per analysis, each reading a plain dict.

The JSON written by ``planner compare / sensitivity / phase / allocate / track`` is read leniently:
missing keys leave a part out, alternative key names are accepted (README, "The JSON the optional sections read", lists them), and
nothing here raises on odd data — a section that finds nothing to show says so.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.report.html_figures import BAD, BASE, GOOD, TOTAL, base_layout, display_scale, figure_html, ptext
from planner.report.html_values import esc, fmt_amount, fmt_signed_money, fmt_times, fmt_value
from planner.report.units import format_pct

MAX_TORNADO = 15  # bars drawn; a tornado is read from the top
PALETTE = ("#2563eb", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4d7c0f", "#b91c1c",
           "#475569", "#ca8a04")


def pick(d: Any, *keys: str, default: Any = None) -> Any:
    """The first of ``keys`` present (and not None) in mapping ``d``."""
    if isinstance(d, dict):
        for k in keys:
            if d.get(k) is not None:
                return d[k]
    return default


def num(x: Any) -> float | None:
    """A finite float, or None for anything else (strings, NaN, missing)."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def _section(ident: str, title: str, sub: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{title}<small>{sub}</small></h2>{body}</section>'


def _empty(ident: str, title: str) -> str:
    return _section(ident, title, "", '<p class="lead">nothing to show: the file holds no rows this report reads</p>')


def _money(x: Any, unit: str | None) -> str:
    v = num(x)
    return "—" if v is None else fmt_amount(v, unit)


# --- comparison ---------------------------------------------------------------------------------

def _plans_of(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [p for p in data if isinstance(p, dict)]
    inner = pick(data, "plans", "scenarios", "results", "rows")
    if isinstance(inner, dict):
        return [dict(v, scenario=v.get("scenario", k)) for k, v in inner.items() if isinstance(v, dict)]
    return [p for p in inner or [] if isinstance(p, dict)]


def compare_section(data: Any, unit: str | None) -> str:
    """Scenarios side by side: status, target, effort, cost, each lever's uplift; changes vs the base marked."""
    plans = _plans_of(data)
    if not plans:
        return _empty("compare", "情景对比 Scenarios")
    base_name = pick(data, "base", default=None) if isinstance(data, dict) else None
    base = next((p for p in plans if p.get("scenario") == (base_name or "base")), plans[0])
    names = [str(p.get("scenario", f"#{k + 1}")) for k, p in enumerate(plans)]
    rows: list[tuple[str, list[Any], Any]] = [
        ("status", [p.get("status") for p in plans], str),
        ("目标 target", [pick(p.get("target"), "required") for p in plans], lambda v: _money(v, unit)),
        ("达成 achieved", [pick(p.get("target"), "achieved") for p in plans], lambda v: _money(v, unit)),
        ("最大可达 max reachable", [p.get("max_reachable") for p in plans], lambda v: _money(v, unit)),
        ("努力 effort", [p.get("effort") for p in plans], lambda v: "—" if num(v) is None else f"{v:.2f}"),
        ("成本 cost", [p.get("cost") for p in plans], lambda v: _money(v, "元")),
    ]
    for key in _lever_keys(plans):
        vals = [_uplift(p, key) for p in plans]
        rows.append((f"{key[0]}{'[' + key[1] + ']' if key[1] else ''} uplift", vals, fmt_times))
    bi = plans.index(base)
    head = "".join(f'<th>{esc(n)}{" (base)" if k == bi else ""}</th>' for k, n in enumerate(names))
    body = []
    for label, vals, fmt in rows:
        cells = []
        for k, v in enumerate(vals):
            diff = k != bi and _differs(v, vals[bi])
            cells.append(f'<td class="{"diff" if diff else ""}">{esc(fmt(v) if v is not None else "—")}</td>')
        body.append(f'<tr><td class="t">{esc(label)}</td>{"".join(cells)}</tr>')
    table = (f'<div class="scroll"><table id="compare-table"><thead><tr><th class="t"></th>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table></div>')
    return _section("compare", "情景对比 Scenarios", "differences from the base are highlighted",
                    _compare_chart(plans, names, unit) + table)


def _lever_keys(plans: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    keys: list[tuple[str, str | None]] = []
    for p in plans:
        for i in p.get("inputs") or []:
            if isinstance(i, dict) and i.get("kind", "lever") == "lever" and "name" in i:
                k = (str(i["name"]), None if i.get("label") is None else str(i["label"]))
                if k not in keys:
                    keys.append(k)
    return keys


def _uplift(plan: dict[str, Any], key: tuple[str, str | None]) -> float | None:
    for i in plan.get("inputs") or []:
        if isinstance(i, dict) and (str(i.get("name")), None if i.get("label") is None else str(i["label"])) == key:
            return num(i.get("uplift"))
    return None


def _differs(a: Any, b: Any) -> bool:
    if num(a) is not None and num(b) is not None:
        return abs(a - b) > 1e-9 * max(abs(a), abs(b), 1e-12)
    return a != b


def _compare_chart(plans: list[dict[str, Any]], names: list[str], unit: str | None) -> str:
    reach = [num(pick(p.get("target"), "achieved")) if p.get("status") in ("optimal", "feasible")
             else num(p.get("max_reachable")) for p in plans]
    need = [num(pick(p.get("target"), "required")) for p in plans]
    effort = [num(p.get("effort")) for p in plans]
    if all(v is None for v in reach + need):
        return ""
    scale, word = display_scale(*(v for v in reach + need if v is not None))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [ptext(n) for n in names]
    fig.add_trace(go.Bar(name="达成 / 最大可达 reached", x=x, y=[None if v is None else v / scale for v in reach],
                         marker_color=TOTAL, hovertext=[_money(v, unit) for v in reach], hoverinfo="text+name"))
    fig.add_trace(go.Scatter(name="目标 target", x=x, y=[None if v is None else v / scale for v in need],
                             mode="markers", marker=dict(symbol="line-ew-open", size=40, color=BAD, line=dict(width=3)),
                             hovertext=[_money(v, unit) for v in need], hoverinfo="text+name"))
    fig.add_trace(go.Scatter(name="努力 effort", x=x, y=effort, mode="lines+markers", line=dict(color=GOOD)),
                  secondary_y=True)
    fig.update_layout(**base_layout(legend=dict(orientation="h", y=1.12)))
    fig.update_yaxes(title_text=f"{word}{unit or ''}", secondary_y=False)
    fig.update_yaxes(title_text="effort", secondary_y=True, showgrid=False)
    return figure_html("fig-compare", fig, 360)


# --- sensitivity --------------------------------------------------------------------------------

def sensitivity_section(data: Any, unit: str | None) -> str:
    """Tornado, frontier, probability of hitting the target, shadow prices (whichever are given)."""
    if not isinstance(data, dict):
        return _empty("sensitivity", "敏感性 Sensitivity")
    parts = [_uncertainty(pick(data, "uncertainty", "probability", "monte_carlo"), unit),
             _shadow(pick(data, "shadow_prices", "shadow", default=[])),
             _tornado(pick(data, "tornado", default=[]), pick(data, "metric", default="effort")),
             _frontier(pick(data, "frontier", default=[]), unit)]
    body = "".join(p for p in parts if p)
    if not body:
        return _empty("sensitivity", "敏感性 Sensitivity")
    return _section("sensitivity", "敏感性 Sensitivity", "what moves the plan, and how likely it is", body)


def _uncertainty(u: Any, unit: str | None) -> str:
    if not isinstance(u, dict):
        return ""
    p = num(pick(u, "p_hit", "probability", "hit_rate", "prob_hit"))
    cards = []
    if p is not None:
        cards.append(f'<div class="card hero" id="p-hit"><div class="k">达成概率 P(hit target)</div>'
                     f'<div class="v">{format_pct(p, 0)}</div><div class="n">{esc(pick(u, "samples", default=""))} samples</div></div>')
    for k in ("p10", "p50", "p90"):
        v = num(pick(u, k, k.upper()))
        if v is not None:
            cards.append(f'<div class="card"><div class="k">{k.upper()}</div><div class="v">{esc(_money(v, unit))}</div></div>')
    robust = pick(u, "robust")
    if isinstance(robust, dict):
        hit = num(pick(robust, "hit_rate", "out_of_sample", "p_hit"))
        eff = num(pick(robust, "effort"))
        cards.append(f'<div class="card"><div class="k">稳健计划 robust plan</div><div class="v">'
                     f'{"—" if eff is None else f"{eff:.2f}"}</div><div class="n">effort; hit rate '
                     f'{format_pct(hit, 0) if hit is not None else "—"}</div></div>')
    return f'<div class="cards">{"".join(cards)}</div>' if cards else ""


def _shadow(items: Any) -> str:
    lines = [pick(i, "sentence", "text") or f"{pick(i, 'what', default='')}: {pick(i, 'value', default='')}"
             if isinstance(i, dict) else str(i) for i in (items if isinstance(items, list) else [])]
    if not lines:
        return ""
    return "<h3>影子价格 What one more unit is worth</h3><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"


def tornado_rows(items: Any) -> list[tuple[str, float, float, str, str]]:
    """(name, swing at −X%, swing at +X%, hover −, hover +) per item, largest total swing last.

    Items hold the metric at the base and at each side (``base``, ``low``, ``high``) or the swings
    themselves (``swing_low``, ``swing_high``); a side that has no value (unreachable) counts as 0
    and its note (``low_note`` / ``high_note``) goes into the hover text.
    """
    rows = []
    for it in items if isinstance(items, list) else []:
        if not isinstance(it, dict):
            continue
        name = str(pick(it, "name", "what", "input", "label", default="?"))
        base = num(pick(it, "base", "baseline"))
        lo, hi = num(pick(it, "low", "down", "minus")), num(pick(it, "high", "up", "plus"))
        if base is not None and (lo is not None or hi is not None):
            lo, hi = (None if lo is None else lo - base), (None if hi is None else hi - base)
        else:
            lo, hi = num(pick(it, "swing_low", "delta_low", default=lo)), num(pick(it, "swing_high", "delta_high", default=hi))
        if lo is None and hi is None:
            continue
        tips = []
        for side, delta, value, note in (("−", lo, it.get("low_value"), it.get("low_note")),
                                         ("+", hi, it.get("high_value"), it.get("high_note"))):
            at = f" at {fmt_value(num(value))}" if num(value) is not None else ""
            tips.append(f"{ptext(name)} {side}{at}: " + (f"{delta:+.3f}" if delta is not None else "—")
                        + (f" ({ptext(note)})" if note else ""))
        rows.append((name, lo or 0.0, hi or 0.0, tips[0], tips[1]))
    return sorted(rows, key=lambda r: abs(r[1]) + abs(r[2]))  # plotly draws the last bar on top


def _tornado(items: Any, metric: str) -> str:
    rows = tornado_rows(items)
    if not rows:
        return ""
    hidden = max(0, len(rows) - MAX_TORNADO)
    rows = rows[hidden:]  # the largest swings (rows are sorted smallest first)
    names = [ptext(r[0]) for r in rows]
    fig = go.Figure([go.Bar(name="−X%", y=names, x=[r[1] for r in rows], orientation="h", marker_color=BASE,
                            customdata=[r[3] for r in rows], hovertemplate="%{customdata}<extra></extra>"),
                     go.Bar(name="+X%", y=names, x=[r[2] for r in rows], orientation="h", marker_color=TOTAL,
                            customdata=[r[4] for r in rows], hovertemplate="%{customdata}<extra></extra>")])
    fig.update_layout(**base_layout(barmode="overlay", xaxis=dict(title=f"change in {ptext(metric)}"),
                                    legend=dict(orientation="h", y=1.1), margin=dict(l=180, r=20, t=30, b=50)))
    more = f'<p class="lead">{hidden} more with smaller swings are not drawn.</p>' if hidden else ""
    return "<h3>龙卷风图 Tornado</h3>" + figure_html("fig-tornado", fig, max(260, 34 * len(rows) + 110)) + more


def _frontier(items: Any, unit: str | None) -> str:
    pts = [(num(pick(i, "target", "value", "required")), num(pick(i, "effort", "min_effort")),
            str(pick(i, "events", "note", "binding", default="") or ""), num(pick(i, "multiple")))
           for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
    pts = [p for p in pts if p[1] is not None and (p[0] is not None or p[3] is not None)]
    if not pts:
        return ""
    targets = [p[0] for p in pts if p[0] is not None]
    use_target = len(targets) == len(pts)
    scale, word = display_scale(*targets) if use_target else (1.0, "")
    x = [t / scale for t in targets] if use_target else [p[3] for p in pts]
    hover = [f"{_money(p[0], unit) if p[0] is not None else ''} {fmt_times(p[3]) if p[3] else ''}<br>effort "
             f"{p[1]:.3f}{'<br>' + ptext(p[2]) if p[2] else ''}" for p in pts]
    fig = go.Figure(go.Scatter(x=x, y=[p[1] for p in pts], mode="lines+markers", line=dict(color=TOTAL, width=3),
                               customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    fig.update_layout(**base_layout(xaxis=dict(title=f"目标 target ({word}{unit or ''})" if use_target else "multiple ×"),
                                    yaxis=dict(title="最小努力 min effort")))
    return "<h3>前沿 Frontier: the price list for ambition</h3>" + figure_html("fig-frontier", fig, 340)


# --- phasing and allocation ---------------------------------------------------------------------

def phasing_section(data: Any, unit: str | None) -> str:
    """Monthly (or weekly) targets: a phase JSON (series) and/or an allocation JSON (shares per team)."""
    items = data if isinstance(data, list) else [data]
    body = []
    for k, d in enumerate(items):
        if isinstance(d, dict) and "series" in d:
            body.append(_phase_body(d, unit, k))
        elif isinstance(d, dict) and "shares" in d:
            body.append(_allocation_body(d, unit, k))
    body = [b for b in body if b]
    if not body:
        return _empty("phasing", "分解 Phasing")
    return _section("phasing", "分解 Phasing", "targets per period, per team and owner", "".join(body))


def _period_labels(d: dict[str, Any]) -> list[str]:
    periods = pick(d, "periods", "period_labels", default=[])
    return [str(pick(p, "period", "label", default=i + 1)) if isinstance(p, dict) else str(p)
            for i, p in enumerate(periods)]


def _phase_body(d: dict[str, Any], unit: str | None, k: int) -> str:
    series = [s for s in d.get("series") or [] if isinstance(s, dict)]
    target = next((s for s in series if s.get("kind") == "target"), None)
    labels = _period_labels(d)
    if target is None or not labels:
        return ""
    vals = [num(v) or 0.0 for v in target.get("values") or []][: len(labels)]
    cum = [num(v) or 0.0 for v in target.get("cumulative") or []][: len(labels)]
    commit = [num(v) for v in target.get("commitment_values") or []][: len(labels)]
    scale, word = display_scale(*(cum or vals))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(name="目标 target (stretch)", x=labels, y=[v / scale for v in vals], marker_color=TOTAL,
                         hovertext=[_money(v, unit) for v in vals], hoverinfo="text+x+name"))
    if any(v is not None for v in commit):
        fig.add_trace(go.Scatter(name="承诺 commitment", x=labels, y=[None if v is None else v / scale for v in commit],
                                 mode="markers", marker=dict(color=BAD, symbol="line-ew-open", size=18, line=dict(width=2)),
                                 hovertext=[_money(v, unit) for v in commit], hoverinfo="text+x+name"))
    fig.add_trace(go.Scatter(name="累计 cumulative", x=labels, y=[v / scale for v in cum], mode="lines+markers",
                             line=dict(color=GOOD), hovertext=[_money(v, unit) for v in cum], hoverinfo="text+x+name"),
                  secondary_y=True)
    fig.update_layout(**base_layout(legend=dict(orientation="h", y=1.12), xaxis=dict(type="category")))
    fig.update_yaxes(title_text=f"{word}{unit or ''} per {esc(d.get('by', 'period'))}", secondary_y=False,
                     rangemode="tozero")
    fig.update_yaxes(title_text=f"累计 {word}{unit or ''}", secondary_y=True, showgrid=False, rangemode="tozero",
                     tickmode="auto", tickformat=",.0f")
    rows = [s for s in series if s.get("kind") == "flow" and s.get("owner")]
    table = _period_table([(f"{s.get('name')}{'[' + str(s['label']) + ']' if s.get('label') else ''} · "
                            f"{s.get('owner')}", s.get("values") or []) for s in rows], labels, unit=None)
    return (f"<h3>{esc(d.get('year', ''))} 目标分解 target by {esc(d.get('by', 'period'))}</h3>"
            + figure_html(f"fig-phase-{k}", fig, 360) + table)


def _allocation_body(d: dict[str, Any], unit: str | None, k: int) -> str:
    shares = [s for s in d.get("shares") or [] if isinstance(s, dict)]
    labels = _period_labels(d)
    if not shares:
        return ""
    what = "uplift 增量" if d.get("what") == "uplift" else "target 目标"
    if labels and all(s.get("periods") for s in shares):
        scale, word = display_scale(*(sum(num(v) or 0 for v in s["periods"]) for s in shares))
        fig = go.Figure([go.Bar(name=ptext(s.get("name")), x=labels, y=[(num(v) or 0) / scale for v in s["periods"]],
                                marker_color=PALETTE[i % len(PALETTE)],
                                hovertext=[_money(v, unit) for v in s["periods"]], hoverinfo="text+x+name")
                         for i, s in enumerate(shares)])
        fig.update_layout(**base_layout(barmode="stack", legend=dict(orientation="h", y=1.12, traceorder="normal"),
                                        yaxis=dict(title=f"{word}{unit or ''}"), xaxis=dict(type="category")))
        chart = figure_html(f"fig-alloc-{k}", fig, 380)
        table = _period_table([(str(s.get("name")), s["periods"]) for s in shares], labels, unit,
                              annual=[s.get("annual") for s in shares])
    else:
        chart = ""
        table = _period_table([(str(s.get("name")), []) for s in shares], [], unit,
                              annual=[s.get("annual") for s in shares])
    return f"<h3>按 {esc(d.get('method', ''))} 分配 {what} per team / owner</h3>{chart}{table}"


def _period_table(rows: list[tuple[str, list[Any]]], labels: list[str], unit: str | None,
                  annual: list[Any] | None = None) -> str:
    if not rows:
        return ""
    fmt = (lambda v: _money(v, unit)) if unit else (lambda v: fmt_value(num(v)))
    head = "".join(f"<th>{esc(p)}</th>" for p in labels) + ("<th>全年 year</th>" if annual else "")
    body = []
    for i, (name, vals) in enumerate(rows):
        cells = "".join(f"<td>{esc(fmt(v))}</td>" for v in list(vals)[: len(labels)])
        if annual:
            cells += f"<td><b>{esc(fmt(annual[i]))}</b></td>"
        body.append(f'<tr><td class="t">{esc(name)}</td>{cells}</tr>')
    return (f'<div class="scroll"><table class="periods"><thead><tr><th class="t"></th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


# --- tracking -----------------------------------------------------------------------------------

def tracking_section(data: Any, unit: str | None) -> str:
    """Completion against plan, forecast, diagnosis sentences, cumulative charts, attribution waterfall."""
    if not isinstance(data, dict):
        return _empty("tracking", "跟踪 Tracking")
    parts = [_track_summary(data, unit), _track_chart(pick(data, "completion", "periods", default=[]), unit),
             _attribution(pick(data, "attribution", default=None), unit)]
    body = "".join(p for p in parts if p)
    if not body:
        return _empty("tracking", "跟踪 Tracking")
    as_of = pick(data, "as_of", default="")
    return _section("tracking", "跟踪 Tracking", f"actual vs plan{' as of ' + esc(as_of) if as_of else ''}", body)


def _track_summary(d: dict[str, Any], unit: str | None) -> str:
    out = []
    fc = pick(d, "forecast")
    if isinstance(fc, dict):
        val = pick(fc, "year_end", "value", "forecast")
        rng = (pick(fc, "low"), pick(fc, "high"))
        verdict = pick(fc, "verdict", "sentence", default="")
        text = f"预测 forecast to year end: <b>{esc(_money(val, unit))}</b>"
        if num(rng[0]) is not None and num(rng[1]) is not None:
            text += f" ({esc(_money(rng[0], unit))} – {esc(_money(rng[1], unit))})"
        out.append(f"<p>{text}. {esc(verdict)}</p>")
    flags = pick(d, "diagnosis", "flags", "sentences", default=[])
    lines = [pick(f, "sentence", "text", default=str(f)) if isinstance(f, dict) else str(f)
             for f in (flags if isinstance(flags, list) else [flags])]
    if lines:
        out.append("<h3>诊断 Diagnosis</h3><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>")
    return "".join(out)


def _track_chart(rows: Any, unit: str | None) -> str:
    teams: dict[str, dict[str, list]] = {}
    for r in rows if isinstance(rows, list) else []:
        if not isinstance(r, dict) or pick(r, "period") is None:
            continue
        t = teams.setdefault(str(pick(r, "team", "unit", "owner", "name", default="总计 total")),
                             {"p": [], "a": [], "t": []})
        t["p"].append(str(r["period"]))
        t["a"].append(num(pick(r, "cumulative_actual", "actual_cumulative")) if
                      pick(r, "cumulative_actual", "actual_cumulative") is not None else None)
        t["t"].append(num(pick(r, "cumulative_target", "target_cumulative", "plan_cumulative")))
        t.setdefault("ra", []).append(num(pick(r, "actual")))
        t.setdefault("rt", []).append(num(pick(r, "target", "plan")))
    if not teams:
        return ""
    fig = go.Figure()
    every = [v for t in teams.values() for v in _cum(t["a"], t["ra"]) + _cum(t["t"], t["rt"]) if v is not None]
    scale, word = display_scale(*every)
    for i, (name, t) in enumerate(teams.items()):
        colour = PALETTE[i % len(PALETTE)]
        for vals, dash, what in ((_cum(t["a"], t["ra"]), "solid", "实际 actual"), (_cum(t["t"], t["rt"]), "dash", "计划 plan")):
            fig.add_trace(go.Scatter(name=f"{ptext(name)} {what}", x=t["p"], y=[None if v is None else v / scale for v in vals],
                                     mode="lines+markers", line=dict(color=colour, dash=dash),
                                     hovertext=[_money(v, unit) for v in vals], hoverinfo="text+x+name"))
    fig.update_layout(**base_layout(yaxis=dict(title=f"累计 cumulative {word}{unit or ''}"),
                                    legend=dict(orientation="h", y=1.15), xaxis=dict(type="category")))
    return "<h3>累计完成 Cumulative actual vs plan</h3>" + figure_html("fig-track", fig, 380)


def _cum(given: list, raw: list) -> list:
    """Cumulative values: as given, else the running sum of the per-period values (None stops it)."""
    if any(v is not None for v in given):
        return given
    out: list[float | None] = []
    total = 0.0
    for v in raw:
        if v is None:
            out.append(None)
            continue
        total += v
        out.append(total)
    return out


def _attribution(a: Any, unit: str | None) -> str:
    if not isinstance(a, dict):
        return ""
    items = pick(a, "contributions", "parts", "drivers", default=[])
    raw = [(str(pick(i, "driver", "name", "what", default="?")), num(pick(i, "value", "contribution")))
           for i in items if isinstance(i, dict)] if isinstance(items, list) else \
        [(str(k), num(v)) for k, v in items.items()] if isinstance(items, dict) else []
    parts = [(n, v) for n, v in raw if v is not None]
    if not parts:
        return ""
    given = num(pick(a, "gap", "total"))
    gap = math.fsum(v for _, v in parts) if given is None else given
    scale, word = display_scale(gap, *(v for _, v in parts))
    fig = go.Figure(go.Waterfall(
        x=[ptext(n) for n, _ in parts] + ["差距 gap"], y=[v / scale for _, v in parts] + [gap / scale],
        measure=["relative"] * len(parts) + ["total"], text=[fmt_signed_money(v, unit) for _, v in parts] +
        [fmt_signed_money(gap, unit)], textposition="outside",
        increasing=dict(marker=dict(color=GOOD)), decreasing=dict(marker=dict(color=BAD)),
        totals=dict(marker=dict(color=TOTAL))))
    fig.update_layout(**base_layout(showlegend=False, yaxis=dict(title=f"{word}{unit or ''}"),
                                    meta=dict(scale=scale, gap=gap)))
    sentence = pick(a, "sentence", default="")
    return ("<h3>差距归因 Attribution of the gap</h3>" + (f'<p class="lead">{esc(sentence)}</p>' if sentence else "")
            + figure_html("fig-attribution", fig, 360))
