"""The calibrated scenario as YAML text, with a provenance comment above each calibrated input,
and the same provenance as a side table (JSON or CSV) for tools.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from planner.calibration.aggregate import InputResult, num


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line: {信托: 1000000, 资管: 1000000}."""


class _FlowList(list):  # type: ignore[type-arg]
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _flowed(x: Any) -> Any:
    """Per-label numbers ({label: number}, nested) and scalar lists go on one line; the rest stays block style."""
    if isinstance(x, dict):
        inner = {k: _flowed(v) for k, v in x.items()}
        if inner and all(isinstance(v, _Flow) or _is_number(v) for v in inner.values()):
            return _Flow(inner)
        return inner
    if isinstance(x, list):
        items = [_flowed(v) for v in x]
        return _FlowList(items) if all(not isinstance(v, dict | list) for v in items) else items
    return x


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def dump(data: dict[str, Any]) -> str:
    return yaml.dump(_flowed(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


def render_yaml(data: dict[str, Any], results: dict[str, InputResult], scenario: str,
                seasonality: dict[str, Any] | None) -> str:
    """The calibrated scenario: a header, then the YAML with a comment block above each calibrated input."""
    head = [f"# Calibrated by `planner calibrate` from {scenario}.",
            f"# Baselines of {len(results)} input(s) come from history records (provenance above each one);",
            "# everything else is as written in the source scenario."]
    if seasonality:
        head.append(f"# seasonality.monthly: index per month (mean 1) from {seasonality.get('source')}, "
                    f"{seasonality.get('basis')}.")
    lines = dump(data).splitlines()
    out: list[str] = []
    in_inputs = False
    for line in lines:
        if line and not line.startswith((" ", "#")):
            in_inputs = line.startswith("inputs:")
        name = _input_key(line) if in_inputs else None
        if name in results:
            out += ["  " + c for c in provenance_lines(results[name])]
        out.append(line)
    return "\n".join(head + out) + "\n"


def _input_key(line: str) -> str | None:
    if not line.startswith("  ") or line.startswith("   ") or ":" not in line:
        return None
    key = line[2:].split(":", 1)[0]
    return key.strip("'\"")


def provenance_lines(res: InputResult) -> list[str]:
    """Comment lines: source, period, rows, method, per-label detail and flags."""
    out = [f"# ── calibrated from {res.source} · period {res.period} · {res.rows:,} rows",
           f"#    method: {res.method}"]
    for lr in res.labels:
        name = " / ".join(lr.label) or "value"
        bits = [f"{lr.rows:,} rows"]
        if lr.units is not None:
            bits.append(f"{lr.units:,} units")
        if lr.months is not None:
            bits.append(f"{lr.months} months")
        if lr.numerator is not None:
            bits.append(f"{num(lr.numerator)} / {num(lr.denominator or 0)}")
        if lr.spread:
            s = lr.spread
            bits.append(f"mean {num(s['mean'])}, median {num(s['median'])}, sd {num(s['sd'])} "
                        f"(cv {s['cv']:.2f}), p10..p90 {num(s['p10'])}..{num(s['p90'])}")
        if lr.disagree is not None:
            bits.append(f"nominal {num(lr.value)} (computed {num(lr.computed)}; {lr.disagree} differ)")
        if lr.factor is not None and lr.factor != 1:
            bits.append(f"annualised {num(lr.computed)} × {lr.factor:.4g}")
        out.append(f"#    {name} = {num(lr.value)}: {'; '.join(bits)}")
    out += [f"#    ! {f}" for f in res.flags]
    return out


def report_dict(scenario: str, output: str | None, results: dict[str, InputResult],
                seasonality: dict[str, Any] | None) -> dict[str, Any]:
    """The side table: provenance per input and label, plain JSON types."""
    def label(lr: Any) -> dict[str, Any]:
        d = {k: v for k, v in vars(lr).items() if v is not None}
        d["label"] = " / ".join(lr.label) or None
        for k in ("first", "last"):
            if k in d:
                d[k] = d[k].isoformat()
        return d

    return {"scenario": scenario, "output": output,
            "inputs": [{"name": r.name, "source": r.source, "period": r.period, "method": r.method, "rows": r.rows,
                        "dims": list(r.dims), "baseline": r.baseline(), "flags": r.flags, "ignored": r.ignored,
                        "labels": [label(x) for x in r.labels]} for r in results.values()],
            "seasonality": seasonality}


def report_text(report: dict[str, Any], fmt: str) -> str:
    """JSON, or CSV with one row per input and label."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    import csv
    import io

    buf = io.StringIO()
    cols = ["input", "label", "value", "computed", "rows", "units", "months", "factor", "disagree", "source",
            "period", "method", "flags"]
    w = csv.writer(buf)
    w.writerow(cols)
    for inp in report["inputs"]:
        for lab in inp["labels"]:
            w.writerow([inp["name"], lab.get("label") or "", lab["value"], lab["computed"], lab["rows"],
                        lab.get("units", ""), lab.get("months", ""), lab.get("factor", ""), lab.get("disagree", ""),
                        inp["source"], inp["period"], inp["method"],
                        " | ".join(f for f in inp["flags"] if not lab.get("label") or f" {lab['label']}:" in f)])
    return buf.getvalue()
