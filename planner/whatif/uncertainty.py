"""How likely is the plan to hit its target? Vectorised Monte Carlo, a robust plan, Sobol indices.

An input's ``uncertain:`` block gives a distribution. For a scalar input it is the distribution of
the value itself; for an input with dimensions it is a factor multiplying every label's value (one
draw per sample, shared by the labels; ``mode``/``mean`` default to 1 then). Missing centres default
to the input's value. Samples go through the forward evaluator (``tree.evaluate``) in one call.

Robust plan (``robust(level)``): the quantile approach. The deterministic requirement is raised to
``required × r`` and ``r`` is bisected until the least-effort plan for it hits the true requirement
in at least ``level`` of a fixed set of in-sample draws (seeded). For one multiplicative uncertain
factor this is exactly the least-effort chance-constrained plan; with several it is a feasible
(conservative) one. Its out-of-sample hit rate is measured on fresh draws. Only the target is
sampled; constraints are held at their deterministic values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from planner.errors import InputError
from planner.optimise.verify import planned_values
from planner.tree.evaluate import evaluate
from planner.whatif.resolve import Outcome, Resolver


@dataclass
class Dist:
    name: str
    dims: tuple[str, ...]
    frozen: Any  # a frozen scipy.stats distribution
    factor: bool  # True: multiplies the input's per-label value


def distributions(resolver: Resolver) -> list[Dist]:
    """The uncertain inputs of the model, as scipy distributions."""
    out = []
    for name, inp in resolver.model.inputs.items():
        u = inp.spec.uncertain if inp.spec is not None else None
        if u is None:
            continue
        factor = bool(inp.dims)
        centre = 1.0 if factor else float(inp.value)
        out.append(Dist(name, inp.dims, _frozen(u, centre, f"inputs.{name}.uncertain"), factor))
    return out


def _frozen(u: Any, centre: float, where: str) -> Any:
    def need(*keys: str) -> None:
        missing = [k for k in keys if getattr(u, k) is None]
        if missing:
            raise InputError(f"{u.dist} needs {', '.join(missing)}", where=where,
                             hint="e.g. {dist: triangular, low: 0.6, mode: 0.8, high: 0.9}")

    if u.dist == "triangular":
        need("low", "high")
        mode = u.mode if u.mode is not None else centre
        if not u.low <= mode <= u.high or u.high <= u.low:
            raise InputError(f"triangular needs low ≤ mode ≤ high and low < high (got {u.low}, {mode}, {u.high})",
                             where=where)
        return stats.triang((mode - u.low) / (u.high - u.low), loc=u.low, scale=u.high - u.low)
    if u.dist == "uniform":
        need("low", "high")
        if u.high <= u.low:
            raise InputError("uniform needs low < high", where=where)
        return stats.uniform(loc=u.low, scale=u.high - u.low)
    if u.dist == "normal":
        need("sd")
        return stats.norm(loc=u.mean if u.mean is not None else centre, scale=u.sd)
    need("sigma")
    median = u.mean if u.mean is not None else centre
    return stats.lognorm(s=u.sigma, scale=median)


def draw(resolver: Resolver, dists: list[Dist], n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` samples of every uncertain input, shaped (n, *dims)."""
    rng = np.random.default_rng(seed)
    return _values(resolver, dists, np.column_stack([d.frozen.rvs(size=n, random_state=rng) for d in dists]))


def _values(resolver: Resolver, dists: list[Dist], cols: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for k, d in enumerate(dists):
        v = cols[:, k]
        if d.factor:
            base = resolver.model.inputs[d.name].value
            out[d.name] = v.reshape(-1, *([1] * base.ndim)) * base[None, ...]
        else:
            out[d.name] = v
    return out


def target_samples(resolver: Resolver, x: np.ndarray, samples: dict[str, np.ndarray]) -> np.ndarray:
    """The target node under the plan ``x`` for every sample (one vectorised evaluation)."""
    values: dict[str, np.ndarray] = dict(planned_values(resolver.model, resolver.sig, x))
    values.update(samples)
    n = len(next(iter(samples.values())))
    return np.asarray(evaluate(resolver.model, values, samples=n)[resolver.sc.target.node]).reshape(n)


@dataclass
class Risk:
    samples: int
    p_hit: float
    p10: float
    p50: float
    p90: float
    required: float | None
    seed: int


def risk(resolver: Resolver, out: Outcome, *, n: int = 100_000, seed: int = 0) -> Risk:
    """P(target ≥ required) and P10/P50/P90 of the target node for a plan."""
    dists = _need(resolver)
    if out.x is None:
        raise InputError("the plan has no lever values to sample", hint="the target may be out of reach")
    y = target_samples(resolver, out.x, draw(resolver, dists, n, seed))
    req = out.required
    p10, p50, p90 = np.percentile(y, [10, 50, 90])
    hit = float(np.mean(y >= req * (1 - 1e-9))) if req is not None else math.nan
    return Risk(n, hit, float(p10), float(p50), float(p90), req, seed)


def _need(resolver: Resolver) -> list[Dist]:
    dists = distributions(resolver)
    if not dists:
        raise InputError("no input declares `uncertain:`", file=resolver.sc.source, where="inputs",
                         hint="add e.g. `uncertain: {dist: triangular, low: 0.6, mode: 0.8, high: 1.0}` "
                              "to an uncontrollable input")
    return dists


@dataclass
class RobustPlan:
    level: float
    scale: float  # the deterministic requirement was raised by this factor
    outcome: Outcome | None
    in_sample: float  # hit rate on the in-sample draws
    out_of_sample: float  # hit rate on fresh draws
    in_samples: int
    message: str = ""
    uplifts: dict[str, float] = field(default_factory=dict)


def robust(resolver: Resolver, level: float, *, in_samples: int = 2000, out_samples: int = 100_000,
           seed: int = 0, iterations: int = 30) -> RobustPlan:
    """The least-effort plan (quantile approach, see the module notes) hitting the target in ≥ ``level`` of draws."""
    if not 0 < level < 1:
        raise InputError(f"--robust must be between 0 and 1 (got {level})", where="--robust", hint="e.g. --robust 0.8")
    dists = _need(resolver)
    base = resolver.base
    if base.required is None:
        raise InputError("a robust plan needs a target to hit", where="target")
    req = base.required
    ins = draw(resolver, dists, in_samples, seed)

    def rate(out: Outcome) -> float:
        if out.x is None:
            return 0.0
        return float(np.mean(target_samples(resolver, out.x, ins) >= req * (1 - 1e-9)))

    lo, hi = 1.0, 1.0
    best: tuple[float, Outcome, float] | None = None
    if base.ok and rate(base) >= level:
        best = (1.0, base, rate(base))
    else:
        hi = 1.25
        while True:  # grow the requirement until the hit rate is reached or the target is out of reach
            got = resolver.with_required(req * hi)
            if not got.ok:
                break
            r = rate(got)
            if r >= level:
                best = (hi, got, r)
                break
            lo, hi = hi, hi * 1.25
        if best is None and got is not None and not got.ok:
            top = (got.max_reachable or req) / req * (1 - 1e-6)
            if top > lo:
                cand = resolver.with_required(req * top)
                if cand.ok and rate(cand) >= level:
                    best, hi = (top, cand, rate(cand)), top
    if best is None:
        return RobustPlan(level, math.nan, None, math.nan, math.nan, in_samples,
                          f"no plan within the caps hits the target in {level:.0%} of the samples")
    hi = best[0]
    for _ in range(iterations):  # bisect down to the least requirement that still reaches the level
        if hi - lo < 1e-4 * hi:
            break
        mid = 0.5 * (lo + hi)
        got = resolver.with_required(req * mid)
        if got.ok and (r := rate(got)) >= level:
            best, hi = (mid, got, r), mid
        else:
            lo = mid
    scale, out, in_rate = best
    assert out.x is not None  # rate() > 0 needs lever values
    fresh = target_samples(resolver, out.x, draw(resolver, dists, out_samples, seed + 1))
    return RobustPlan(level, scale, out, in_rate, float(np.mean(fresh >= req * (1 - 1e-9))), in_samples,
                      uplifts=dict(out.uplifts))


def sobol_indices(resolver: Resolver, out: Outcome, *, n: int = 1024, seed: int = 0) -> list[dict[str, Any]]:
    """First-order and total Sobol indices of the target node w.r.t. each uncertain input (SALib)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    dists = _need(resolver)
    if out.x is None:
        raise InputError("the plan has no lever values to sample", hint="the target may be out of reach")
    if len(dists) < 2:
        return [{"input": dists[0].name, "S1": 1.0, "ST": 1.0, "S1_conf": 0.0, "ST_conf": 0.0}]
    problem = {"num_vars": len(dists), "names": [d.name for d in dists], "bounds": [[0.0, 1.0]] * len(dists)}
    n = 1 << max(4, math.ceil(math.log2(max(n, 16))))  # Sobol' sequences want a power of two
    u = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    u = np.clip(u, 1e-9, 1 - 1e-9)
    cols = np.column_stack([d.frozen.ppf(u[:, k]) for k, d in enumerate(dists)])
    y = target_samples(resolver, out.x, _values(resolver, dists, cols))
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return [{"input": d.name, "S1": float(res["S1"][k]), "ST": float(res["ST"][k]),
             "S1_conf": float(res["S1_conf"][k]), "ST_conf": float(res["ST_conf"][k])} for k, d in enumerate(dists)]
