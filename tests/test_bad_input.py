"""Bad input never gives a traceback: exit 1 with the file, the key path or formula, a column, a hint.

Every case runs ``planner solve FILE`` through click's CliRunner on a broken copy of the tiny
scenario (tests/conftest.py). The good-path checks at the end pin the exit codes 0 and 3 and the
JSON / CSV contract of issue #2 §6.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from planner.cli import main
from planner.errors import InputError
from planner.scenario import load_scenario


def run(*args: Any) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_bad(result: Result, path: Path, *needles: str) -> None:
    """Exit 1, no traceback, the file named, a hint, and every needle in the message."""
    out = result.output
    assert result.exit_code == 1, out
    assert "Traceback" not in out
    assert "internal error" not in out, out
    assert str(path) in out, out
    assert "Hint:" in out, out
    for needle in needles:
        assert needle in out, f"{needle!r} not in:\n{out}"


def set_at(sc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """Set ``a.b.c`` in a nested dict (creating levels) and return the dict."""
    *head, last = dotted.split(".")
    level = sc
    for key in head:
        level = level.setdefault(key, {})
    level[last] = value
    return sc


def drop_at(sc: dict[str, Any], dotted: str) -> dict[str, Any]:
    *head, last = dotted.split(".")
    level = sc
    for key in head:
        level = level[key]
    del level[last]
    return sc


Mutation = Callable[[dict[str, Any]], dict[str, Any]]


def rename(dotted: str, new: str) -> Mutation:
    def go(sc: dict[str, Any]) -> dict[str, Any]:
        *head, last = dotted.split(".")
        level = sc
        for key in head:
            level = level[key]
        level[new] = level.pop(last)
        return sc
    return go


def node(key: str, formula: str) -> Mutation:
    return lambda sc: set_at(sc, f"nodes.{key}", formula)


def formula_case(formula: str) -> Mutation:
    """Replace the per-product sales formula."""
    return node("sales[product]", formula)


# (id, mutation of the tiny scenario, text the message must contain)
CASES: list[Any] = [
    pytest.param(rename("target", "targt"), ["unknown key 'targt'", "did you mean 'target'"], id="unknown-key-top"),
    pytest.param(rename("inputs.customers.max", "maks"), ["inputs.customers.maks", "did you mean 'max'"],
                 id="unknown-key-input"),
    pytest.param(rename("target.multiple", "multipel"), ["target.multipel", "did you mean 'multiple'"],
                 id="unknown-key-target"),
    pytest.param(lambda sc: set_at(sc, "budget.cots", 5), ["budget.cots", "did you mean 'cost'"],
                 id="unknown-key-budget"),
    pytest.param(lambda sc: drop_at(sc, "inputs.customers.baseline"), ["inputs.customers.baseline", "missing"],
                 id="missing-baseline"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.baseline", "lots"), ["inputs.customers.baseline", "'lots'"],
                 id="non-numeric-baseline"),
    pytest.param(lambda sc: set_at(sc, "inputs.conversion.baseline.b", "high"),
                 ["inputs.conversion.baseline.b", "'high'"], id="non-numeric-label-baseline"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.max", -5), ["inputs.customers.max", "-5"],
                 id="negative-max"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.min", -1), ["inputs.customers.min", "-1"],
                 id="negative-min"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.cost", -100), ["inputs.customers.cost", "-100"],
                 id="negative-cost"),
    pytest.param(lambda sc: set_at(sc, "budget.cost", -1000), ["budget.cost", "-1000"], id="negative-budget"),
    pytest.param(lambda sc: set_at(sc, "budget.effort", -1), ["budget.effort", "-1"], id="negative-effort-budget"),
    pytest.param(formula_case("custmers * conversion[product] * price[product]"),
                 ["'custmers'", "did you mean 'customers'", "column 1", "nodes.sales[product]"],
                 id="unknown-name"),
    pytest.param(lambda sc: set_at(sc, "constraints.cap", "sum(sales) <= custmers * 30"),
                 ["'custmers'", "did you mean 'customers'", "constraints.cap", "column 15"],
                 id="unknown-name-in-constraint"),
    pytest.param(lambda sc: node("x", "y + 1")(node("y", "2 * x")(sc)), ["cycle: ", "y → x → y", "nodes.y"], id="cycle"),
    pytest.param(node("scalar_sales", "customers * conversion[product]"),
                 ["nodes.scalar_sales", "dimension mismatch", "['product']", "scalar"], id="dim-mismatch-scalar"),
    pytest.param(node("bad_sum", "sum(customers, product)"),
                 ["nodes.bad_sum", "sum over 'product'", "does not vary"], id="dim-mismatch-sum"),
    pytest.param(lambda sc: set_at(sc, "inputs.conversion.baseline", {"a": 0.1}),
                 ["inputs.conversion.baseline", "['b'] missing"], id="label-missing"),
    pytest.param(lambda sc: set_at(sc, "inputs.conversion.baseline", {"a": 0.1, "b": 0.2, "c": 0.3}),
                 ["inputs.conversion.baseline", "unknown label", "'c'"], id="unknown-label-baseline"),
    pytest.param(lambda sc: set_at(sc, "inputs.conversion.max_uplift", {"a": 2, "z": 2}),
                 ["inputs.conversion.max_uplift", "'b'"], id="unknown-label-per-label-field"),
    pytest.param(formula_case("customers * conversion[z] * price[product]"),
                 ["'z'", "nodes.sales[product]"], id="unknown-label-formula"),
    pytest.param(lambda sc: set_at(set_at(sc, "inputs.customers.min", 5000), "inputs.customers.max", 3000),
                 ["inputs.customers.min", "min > max", "5000"], id="min-gt-max"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.max", 500),
                 ["inputs.customers.baseline", "outside its bounds"], id="baseline-outside-bounds"),
    pytest.param(lambda sc: set_at(sc, "inputs.conversion.effort", [{"upto": 1.2, "weight": 4.0},
                                                                    {"upto": 1.5, "weight": 1.0}]),
                 ["inputs.conversion.effort", "must not decrease", "non-convex"], id="non-convex-effort"),
    pytest.param(lambda sc: set_at(sc, "target.node", "totl"), ["target.node", "'totl'", "did you mean 'total'"],
                 id="target-missing"),
    pytest.param(lambda sc: set_at(sc, "target.node", "sales"), ["target.node", "'sales'", "sum(sales)"],
                 id="target-indexed"),
    pytest.param(lambda sc: set_at(sc, "scenarios", {"more": {"inputs": {"custmers": {"max": 9000}}}}),
                 ["scenarios.more.inputs.custmers", "did you mean 'customers'"], id="override-unknown-input"),
    pytest.param(formula_case("customers.__class__"), ["attribute access", "column 10", "nodes.sales[product]"],
                 id="attribute-access"),
    pytest.param(formula_case("__import__('os')"), ["calling `__import__`", "column 1"], id="call-import"),
    pytest.param(formula_case("customers * eval('1')"), ["calling `eval`", "column 13"], id="call-eval"),
    pytest.param(formula_case("open('x')"), ["calling `open`", "column 1"], id="call-open"),
    pytest.param(formula_case("(lambda: 1)()"), ["calling `lambda: 1`", "column 1"], id="call-lambda"),
    pytest.param(formula_case("customers * (lambda x: x)"), ["Lambda", "column 14"], id="lambda"),
    pytest.param(formula_case("(customers + price)[a]"), ["indexing anything but a name", "column 1"],
                 id="subscript-non-name"),
    pytest.param(formula_case("'abc' * customers"), ["the constant 'abc'", "column 1"], id="string"),
    pytest.param(formula_case("customers * conversion[product] * price[product] +"),
                 ["cannot parse", "(at the end)"], id="formula-syntax"),
    pytest.param(formula_case("customers conversion"), ["cannot parse", "column 11"], id="formula-syntax-column"),
    pytest.param(formula_case("customers * 1e400"), ["non-finite number 1e400", "column 13"], id="formula-inf"),
    pytest.param(formula_case(" + ".join(["customers"] * 5000)), ["too long"], id="formula-too-long"),
    pytest.param(lambda sc: set_at(sc, "constraints.cap", "total == 5"), ["constraints.cap", "one comparison"],
                 id="constraint-equality"),
    pytest.param(node("s2[prod]", "sales"), ["nodes.s2[prod]", "unknown dimension 'prod'"], id="unknown-dimension"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.baseline", True), ["inputs.customers.baseline", "True"],
                 id="boolean-baseline"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.baseline", float("inf")),
                 ["inputs.customers.baseline", "finite"], id="infinite-baseline"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.max_uplift", 0.5), ["inputs.customers.max_uplift", "≥ 1"],
                 id="max-uplift-below-1"),
    pytest.param(lambda sc: set_at(sc, "inputs.conversion.effort", [{"upto": 0.5, "weight": 1.0}]),
                 ["inputs.conversion.effort.0.upto", "greater than 1", "0.5"], id="effort-step-below-1"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.direction", "sideways"),
                 ["inputs.customers.direction", "'up' or 'down'"], id="bad-direction"),
    pytest.param(lambda sc: set_at(sc, "inputs.price.uncontrollable", True), ["inputs.price", "not both"],
                 id="fixed-and-uncontrollable"),
    pytest.param(lambda sc: node("per_zero", "total / zero")(set_at(sc, "inputs.zero",
                                                                    {"baseline": 0, "fixed": True})),
                 ["division by 'zero'", "nodes.per_zero"], id="division-by-zero-input"),
    pytest.param(lambda sc: set_at(sc, "inputs.customers.baseline", 0), ["inputs.customers.baseline", "> 0"],
                 id="lever-baseline-zero"),
    pytest.param(lambda sc: set_at(sc, "target.at_least", 50000), ["target", "at_least", "multiple"],
                 id="at-least-and-multiple"),
]


@pytest.mark.parametrize(("mutate", "needles"), CASES)
def test_bad_scenario_exits_1_with_path_and_hint(write_yaml, tiny_scenario, mutate, needles, tmp_path):
    path = write_yaml(mutate(tiny_scenario))
    out = tmp_path / "plan.json"
    scenario = ["--scenario", "more"] if "scenarios" in tiny_scenario else []
    result = run("solve", path, *scenario, "--format", "json", "-o", out)
    assert_bad(result, path, *needles)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]  # no temporary or partial file either


def test_unknown_override_is_an_error_even_when_that_scenario_is_not_run(write_yaml, tiny_scenario):
    # A typo in a what-if the user does not run today is still a broken file.
    tiny_scenario["scenarios"] = {"more": {"inputs": {"custmers": {"max": 9000}}}}
    path = write_yaml(tiny_scenario)
    assert_bad(run("solve", path), path, "scenarios.more.inputs.custmers", "did you mean 'customers'")


def test_yaml_syntax_error_gives_line_and_column(write_yaml):
    path = write_yaml("name: x\ninputs:\n  a: {baseline: 1\ntarget: {node: a}\n")
    assert_bad(run("solve", path), path, "YAML syntax error", "line 4", "column")


def test_yaml_tab_indentation(write_yaml):
    path = write_yaml("name: x\ninputs:\n\ta: 1\n")
    assert_bad(run("solve", path), path, "line 3", "column 1")


def test_yaml_object_tag_is_refused_and_nothing_runs(write_yaml, tmp_path):
    marker = tmp_path / "pwned"
    path = write_yaml(f'name: !!python/object/apply:os.system ["touch {marker}"]\ninputs: {{}}\n')
    assert_bad(run("solve", path), path, "YAML tag not allowed", "python/object/apply:os.system")
    assert not marker.exists()
    with pytest.raises(InputError):
        load_scenario(path)
    assert not marker.exists()


def test_duplicate_key_is_not_silently_dropped(write_yaml):
    path = write_yaml("name: x\ninputs:\n  a: {baseline: 1}\n  b: {baseline: 2}\n  a: {baseline: 3}\n"
                      "nodes: {t: a * b}\ntarget: {node: t, multiple: 2}\n")
    assert_bad(run("solve", path), path, "duplicate key 'a'", "line 5", "column 3")


def test_not_a_mapping(write_yaml):
    path = write_yaml("- just\n- a list\n")
    assert_bad(run("solve", path), path, "mapping")


def test_empty_file(write_yaml):
    path = write_yaml("")
    assert_bad(run("solve", path), path, "mapping")


def test_file_not_found(tmp_path):
    path = tmp_path / "nope.yaml"
    assert_bad(run("solve", path), path, "file not found")


def test_directory_is_a_usage_error(tmp_path):
    result = run("solve", tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_non_utf8_file(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 电销中心\n".encode("gbk"))
    assert_bad(run("solve", path), path, "not UTF-8", "byte")


def test_unknown_scenario_name(write_yaml, tiny_scenario):
    tiny_scenario["scenarios"] = {"悲观": {"inputs": {"customers": {"max": 1500}}}}
    path = write_yaml(tiny_scenario)
    assert_bad(run("solve", path, "--scenario", "乐观"), path, "no scenario named '乐观'", "悲观")


def test_override_of_unknown_top_level_field(write_yaml, tiny_scenario):
    tiny_scenario["scenarios"] = {"more": {"inptus": {"customers": {"max": 9000}}}}
    path = write_yaml(tiny_scenario)
    assert_bad(run("solve", path, "--scenario", "more"), path, "scenarios.more.inptus", "did you mean 'inputs'")


def test_override_with_a_bad_value_names_the_key(write_yaml, tiny_scenario):
    tiny_scenario["scenarios"] = {"more": {"inputs": {"customers": {"max": "many"}}}}
    path = write_yaml(tiny_scenario)
    assert_bad(run("solve", path, "--scenario", "more"), path, "inputs.customers.max", "'many'")


def test_debug_shows_the_traceback(write_yaml, tiny_scenario):
    tiny_scenario["target"]["node"] = "totl"
    path = write_yaml(tiny_scenario)
    result = run("--debug", "solve", path)
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert "totl" in str(result.exception)


def test_bad_option_is_a_usage_error(write_yaml, tiny_scenario):
    path = write_yaml(tiny_scenario)
    result = run("solve", path, "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_bad_ladder_step(write_yaml, tiny_scenario):
    path = write_yaml(tiny_scenario)
    result = run("solve", path, "--ladder", "2")
    assert result.exit_code == 1
    assert "--ladder" in result.output and "Hint:" in result.output


# --- the good paths: exit 0 and 3, and the output contract ---------------------------------------

def test_good_plan_exits_0_with_the_hand_derived_optimum(write_yaml, tiny_scenario, backend):
    path = write_yaml(tiny_scenario)
    result = run("solve", path, "--format", "json", "--solver", backend)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["status"] == "optimal"
    assert plan["effort"] == pytest.approx(math.log(2), rel=1e-3)
    customers = next(i for i in plan["inputs"] if i["name"] == "customers")
    assert customers["planned"] == pytest.approx(2000, rel=1e-3)
    assert plan["target"]["achieved"] >= 40000 * (1 - 1e-6)


def test_json_matches_the_contract(write_yaml, tiny_scenario):
    tiny_scenario["constraints"] = {"cap": "sum(sales) <= 100000"}
    path = write_yaml(tiny_scenario)
    result = run("solve", path, "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    for key in ("scenario", "status", "objective", "effort", "cost", "target", "inputs", "nodes", "constraints",
                "max_reachable", "needs", "solver"):
        assert key in plan, key
    assert (plan["scenario"], plan["objective"], plan["max_reachable"], plan["needs"]) == \
        ("base", "min_effort", None, [])
    assert set(plan["target"]) >= {"node", "baseline", "required", "achieved"}
    assert plan["target"]["node"] == "total"
    assert plan["target"]["baseline"] == pytest.approx(20000)
    assert plan["target"]["required"] == pytest.approx(40000)
    fields = {"name", "label", "baseline", "planned", "uplift", "effort", "owner", "bound"}
    assert all(set(i) >= fields for i in plan["inputs"])
    by_key = {(i["name"], i["label"]): i for i in plan["inputs"]}
    assert set(by_key) >= {("customers", None), ("conversion", "a"), ("conversion", "b")}
    assert by_key[("customers", None)]["owner"] == "market"
    for i in plan["inputs"]:
        assert i["uplift"] == pytest.approx(i["planned"] / i["baseline"])
    nodes = {(n["name"], n["label"]): n for n in plan["nodes"]}
    assert all(set(n) >= {"name", "label", "baseline", "planned"} for n in plan["nodes"])
    assert nodes[("sales", "a")]["baseline"] == pytest.approx(1000 * 0.1 * 100)
    assert nodes[("total", None)]["planned"] == pytest.approx(plan["target"]["achieved"])
    (cap,) = plan["constraints"]
    assert set(cap) >= {"name", "lhs", "rhs", "binding"}
    assert (cap["name"], cap["rhs"], cap["binding"]) == ("cap", 100000, False)
    assert cap["lhs"] == pytest.approx(plan["target"]["achieved"])
    assert set(plan["solver"]) >= {"name", "seconds", "gap"}
    assert plan["solver"]["name"] == "highs"


def test_output_file_gets_the_json(write_yaml, tiny_scenario, tmp_path):
    path = write_yaml(tiny_scenario)
    out = tmp_path / "plan.json"
    result = run("solve", path, "--format", "json", "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"


def test_csv_has_one_row_per_input_label(write_yaml, tiny_scenario):
    path = write_yaml(tiny_scenario)
    result = run("solve", path, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows, result.stdout
    names = [r.get("name") for r in rows]
    assert names.count("conversion") == 2 and "customers" in names


def test_unreachable_target_exits_3_with_max_reachable_and_needs(write_yaml, tiny_scenario):
    # At most 3× customers and 2× conversion: 6 × 20,000 = 120,000 is the most reachable.
    tiny_scenario["target"] = {"node": "total", "at_least": 150000}
    path = write_yaml(tiny_scenario)
    result = run("solve", path, "--format", "json")
    assert result.exit_code == 3, result.output
    plan = json.loads(result.stdout)
    assert plan["status"] == "infeasible"
    assert plan["max_reachable"] == pytest.approx(120000, rel=1e-6)
    assert plan["needs"]
    for need in plan["needs"]:
        assert set(need) >= {"what", "from", "to"}
    needs = {n["what"]: n for n in plan["needs"]}
    # Customers alone: 150,000 / (2 × 20) = 3750 customers.
    assert needs["inputs.customers.max"]["from"] == pytest.approx(3000)
    assert needs["inputs.customers.max"]["to"] == pytest.approx(3750, rel=1e-3)


def test_unreachable_table_says_why(write_yaml, tiny_scenario):
    tiny_scenario["target"] = {"node": "total", "at_least": 150000}
    path = write_yaml(tiny_scenario)
    result = run("solve", path)
    assert result.exit_code == 3
    assert "max reachable" in result.stdout and "Traceback" not in result.output


def test_unwritable_output_path_is_a_bad_input(write_yaml, tiny_scenario, tmp_path):
    path = write_yaml(tiny_scenario)
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "plan.json"  # its parent is a file: cannot be created
    result = run("solve", path, "-o", out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert str(out) in result.output and "Hint:" in result.output
