"""Scenario files: YAML → validated ``Scenario`` (pydantic), named what-ifs applied as overrides.

The field names here are the file format contract of issue #2. Unknown keys are errors with a
"did you mean" hint; YAML tags that would construct objects are refused by ``yaml.safe_load``.
"""

from __future__ import annotations

import copy
import difflib
from datetime import date as _Date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planner.errors import InputError

Number = float
PerLabel = float | dict[str, Any]  # a number, or {label: number} (nested for two dimensions)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class EffortStep(_Strict):
    upto: float = Field(gt=1.0, description="uplift (×) up to which this weight applies")
    weight: float = Field(ge=0.0)


class Uncertainty(_Strict):
    """How a fixed or uncontrollable input may vary (``planner sensitivity``, ``planner batch --sample``).

    For a scalar input the distribution is of its value; for an input with dimensions it is of a factor
    multiplying every label's value (centre 1). triangular: low, high, mode (default: the value);
    uniform: low, high; normal: mean (default: the value), sd; lognormal: median ``mean`` (default: the
    value) and log-sd ``sigma``.
    """

    dist: Literal["triangular", "normal", "uniform", "lognormal"]
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    sigma: float | None = None


class History(_Strict):
    """How ``planner calibrate`` computes this input's baseline from history records (README, "Declaring how an input is computed").

    ``source`` names a table: a ``--history`` file (by its stem), a ``--sql`` query (by its stem), a
    table of the ``--db`` database, or a .csv/.parquet/.sql path relative to the scenario file.
    """

    source: str
    agg: Literal["sum", "mean", "median", "ratio", "count", "last"] = "sum"
    value: str | None = None  # column (or SQL expression) aggregated; for count: count distinct values
    numerator: str | None = None  # ratio = sum(numerator) / sum(denominator)
    denominator: str | None = None
    by: str | list[str] | None = None  # column(s) holding the input's dimension labels, in dims order
    labels: dict[str, str | list[str]] | None = None  # dimension label → value(s) found in the `by` column
    where: str | None = None  # SQL condition selecting the rows
    date: str | None = None  # date column; rows must fall inside `period`
    period: int | str | list[_Date | int | str] | None = None  # 2025, "2025-10", or [start, end] (inclusive)
    per: str | list[str] | None = None  # sum per these columns / day|week|month|quarter first, then agg
    annualise: bool = False  # scale sums of labels active < 12 months to a full year
    nominal: PerLabel | None = None  # the value to use instead of the computed mean (rows that differ are counted)
    key: str | list[str] | None = None  # column(s) that identify a row: duplicates are errors
    signed: bool = False  # allow negative values (refunds); by default a negative value is bad data

    @model_validator(mode="after")
    def _fields_for_agg(self) -> History:
        if self.agg == "ratio" and not (self.numerator and self.denominator):
            raise ValueError("agg: ratio needs `numerator` and `denominator` (ratio = sum(numerator) / sum(denominator))")
        if self.agg in ("sum", "mean", "median", "last") and not self.value:
            raise ValueError(f"agg: {self.agg} needs `value` (the column to aggregate)")
        if self.agg == "last" and not self.date:
            raise ValueError("agg: last needs `date` (the latest date's rows give the value)")
        if self.annualise and (self.agg not in ("sum", "count") or not self.date):
            raise ValueError("annualise works on agg: sum or count with a `date` column (it scales totals by months)")
        if self.nominal is not None and self.agg not in ("mean", "median"):
            raise ValueError("`nominal` overrides a mean or median; use it with agg: mean or median")
        if self.per and self.agg in ("ratio", "last"):
            raise ValueError(f"`per` cannot be combined with agg: {self.agg}")
        return self


def _no_bool(v: Any) -> Any:
    # pydantic reads `true` as 1.0: a silent wrong number. Refuse it (also inside per-label maps).
    values = v.values() if isinstance(v, dict) else [v]
    if any(isinstance(x, bool) for x in values):
        raise ValueError("expected a number. Hint: write a plain number such as 1000 or 0.02, not true/false")
    for x in values:
        if isinstance(x, dict):
            _no_bool(x)
    return v


class InputSpec(_Strict):
    baseline: PerLabel | None = None
    dims: list[str] | None = None
    fixed: bool = False
    uncontrollable: bool = False
    assume: PerLabel | None = None
    min: PerLabel | None = None
    max: PerLabel | None = None
    max_uplift: PerLabel | None = None
    effort: float | list[EffortStep] = 1.0
    owner: str | None = None
    direction: Literal["up", "down"] = "up"
    integer: bool = False
    cost: PerLabel | None = None
    flow: bool = False
    unit: str | None = None
    note: str | None = None
    uncertain: Uncertainty | None = None
    history: History | None = None

    @field_validator("baseline", "assume", "min", "max", "max_uplift", "cost", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        return _no_bool(v)

    @field_validator("effort")
    @classmethod
    def _convex_steps(cls, v: float | list[EffortStep]) -> float | list[EffortStep]:
        if isinstance(v, list):
            if not v:
                raise ValueError("an effort step list needs at least one {upto, weight}")
            for a, b in zip(v, v[1:], strict=False):
                if b.upto <= a.upto:
                    raise ValueError(f"effort steps must have increasing `upto` ({a.upto} then {b.upto})")
                if b.weight < a.weight:
                    raise ValueError(
                        f"effort weights must not decrease (weight {a.weight} up to {a.upto}× then {b.weight} "
                        f"up to {b.upto}×): decreasing weights make effort non-convex. Hint: order the steps "
                        "so that later (larger) uplifts cost at least as much per unit")
        elif v < 0:
            raise ValueError("effort weight must be ≥ 0")
        return v

    @model_validator(mode="after")
    def _kinds(self) -> InputSpec:
        if self.fixed and self.uncontrollable:
            raise ValueError("an input is either fixed or uncontrollable, not both. Hint: keep `fixed: true` for "
                             "values the team sets by policy, `uncontrollable: true` for values others decide")
        return self

    @property
    def kind(self) -> str:
        return "fixed" if self.fixed else "uncontrollable" if self.uncontrollable else "lever"


class Target(_Strict):
    node: str
    at_least: float | None = None
    multiple: float | None = Field(default=None, gt=0)
    margin: float = Field(default=0.0, ge=0.0, le=10.0)
    unit: str | None = None  # unit of the target node (e.g. 个); absent → the scenario's money `unit`

    @model_validator(mode="after")
    def _one(self) -> Target:
        if self.at_least is not None and self.multiple is not None:
            raise ValueError("give either `at_least` or `multiple`, not both. Hint: delete one of them "
                             "(`at_least` is an absolute value, `multiple` a multiple of the baseline)")
        return self


class Budget(_Strict):
    cost: float | None = Field(default=None, ge=0)
    effort: float | None = Field(default=None, ge=0)


class Scenario(_Strict):
    name: str = "scenario"
    description: str | None = None
    unit: str | None = None
    extends: str | None = None
    dimensions: dict[str, list[str]] = Field(default_factory=dict)
    inputs: dict[str, InputSpec]
    nodes: dict[str, str] = Field(default_factory=dict)
    constraints: dict[str, str] = Field(default_factory=dict)
    budget: Budget = Field(default_factory=Budget)
    target: Target
    objective: Literal["min_effort", "max_target", "min_max_effort"] = "min_effort"
    scenarios: dict[str, dict[str, Any]] = Field(default_factory=dict)
    seasonality: dict[str, Any] | None = None
    # `planner batch --sample N`: dotted path → [low, high], e.g. {"inputs.targeting.assume": [0.8, 1.1]}
    sample_ranges: dict[str, Any] = Field(default_factory=dict)
    # Set by load_scenario, not read from the file.
    scenario_name: str = Field(default="base", exclude=True)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("dimensions")
    @classmethod
    def _labels(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for dim, labels in v.items():
            labels[:] = [str(x) for x in labels]
            if not labels:
                raise ValueError(f"dimension {dim!r} has no labels")
            dup = {x for x in labels if labels.count(x) > 1}
            if dup:
                raise ValueError(f"dimension {dim!r} repeats labels {sorted(dup)}")
        return v

    @model_validator(mode="after")
    def _target_given(self) -> Scenario:
        if self.objective != "max_target" and self.target.at_least is None and self.target.multiple is None:
            raise ValueError("target needs `at_least` or `multiple` (only `objective: max_target` may omit both). "
                             "Hint: add e.g. `multiple: 2` under target:")
        return self


# --- loading -------------------------------------------------------------------------------------

_OVERRIDABLE = ("inputs", "target", "budget", "objective", "constraints", "description", "name")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping safely (no object-constructing tags), with a clear error on bad syntax."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), hint="check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path),
                         hint="save the file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        if str(exc.problem).startswith("duplicate key"):
            raise InputError(f"{exc.problem}{_mark(exc)}", file=str(path),
                             hint="each key may appear once in a mapping; merge or rename the two entries") from None
        raise InputError(f"YAML tag not allowed: {exc.problem}{_mark(exc)}", file=str(path),
                         hint="scenario files hold plain data; remove tags like !!python/object") from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML syntax error: {getattr(exc, 'problem', exc)}{_mark(exc)}", file=str(path),
                         hint="check indentation and that every `key: value` has a space after the colon") from None
    if not isinstance(data, dict):
        raise InputError("the file must hold a mapping of keys (name:, inputs:, nodes:, target: ...)",
                         file=str(path), hint="start from a shipped example in scenarios/ and edit it")
    return data


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.safe_load`` that refuses a key given twice (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _mark(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""


def load_scenario(path: str | Path, scenario: str | None = None) -> Scenario:
    """Load and validate a scenario file; apply the named what-if from its ``scenarios:`` block."""
    path = Path(path)
    raw = resolve_extends(path, read_yaml(path))
    return scenario_from_dict(raw, scenario, source=str(path))


def resolve_extends(path: Path, raw: dict[str, Any], _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Apply ``extends: base.yaml`` (relative to the file): the base, overridden by this file."""
    parent = raw.get("extends")
    if not parent:
        return raw
    base_path = (path.parent / str(parent)).resolve()
    if str(base_path) in _seen:
        raise InputError(f"`extends` loops back to {base_path}", file=str(path), where="extends")
    base = resolve_extends(base_path, read_yaml(base_path), (*_seen, str(base_path)))
    child = {k: v for k, v in raw.items() if k != "extends"}
    return deep_merge(base, child)


def scenario_from_dict(raw: dict[str, Any], scenario: str | None = None, *, source: str | None = None) -> Scenario:
    raw = copy.deepcopy(raw)
    name = "base"
    for what_if, override in (raw.get("scenarios") or {}).items():
        # A typo in a what-if that is not run today is still a broken file: check them all.
        _check_override(raw, override, where=f"scenarios.{what_if}", source=source)
    if scenario and scenario != "base":
        named = raw.get("scenarios") or {}
        if scenario not in named:
            raise InputError(f"no scenario named {scenario!r}", file=source, where="scenarios",
                             hint=_did_you_mean(scenario, list(named)) or f"known: {', '.join(named) or 'none'}")
        raw = apply_override(raw, named[scenario], where=f"scenarios.{scenario}", source=source)
        name = scenario
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        err = _translate(exc, raw, source)
        if name != "base" and err.where and _has_path(named[scenario], err.where):
            err.where = f"scenarios.{scenario}.{err.where}"  # the bad value came from the what-if
        raise err from None
    sc.scenario_name = name
    sc.source = source
    return sc


def apply_override(raw: dict[str, Any], override: dict[str, Any], *, where: str, source: str | None) -> dict[str, Any]:
    """Deep-merge an override; unknown inputs are errors; ``at_least`` and ``multiple`` replace each other."""
    _check_override(raw, override, where=where, source=source)
    merged = deep_merge(raw, override)
    tgt = override.get("target") or {}
    if "at_least" in tgt and "multiple" not in tgt:
        merged["target"].pop("multiple", None)
    if "multiple" in tgt and "at_least" not in tgt:
        merged["target"].pop("at_least", None)
    return merged


def _check_override(raw: dict[str, Any], override: Any, *, where: str, source: str | None) -> None:
    if not isinstance(override, dict):
        raise InputError("an override must be a mapping", file=source, where=where,
                         hint="write e.g. `悲观: {inputs: {x: {assume: 0.6}}}`")
    for key in override:
        if key not in _OVERRIDABLE:
            raise InputError(f"cannot override {key!r}", file=source, where=f"{where}.{key}",
                             hint=_did_you_mean(key, list(_OVERRIDABLE)) or f"overridable: {', '.join(_OVERRIDABLE)}")
    inputs = raw.get("inputs") or {}
    for name in (override.get("inputs") or {}):
        if name not in inputs:
            raise InputError(f"overrides unknown input {name!r}", file=source, where=f"{where}.inputs.{name}",
                             hint=_did_you_mean(name, list(inputs)) or "add the input under inputs: first")


def _has_path(d: Any, dotted: str) -> bool:
    for key in dotted.split("."):
        if not isinstance(d, dict) or key not in d:
            return False
        d = d[key]
    return True


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _did_you_mean(word: str, choices: list[str]) -> str | None:
    # 0.5, not difflib's 0.6: short keys (`maks` for `max`) score 0.57.
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else None


def _translate(exc: ValidationError, raw: dict[str, Any], source: str | None) -> InputError:
    """First pydantic error → one planner error with key path and hint."""
    errors = exc.errors()
    # An unknown key explains the rest (a misspelt `target` also makes `target` missing): report it first.
    # Otherwise the deepest: in a union (`effort: 1.5` or a step list) the branch that got furthest
    # explains the mistake; the shallow "not a number" of the other branch does not.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), None) or max(errors, key=lambda e: len(e["loc"]))
    loc = [str(p) for p in err["loc"] if not str(p).startswith(("function-", "list[", "float", "dict["))]
    path = ".".join(loc)
    etype = err["type"]
    if etype == "extra_forbidden":
        known = _known_keys(loc[:-1])
        hint = _did_you_mean(loc[-1], known) or (f"known keys here: {', '.join(known)}" if known else None)
        return InputError(f"unknown key {loc[-1]!r}", file=source, where=path, hint=hint)
    if etype == "missing":
        return InputError(f"missing required key {loc[-1]!r}", file=source, where=path,
                          hint=f"add `{loc[-1]}:` here (see the scenario format in README)")
    msg, _, hint = err["msg"].removeprefix("Value error, ").partition(" Hint: ")
    msg = msg.removesuffix(".")
    got = err.get("input")
    if etype.startswith(("float", "int")) or "number" in msg:
        msg = f"{msg} (got {got!r})"
        hint = hint or "write a plain number such as 1000 or 0.02 (no units, no thousands separators)"
    elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        msg = f"{msg} (got {got!r})"
        hint = hint or "negative or out-of-range values make no sense here; correct the sign or the value"
    return InputError(msg, file=source, where=path or None,
                      hint=hint or f"correct the value of `{path or 'the file'}` (see the scenario format in README)")


def _known_keys(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Scenario
    fields = {"inputs": InputSpec, "target": Target, "budget": Budget}
    if loc and loc[0] in fields:
        model = fields[loc[0]]
    if loc and loc[-1] == "uncertain":
        model = Uncertainty
    if loc and loc[-1] == "history":
        model = History
    return [n for n, f in model.model_fields.items() if not f.exclude]
