"""``planner sensitivity`` as one library call: shadow prices, tornado, frontier, uncertainty → plain data.

The result dict is what ``--format json`` prints (and what ``planner report`` reads): keys
``shadow_prices``, ``tornado`` (+ ``metric``), ``frontier``, ``uncertainty`` (``p_hit``, ``p10`` …,
``robust``, ``sobol``).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from planner.optimise import SolveOptions
from planner.report.units import format_money
from planner.result import target_unit
from planner.scenario import read_yaml, resolve_extends, scenario_from_dict
from planner.whatif.resolve import Resolver
from planner.whatif.sensitivity import Sensitivity

PARTS = ("shadow", "tornado", "frontier", "uncertainty")
NOTE = ("Each number is a re-solve with the stated step, verified on the true formulas; MILP duals are not "
        "reliable here (integer levers, piecewise approximations of exp) and are not used.")


@dataclass
class SensitivityRequest:
    file: str
    scenario: str | None = None
    parts: tuple[str, ...] = PARTS
    pct: float = 0.10
    upto: float = 15.0
    points: int = 15
    samples: int = 100_000
    seed: int = 0
    robust: float | None = None
    solver: str = "highs"
    time_limit: float | None = None


def analyse(req: SensitivityRequest) -> dict[str, Any]:
    """Run the requested analyses on one scenario; uncertainty only when an input declares ``uncertain:``."""
    path = Path(req.file)
    raw = resolve_extends(path, read_yaml(path))
    sc = scenario_from_dict(raw, req.scenario, source=str(path))
    res = Resolver(sc, SolveOptions(solver=req.solver, time_limit=req.time_limit, needs=False))
    s = Sensitivity(sc, raw, res)
    out: dict[str, Any] = {"scenario": sc.scenario_name, "name": sc.name, "unit": sc.unit,
                           "target_unit": target_unit(sc.target.unit, sc.unit), "note": NOTE,
                           "metric": s.metric, "base": {"status": str(s.base.status), "effort": s.base.effort,
                                                        "required": s.base.required, "achieved": s.base.achieved,
                                                        "max_reachable": s.base.max_reachable}}
    if "shadow" in req.parts:
        out["shadow_prices"] = [asdict(p) for p in s.shadow_prices()]
    if "tornado" in req.parts:
        out["pct"] = req.pct
        out["tornado"] = [asdict(r) for r in s.tornado(req.pct)]
    if "frontier" in req.parts:
        out["frontier"] = [asdict(p) for p in s.frontier(req.upto, req.points)]
    if ("uncertainty" in req.parts and any(i.spec is not None and i.spec.uncertain is not None
                                           for i in res.model.inputs.values())) or req.robust is not None:
        out["uncertainty"] = _uncertainty(res, req)
    return out


def plain(obj: Any) -> Any:
    """Strict-JSON data: NaN → None, ±inf → "inf"/"-inf" (an unreachable side has an infinite swing)."""
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        return obj if math.isfinite(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


def _uncertainty(res: Resolver, req: SensitivityRequest) -> dict[str, Any]:
    from planner.whatif.uncertainty import risk, robust, sobol_indices

    base = res.base
    u: dict[str, Any] = {}
    if base.x is not None:
        u.update(asdict(risk(res, base, n=req.samples, seed=req.seed)))
        u["sobol"] = sobol_indices(res, base, seed=req.seed)
    if req.robust is not None:
        rb = robust(res, req.robust, out_samples=req.samples, seed=req.seed)
        u["robust"] = {"level": rb.level, "scale": rb.scale, "effort": rb.outcome.effort if rb.outcome else None,
                       "deterministic_effort": base.effort, "in_sample": rb.in_sample, "in_samples": rb.in_samples,
                       "hit_rate": rb.out_of_sample, "uplifts": rb.uplifts, "message": rb.message}
    return u


# --- rendering ------------------------------------------------------------------------------------

def _f(v: Any, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    if isinstance(v, float) and abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def sensitivity_table(d: dict[str, Any]) -> str:
    from planner.report.table import align_columns  # the shared CJK-aware column alignment

    unit = d.get("unit")  # money: budget.cost
    tunit = target_unit(d.get("target_unit"), unit)  # the target's amounts (older files: the money unit)
    b = d["base"]
    lines = [f"{d['name']} — scenario {d['scenario']} — base {b['status']}, effort {_f(b['effort'])}"
             + (f", max reachable {format_money(b['max_reachable'], tunit)}" if b.get("max_reachable") else ""),
             d["note"]]
    if "shadow_prices" in d:
        lines.append("\nshadow prices (binding caps and budgets):")
        lines += [f"  {p['sentence']}" for p in d["shadow_prices"]] or ["  none binds"]
    if "tornado" in d:
        metric = d["metric"]
        lines.append(f"\ntornado: each value ±{d['pct']:.0%}, {metric} (largest swing first)")
        rows: list[tuple[str, ...]] = [("item", "value", f"{metric} −", "base", f"{metric} +", "swing")]
        for r in d["tornado"]:
            value = format_money(r["base_value"], unit) if r["path"] == "budget.cost" else _f(r["base_value"])
            m = _f if metric == "effort" else (lambda v: _f(v) if v is None or math.isinf(v) else format_money(v, tunit))
            rows.append((r["name"], value, r["low_note"] or m(r["low"]), m(r["base"]),
                         r["high_note"] or m(r["high"]), m(r["swing"])))
        lines += align_columns(rows)
    if "frontier" in d:
        lines.append("\nfrontier: minimum effort by target")
        rows = [("×", "target", "effort", "events")]
        for p in d["frontier"]:
            rows.append(("—" if p["multiple"] is None else f"{p['multiple']:.2f}", format_money(p["target"], tunit),
                         _f(p["effort"]) if p["effort"] is not None else p["status"], p["events"]))
        lines += align_columns(rows)
    u = d.get("uncertainty")
    if u:
        lines.append("\nuncertainty:")
        if "p_hit" in u:
            lines.append(f"  P(hit target) {u['p_hit']:.1%} over {u['samples']:,} samples; P10 "
                         f"{format_money(u['p10'], tunit)}, P50 {format_money(u['p50'], tunit)}, P90 "
                         f"{format_money(u['p90'], tunit)}")
        for s in u.get("sobol", []):
            lines.append(f"  Sobol {s['input']}: S1 {s['S1']:.3f}, ST {s['ST']:.3f}")
        rb = u.get("robust")
        if rb:
            lines.append(f"  robust {rb['level']:.0%}: " + (rb["message"] or
                         f"effort {_f(rb['effort'])} (deterministic {_f(rb['deterministic_effort'])}), in-sample hit "
                         f"{rb['in_sample']:.1%} of {rb['in_samples']:,}, out-of-sample {rb['hit_rate']:.1%}"))
    return "\n".join(lines) + "\n"


def sensitivity_sheets(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Flat rows per view (for CSV and xlsx)."""
    sheets: dict[str, list[dict[str, Any]]] = {}
    if "shadow_prices" in d:
        sheets["shadow_prices"] = d["shadow_prices"]
    if "tornado" in d:
        sheets["tornado"] = d["tornado"]
    if "frontier" in d:
        sheets["frontier"] = [{k: v for k, v in p.items() if k != "uplifts"} | {f"uplift:{k}": v for k, v in
                                                                               p["uplifts"].items()}
                              for p in d["frontier"]]
    u = d.get("uncertainty") or {}
    if u:
        sheets["uncertainty"] = [{k: v for k, v in u.items() if k not in ("sobol", "robust")}]
        if u.get("sobol"):
            sheets["sobol"] = u["sobol"]
        if u.get("robust"):
            sheets["robust"] = [{k: v for k, v in u["robust"].items() if k != "uplifts"}]
    return sheets


def sensitivity_csv(d: dict[str, Any]) -> str:
    """All views in one long CSV: view, item, field, value."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["view", "row", "field", "value"])
    for view, rows in sensitivity_sheets(d).items():
        for i, r in enumerate(rows):
            for k, v in r.items():
                w.writerow([view, i + 1, k, "" if v is None else v])
    return buf.getvalue()
