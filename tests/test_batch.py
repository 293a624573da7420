"""Batches: grids, batch files, samples; a row per case (errors included); resume; SIGKILL; Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from whatif_chain import CAPS, greedy_effort, write_chain

from planner.cli import main
from planner.errors import InputError
from planner.whatif import runners
from planner.whatif.batch import make_batch, run_batch
from planner.whatif.overrides import grid_cases, lhs_cases, parse_grid, read_batch_file
from planner.whatif.store import ResultStore, read_results

ROOT = Path(__file__).resolve().parents[1]


def test_parse_grid_inclusive_range_and_lists() -> None:
    assert parse_grid("inputs.s.assume=0.5:1.0:0.1") == ("inputs.s.assume", [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert parse_grid("budget.cost=3e6,5e6") == ("budget.cost", [3e6, 5e6])
    assert parse_grid("objective=min_effort") == ("objective", ["min_effort"])
    cases = grid_cases([("a", [1, 2]), ("b", [3, 4, 5])])
    assert len(cases) == 6 and cases[0] == {"a": 1, "b": 3} and cases[-1] == {"a": 2, "b": 5}
    for bad in ("nothing", "a=1:0:0.1", "a=1:2", "a="):
        with pytest.raises(InputError):
            parse_grid(bad)


def test_latin_hypercube_one_point_per_stratum() -> None:
    cases = lhs_cases({"x": (0.0, 10.0), "y": (5.0, 6.0)}, 20, seed=3)
    xs = np.array([c["x"] for c in cases])
    assert sorted(np.floor(xs / 0.5).astype(int)) == list(range(20))  # one value in each 1/20 of the range
    assert all(5.0 <= c["y"] <= 6.0 for c in cases)
    assert lhs_cases({"x": (0.0, 10.0)}, 5, seed=3) == lhs_cases({"x": (0.0, 10.0)}, 5, seed=3)


def test_batch_file_yaml_and_csv(tmp_path) -> None:  # noqa: ANN001
    y = tmp_path / "cases.yaml"
    y.write_text("- {name: low, inputs.f.assume: 0.9}\n- {budget: {effort: 3}}\n", encoding="utf-8")
    assert read_batch_file(y) == [("low", {"inputs.f.assume": 0.9}), (None, {"budget.effort": 3})]
    c = tmp_path / "cases.csv"
    c.write_text("name,inputs.f.assume\nhi,1.1\n", encoding="utf-8")
    assert read_batch_file(c) == [("hi", {"inputs.f.assume": 1.1})]


def _chain_batch(tmp_path, grid=("inputs.f.assume=0.8:1.2:0.1", "inputs.a.max_uplift=0.5,2,3")):  # noqa: ANN001, ANN202
    path = write_chain(tmp_path)
    return make_batch(path, [(None, c) for c in grid_cases([parse_grid(g) for g in grid])])


def test_rows_with_numbers_and_a_bad_override(tmp_path) -> None:  # noqa: ANN001
    batch = _chain_batch(tmp_path)
    with ResultStore(tmp_path / "out") as store:
        summary = run_batch(batch, store, runners.sequential)
    df = read_results(tmp_path / "out")
    assert summary.ran == len(df) == 15 and df["id"].is_unique
    bad = df[df["inputs.a.max_uplift"] == 0.5]
    assert (bad["status"] == "error").all() and bad["error"].str.contains("max_uplift").all()
    good = df[df["status"] != "error"]
    for _, r in good.iterrows():
        caps = {**CAPS, "a": (r["inputs.a.max_uplift"], 1.0)}
        assert r["effort"] == pytest.approx(greedy_effort(4, f=r["inputs.f.assume"], caps=caps), rel=1e-4)
        assert r["achieved"] >= r["required"] * (1 - 1e-6)
        assert r["uplift:a"] * r["uplift:b"] * r["uplift:c"] * r["inputs.f.assume"] == pytest.approx(4, rel=1e-5)


def test_resume_without_duplicates_or_gaps(tmp_path) -> None:  # noqa: ANN001
    batch = _chain_batch(tmp_path)
    out = tmp_path / "out"
    with ResultStore(out, chunk=2) as store:
        first = run_batch(batch, store, runners.sequential, limit=4)
    assert first.ran == 4 and len(read_results(out)) == 4
    with ResultStore(out, chunk=2) as store:
        second = run_batch(batch, store, runners.sequential)
    df = read_results(out)
    assert second.ran == 11 and second.skipped == 4
    assert sorted(df["id"]) == sorted(c.id for c in batch.cases)
    with ResultStore(out) as store:
        assert run_batch(batch, store, runners.sequential).ran == 0


def test_sigkill_loses_only_in_flight(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "planner", "batch", str(path), "--grid", "inputs.f.assume=0.5:1.5:0.05",
           "--grid", "inputs.b.max_uplift=2.5,3", "--workers", "1", "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "_journal.jsonl"
    for _ in range(600):  # wait until some rows are stored, then kill mid-run
        if journal.exists() and journal.read_text(encoding="utf-8").count("\n") >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = read_results(out)  # readable after the kill
    assert 3 <= len(partial) < 43 and partial["id"].is_unique
    r = CliRunner().invoke(main, ["batch", str(path), "--grid", "inputs.f.assume=0.5:1.5:0.05",
                                  "--grid", "inputs.b.max_uplift=2.5,3", "--workers", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = read_results(out)
    assert len(df) == 43 and df["id"].is_unique  # 21 × 2 grid + the base
    import pandas as pd

    assert len(pd.read_parquet(out)) == 43  # the directory is a plain Parquet dataset too
    assert set(partial["id"]) <= set(df["id"])


def test_cli_batch_pool_and_csv(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    csv = tmp_path / "rows.csv"
    r = CliRunner().invoke(main, ["batch", str(path), "--grid", "inputs.f.assume=0.9,1.0,1.1", "--workers", "2",
                                  "-o", str(tmp_path / "out"), "--csv", str(csv)])
    assert r.exit_code == 0, r.output
    import pandas as pd

    df = pd.read_csv(csv)
    assert len(df) == 4 and set(df["status"]) == {"feasible"}
    assert "4 scenario(s) solved" in r.output


def test_cli_batch_sample_from_uncertain_block(tmp_path) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    r = CliRunner().invoke(main, ["batch", str(path), "--sample", "6", "--seed", "1", "--workers", "1",
                                  "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    df = read_results(tmp_path / "out")
    s = df["inputs.f.assume"].dropna()
    assert len(s) == 6 and s.between(0.7, 1.2).all()


@pytest.mark.parametrize("args,text", [
    ([], "nothing to vary"), (["--grid", "oops"], "--grid"), (["--grid", "budget.cost=1", "--executor", "dask"],
                                                             "--scheduler"),
    (["--sample", "3", "--range", "x=2:1"], "HIGH < LOW"), (["--cases", "missing.yaml"], "not found")])
def test_cli_batch_bad_inputs(tmp_path, args, text) -> None:  # noqa: ANN001
    path = write_chain(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["batch", str(path), "-o", str(out), *args])
    assert r.exit_code == 1, r.output
    assert text in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_dask_local_cluster(tmp_path) -> None:  # noqa: ANN001
    from distributed import Client, LocalCluster

    batch = _chain_batch(tmp_path, grid=("inputs.f.assume=0.9,1.0,1.1", "inputs.a.max_uplift=1.5,2"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client, ResultStore(tmp_path / "out") as store:
        summary = run_batch(batch, store, runners.dask_runner(client))
    df = read_results(tmp_path / "out")
    assert summary.ran == len(df) == 6 and df["id"].is_unique
    for _, r in df.iterrows():
        caps = {**CAPS, "a": (r["inputs.a.max_uplift"], 1.0)}
        assert r["effort"] == pytest.approx(greedy_effort(4, f=r["inputs.f.assume"], caps=caps), rel=1e-4)


def test_ranges_from_file_and_uncertain_blocks(tmp_path) -> None:  # noqa: ANN001
    from planner.scenario import read_yaml
    from planner.whatif.overrides import parse_range, read_ranges_file, uncertain_ranges

    assert uncertain_ranges(read_yaml(write_chain(tmp_path))) == {"inputs.f.assume": (0.7, 1.2)}
    f = tmp_path / "ranges.yaml"
    f.write_text("budget: {effort: [2, 6]}\ninputs.f.assume: [0.8, 1.0]\n", encoding="utf-8")
    assert read_ranges_file(f) == {"budget.effort": (2.0, 6.0), "inputs.f.assume": (0.8, 1.0)}
    assert parse_range("budget.cost=3e6:8e6") == ("budget.cost", (3e6, 8e6))
    f.write_text("budget.effort: [6, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match="budget.effort"):
        read_ranges_file(f)


def test_multistart_never_worse(tmp_path) -> None:  # noqa: ANN001
    batch = _chain_batch(tmp_path, grid=("inputs.f.assume=0.8,1.0", "inputs.c.max_uplift=2,4"))
    from dataclasses import replace

    with ResultStore(tmp_path / "a") as s1, ResultStore(tmp_path / "b") as s2:
        run_batch(replace(batch, multistart=False), s1, runners.sequential)
        run_batch(batch, s2, runners.sequential)
    a = read_results(tmp_path / "a").set_index("id")
    b = read_results(tmp_path / "b").set_index("id")
    assert (b.loc[a.index, "effort"] <= a["effort"] * (1 + 1e-7)).all()


def test_kill_between_part_and_journal_truncate(tmp_path) -> None:  # noqa: ANN001
    """A row both in a part and in the journal (killed mid-compaction) is stored once after resuming."""
    import json

    import pandas as pd

    out = tmp_path / "out"
    with ResultStore(out) as store:
        store.add({"id": "a", "status": "feasible", "effort": 1.0})
        store.add({"id": "b", "status": "feasible", "effort": 2.0})
    (out / "_journal.jsonl").write_text(json.dumps({"id": "a", "status": "feasible", "effort": 1.0}) + "\n"
                                        + '{"id": "c", "status": "feas', encoding="utf-8")  # torn last line
    with ResultStore(out) as store:
        assert store.done() == {"a", "b"}
        store.add({"id": "c", "status": "feasible", "effort": 3.0})
    df = pd.read_parquet(out)
    assert sorted(df["id"]) == ["a", "b", "c"]


@pytest.mark.parametrize("name", ["telesales_500yi", "ad_sales_department", "paid_membership"])
def test_batch_on_shipped_scenarios(tmp_path, name) -> None:  # noqa: ANN001
    path = ROOT / "scenarios" / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"{path} not shipped")
    r = CliRunner().invoke(main, ["batch", str(path), "--grid", "budget.effort=1e9,0.01", "--workers", "1",
                                  "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    df = read_results(tmp_path / "out").set_index("name")
    assert df.loc["base", "status"] == "feasible" and df.loc["base", "error"] == ""
    assert df.loc["base", "achieved"] >= df.loc["base", "required"] * (1 - 1e-6)
    # An effort budget of 0.01 cannot buy the target: the row says so (with the most it can reach, or
    # that even the other constraints cannot be met, as `planner solve` would).
    tight = df[df["budget.effort"] == 0.01].iloc[0]
    if tight["status"] == "infeasible":
        assert tight["max_reachable"] < tight["required"]
    else:
        assert tight["status"] == "error" and "no plan satisfies" in tight["error"]
