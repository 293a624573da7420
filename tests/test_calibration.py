"""planner calibrate: baselines from history, with hand-derived answers, every bad-data case, and each engine
(CSV/Parquet in DuckDB, a DuckDB file, SQLite through SQLAlchemy, a --sql query)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy
import yaml
from click.testing import CliRunner

from planner.calibration import calibrate
from planner.calibration.seasonality import monthly_index, workdays
from planner.cli import main
from planner.errors import InputError
from planner.scenario import load_scenario
from planner.tree.graph import build_model

ROOT = Path(__file__).resolve().parents[1]

# --- a small history whose answers are worked out by hand -------------------------------------------
# orders: 信托 (code T): 10 × 1,000,000 (Jan..Oct) + 2 × 400,000 (Nov, Dec) → sum 10,800,000, mean 900,000,
# 2 rows below nominal; 基金 (F): 100, 200, 300, 400 (Jan..Dec) → sum 1000, mean 250, median 250;
# 万能险 (I): Oct/Nov/Dec 10, 20, 30 → sum 60, × 12/3 = 240. A cancelled order of 7 is left out by `where:`.
ORDERS = (
    [(f"T{i}", date(2025, i + 1, 5), "T", 1_000_000, "ok", f"c{i % 3}") for i in range(10)]
    + [("T10", date(2025, 11, 9), "T", 400_000, "ok", "c0"), ("T11", date(2025, 12, 1), "T", 400_000, "ok", "c4")]
    + [("F1", date(2025, 1, 2), "F", 100, "ok", "c5"), ("F2", date(2025, 3, 2), "F", 200, "ok", "c5"),
       ("F3", date(2025, 6, 2), "F", 300, "ok", "c6"), ("F4", date(2025, 12, 2), "F", 400, "ok", "c7")]
    + [("I1", date(2025, 10, 20), "I", 10, "ok", "c8"), ("I2", date(2025, 11, 20), "I", 20, "ok", "c9"),
       ("I3", date(2025, 12, 20), "I", 30, "ok", "c9")]
    + [("X1", date(2025, 5, 5), "T", 7, "cancelled", "c1")]
)
# funnel: 信托 4 / 200 = 0.02; 基金 9 / 300 = 0.03; 万能险 5 / 100 = 0.05
FUNNEL = [("2025-01-01", "T", 100, 3), ("2025-02-01", "T", 100, 1), ("2025-01-01", "F", 300, 9),
          ("2025-10-01", "I", 60, 3), ("2025-11-01", "I", 40, 2)]
# seats: A: s1 wk 6 Jan 100+100 = 200, s1 wk 13 Jan 300, s2 wk 6 Jan 400 → units 200, 300, 400: mean 300, median 300
#        B: s3 one week 50 + 70 = 120 → 120
SEATS = [("2025-01-06", "s1", "A", 100), ("2025-01-07", "s1", "A", 100), ("2025-01-13", "s1", "A", 300),
         ("2025-01-08", "s2", "A", 400), ("2025-01-06", "s3", "B", 50), ("2025-01-10", "s3", "B", 70)]
# repurchase (status ok): customers c0 (T0, T3, T6, T9, T10), c1 (T1, T4, T7), c2 (T2, T5, T8), c4, c5 (F1, F2), c6, c7, c8,
# c9 (I2, I3) → 9 customers, 5 bought twice or more (c0, c1, c2, c5, c9) → 5 / 9
REPURCHASE_SQL = """SELECT customer, 1 AS buyer, CASE WHEN count(*) >= 2 THEN 1 ELSE 0 END AS repeat_buyer
FROM orders WHERE status = 'ok' GROUP BY customer"""

LABELS = {"信托": "T", "基金": "F", "万能险": "I"}


def scenario_text(src: dict[str, str]) -> str:
    """The test scenario; ``src`` maps orders/funnel/seats/repurchase to history sources."""
    doc = {
        "name": "校准测试",
        "dimensions": {"product": ["信托", "基金", "万能险"], "level": ["A", "B"]},
        "inputs": {
            "ticket": {"dims": ["product"], "fixed": True, "history": {
                "source": src["orders"], "agg": "mean", "value": "amount", "by": "product", "labels": LABELS,
                "where": "status = 'ok'", "date": "day", "period": 2025, "key": "order_id",
                "nominal": {"信托": 1_000_000}}},
            "volume": {"dims": ["product"], "history": {
                "source": src["orders"], "agg": "sum", "value": "amount", "by": "product", "labels": LABELS,
                "where": "status = 'ok'", "date": "day", "period": [date(2025, 1, 1), "2025-12-31"],
                "annualise": True}},
            "fund_median": {"fixed": True, "history": {
                "source": src["orders"], "agg": "median", "value": "amount", "where": "product = 'F'"}},
            "conversion": {"dims": ["product"], "max_uplift": 2, "history": {
                "source": src["funnel"], "agg": "ratio", "numerator": "buyers", "denominator": "reachable",
                "by": "product", "labels": LABELS, "date": "month", "period": 2025, "key": ["month", "product"]}},
            "seat_output": {"dims": ["level"], "uncontrollable": True, "history": {
                "source": src["seats"], "agg": "mean", "value": "amount", "by": "level",
                "per": ["seat", "week"], "date": "day", "period": "2025-01"}},
            "seats": {"dims": ["level"], "integer": True, "history": {
                "source": src["seats"], "agg": "count", "value": "seat", "by": "level"}},
            "repurchase": {"max": 0.9, "history": {
                "source": src["repurchase"], "agg": "ratio", "numerator": "repeat_buyer", "denominator": "buyer"}},
        },
        "nodes": {"sales[product]": "volume * conversion * (1 + repurchase)", "total": "sum(sales)",
                  "capacity": "sum(seats * seat_output) * 1000000"},
        "constraints": {"cap": "total <= capacity"},
        "target": {"node": "total", "multiple": 1.5},
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def frames() -> dict[str, pd.DataFrame]:
    return {
        "orders": pd.DataFrame(ORDERS, columns=["order_id", "day", "product", "amount", "status", "customer"]),
        "funnel": pd.DataFrame(FUNNEL, columns=["month", "product", "reachable", "buyers"]),
        "seats": pd.DataFrame(SEATS, columns=["day", "seat", "level", "amount"]),
    }


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """orders.csv, funnel.csv, seats.parquet, repurchase.sql and scenario.yaml (sources are paths)."""
    f = frames()
    f["orders"].to_csv(tmp_path / "orders.csv", index=False)
    f["funnel"].to_csv(tmp_path / "funnel.csv", index=False)
    f["seats"].assign(day=pd.to_datetime(f["seats"]["day"])).to_parquet(tmp_path / "seats.parquet", index=False)
    (tmp_path / "repurchase.sql").write_text(REPURCHASE_SQL.replace("FROM orders", "FROM 'orders.csv'"),
                                             encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(scenario_text(
        {"orders": "orders.csv", "funnel": "funnel.csv", "seats": "seats.parquet", "repurchase": "repurchase.sql"}),
        encoding="utf-8")
    return tmp_path


def by_name(cal, name):
    return {"/".join(lr.label): lr for lr in cal.inputs[name].labels}


def check_known_answers(cal) -> None:
    assert cal.inputs["ticket"].baseline() == {"信托": 1_000_000, "基金": 250, "万能险": 20}
    assert cal.inputs["volume"].baseline() == {"信托": 10_800_000, "基金": 1000, "万能险": 240}
    assert cal.inputs["fund_median"].baseline() == 250
    assert cal.inputs["conversion"].baseline() == {"信托": 0.02, "基金": 0.03, "万能险": 0.05}
    assert cal.inputs["seat_output"].baseline() == {"A": 300, "B": 120}
    assert cal.inputs["seats"].baseline() == {"A": 2, "B": 1}
    assert cal.inputs["repurchase"].baseline() == pytest.approx(5 / 9, rel=1e-11)


# --- known answers ----------------------------------------------------------------------------------

def test_known_answers_from_csv_parquet_and_sql_file(files: Path) -> None:
    cal = calibrate(files / "scenario.yaml")
    check_known_answers(cal)
    ticket = by_name(cal, "ticket")
    assert ticket["信托"].computed == 900_000 and ticket["信托"].rows == 12  # the cancelled order is left out
    assert (ticket["信托"].disagree, ticket["信托"].below, ticket["信托"].smallest) == (2, 2, 400_000)
    assert ticket["基金"].disagree is None  # no nominal for the variable-ticket product
    assert ticket["基金"].spread["median"] == 250 and ticket["基金"].spread["min"] == 100
    assert ticket["基金"].spread["sd"] == pytest.approx(math.sqrt(50_000 / 3))
    seat = by_name(cal, "seat_output")
    assert (seat["A"].units, seat["A"].rows, seat["A"].spread["median"]) == (3, 4, 300)


def test_annualised_product_is_flagged(files: Path) -> None:
    cal = calibrate(files / "scenario.yaml")
    ins = by_name(cal, "volume")["万能险"]
    assert (ins.computed, ins.months, ins.factor, ins.value) == (60, 3, 4.0, 240)
    assert by_name(cal, "volume")["信托"].factor == 1.0  # sold in all 12 months: unchanged
    flags = cal.inputs["volume"].flags
    assert any(f.startswith("ANNUALISED 万能险: sold in 3 of 12 months") for f in flags)
    assert not any("信托" in f for f in flags)


def test_nominal_disagreement_in_report(files: Path) -> None:
    cal = calibrate(files / "scenario.yaml")
    flag = next(f for f in cal.inputs["ticket"].flags if f.startswith("NOMINAL"))
    assert "NOMINAL 信托: 1,000,000 used; 2 of 12 rows differ (2 smaller, smallest 400,000)" in flag
    assert "computed mean 900,000" in flag


def test_cli_writes_a_scenario_that_loads_and_builds(files: Path, tmp_path: Path) -> None:
    out, rep = tmp_path / "out" / "calibrated.yaml", tmp_path / "out" / "report.json"
    res = CliRunner().invoke(main, ["calibrate", str(files / "scenario.yaml"), "-o", str(out), "--report", str(rep)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "ANNUALISED 万能险" in res.output
    text = out.read_text(encoding="utf-8")
    assert "信托" in text and "\\u" not in text  # Chinese kept readable
    assert "# ── calibrated from" in text and "method: sum(buyers) / sum(reachable) by product" in text
    sc = load_scenario(out)
    assert sc.inputs["conversion"].baseline == {"信托": 0.02, "基金": 0.03, "万能险": 0.05}
    assert sc.inputs["volume"].history is not None  # kept, so the file can be calibrated again
    model = build_model(sc)
    assert list(model.inputs["seat_output"].baseline) == [300, 120]
    report = json.loads(rep.read_text(encoding="utf-8"))
    ticket = next(i for i in report["inputs"] if i["name"] == "ticket")
    assert ticket["labels"][0]["disagree"] == 2 and ticket["period"] == "2025-01-01..2025-12-31"


def test_cli_without_output_prints_yaml_and_csv_report(files: Path, tmp_path: Path) -> None:
    rep = tmp_path / "side.csv"
    res = CliRunner().invoke(main, ["calibrate", str(files / "scenario.yaml"), "--report", str(rep)])
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(res.output)["inputs"]["seats"]["baseline"] == {"A": 2, "B": 1}
    side = pd.read_csv(rep)
    row = side[(side.input == "volume") & (side.label == "万能险")].iloc[0]
    assert (row.value, row.computed, row.months, row.factor) == (240, 60, 3, 4)
    assert row["flags"].startswith("ANNUALISED 万能险")


# --- engines -------------------------------------------------------------------------------------

def named_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "named.yaml"
    path.write_text(scenario_text({k: k for k in ("orders", "funnel", "seats", "repurchase")}), encoding="utf-8")
    return path


def test_history_option_and_sql_option(files: Path, tmp_path: Path) -> None:
    sql = tmp_path / "repurchase_q.sql"
    sql.write_text(REPURCHASE_SQL, encoding="utf-8")
    args = ["calibrate", str(named_scenario(tmp_path)), "--history", str(files / "orders.csv"),
            "--history", str(files / "funnel.csv"), "--history", f"seats={files / 'seats.parquet'}",
            "--sql", f"repurchase={sql}", "-o", str(tmp_path / "c.yaml")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    sc = load_scenario(tmp_path / "c.yaml")
    assert sc.inputs["repurchase"].baseline == pytest.approx(5 / 9, rel=1e-11)
    assert sc.inputs["volume"].baseline == {"信托": 10_800_000, "基金": 1000, "万能险": 240}


def test_sqlite_through_sqlalchemy_url(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    for name, frame in frames().items():
        frame.to_sql(name, engine, index=False)
    engine.dispose()
    sql = tmp_path / "repurchase.sql"  # runs in SQLite, in SQLite's dialect
    sql.write_text(REPURCHASE_SQL, encoding="utf-8")
    cal = calibrate(named_scenario(tmp_path), db=f"sqlite:///{db}", sql=[str(sql)])
    check_known_answers(cal)
    assert cal.inputs["ticket"].source == f"sqlite:///{db} table orders"


def test_duckdb_file(tmp_path: Path) -> None:
    db = tmp_path / "history.duckdb"
    con = duckdb.connect(str(db))
    for name, frame in frames().items():
        con.register("f", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM f")
        con.unregister("f")
    con.close()
    sql = tmp_path / "repurchase.sql"  # runs in DuckDB over the database's tables
    sql.write_text(REPURCHASE_SQL, encoding="utf-8")
    res = CliRunner().invoke(main, ["calibrate", str(named_scenario(tmp_path)), "--db", str(db),
                                    "--sql", str(sql), "-o", str(tmp_path / "c.yaml")])
    assert res.exit_code == 0, res.output
    sc = load_scenario(tmp_path / "c.yaml")
    assert sc.inputs["ticket"].baseline == {"信托": 1_000_000, "基金": 250, "万能险": 20}
    assert sc.inputs["seat_output"].baseline == {"A": 300, "B": 120}
    assert sc.inputs["repurchase"].baseline == pytest.approx(5 / 9, rel=1e-11)


# --- bad data: exit 1, the file, the column and the first bad rows; nothing written ---------------------

def corrupt(files: Path, mutate) -> None:
    df = mutate(pd.read_csv(files / "orders.csv", dtype=str))
    df.to_csv(files / "orders.csv", index=False)


def cell(rows, col: str, value):
    """A mutation: set ``col`` of ``rows`` (index or slice) to ``value``."""
    def mutate(d: pd.DataFrame) -> pd.DataFrame:
        d.loc[rows, col] = value
        return d
    return mutate


BAD = {
    # case: (change to orders.csv, texts the message must hold)
    "missing column": (lambda d: d.rename(columns={"amount": "amt"}),
                       ["orders.csv", "column 'amount'", "missing column 'amount'", "did you mean 'amt'"]),
    "text in numbers": (cell(3, "amount", "1,000,000元"),
                        ["orders.csv", "column 'amount'", "text in the numeric column", "line 5:",
                         "amount='1,000,000元'", "Hint:"]),
    "negative": (cell(11, "amount", "-300"),
                 ["orders.csv", "column 'amount'", "1 row with a negative 'amount'", "line 13:", "amount=-300"]),
    "duplicate key": (cell(4, "order_id", "T0"),
                      ["orders.csv", "column 'order_id'", "1 duplicate key in order_id", "order_id='T0' (2 rows); the first at lines 2, 6"]),
    "date outside period": (cell(2, "day", "2024-12-31"),
                            ["orders.csv", "column 'day'", "dated outside the period 2025-01-01..2025-12-31",
                             "line 4:", "day=2024-12-31"]),
    "not a date": (cell(2, "day", "2025-13-01"),
                   ["orders.csv", "column 'day'", "with a non-date in 'day'", "line 4:", "YYYY-MM-DD"]),
    "empty cell": (cell(0, "amount", None),
                   ["orders.csv", "column 'amount'", "with an empty 'amount'", "line 2:", "amount=(empty)"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data(files: Path, tmp_path: Path, case: str) -> None:
    mutate, expected = BAD[case]
    corrupt(files, mutate)
    out = tmp_path / "never.yaml"
    res = CliRunner().invoke(main, ["calibrate", str(files / "scenario.yaml"), "-o", str(out)])
    assert res.exit_code == 1, res.output
    for text in expected:
        assert text in res.output, (text, res.output)
    assert "Traceback" not in res.output
    assert not out.exists()
    assert not list(tmp_path.glob(".never*"))  # no temp file left behind


def test_first_bad_rows_are_listed_up_to_five(files: Path, tmp_path: Path) -> None:
    corrupt(files, cell(slice(0, 6), "amount", "n/a"))
    with pytest.raises(InputError) as err:
        calibrate(files / "scenario.yaml")
    msg = str(err.value)
    assert "7 rows with text in the numeric column 'amount'" in msg
    assert "line 6:" in msg and "line 7:" not in msg  # lines 2..6 shown


def test_cancelled_rows_can_be_bad_without_harm(files: Path) -> None:
    # a bad value in a row that `where:` leaves out is not used, so it is not an error
    corrupt(files, cell(len(ORDERS) - 1, "amount", "void"))
    cal = calibrate(files / "scenario.yaml")
    assert cal.inputs["ticket"].baseline()["信托"] == 1_000_000


@pytest.mark.parametrize(("change", "expected"), [
    ({"source": "nowhere"}, ["unknown history source 'nowhere'", "inputs.ticket.history.source"]),
    ({"where": "status = = 'ok'"}, ["the history query failed", "inputs.ticket.history"]),
    ({"where": "TRUE; COPY orders TO 'x.csv'"}, ["must be one SQL expression without ';'"]),
    ({"labels": {"信托": "T", "基金": "F", "万能险": "INSURANCE"}}, ["no history rows for label(s) ['万能险']"]),
    ({"by": ["product", "status"]}, ["`by:` names 2 column(s)", "inputs.ticket.history.by"]),
    ({"agg": "ratio"}, ["needs `numerator` and `denominator`"]),
    ({"period": [2025, 2024]}, ["period ends"]),
    ({"nominal": {"信托": 1, "信用卡": 2}}, ["nominal names unknown label(s) ['信用卡']"]),
])
def test_bad_history_spec(files: Path, tmp_path: Path, change: dict, expected: list[str]) -> None:
    doc = yaml.safe_load((files / "scenario.yaml").read_text(encoding="utf-8"))
    doc["inputs"]["ticket"]["history"].update(change)
    (files / "scenario.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "never.yaml"
    res = CliRunner().invoke(main, ["calibrate", str(files / "scenario.yaml"), "-o", str(out)])
    assert res.exit_code == 1, res.output
    for text in expected:
        assert text in res.output, (text, res.output)
    assert not out.exists()


def test_a_baseline_the_model_refuses_writes_nothing(files: Path, tmp_path: Path) -> None:
    # a lever whose history sums to 0 cannot be a baseline (uplift = planned / baseline)
    doc = yaml.safe_load((files / "scenario.yaml").read_text(encoding="utf-8"))
    doc["inputs"]["conversion"]["history"]["numerator"] = "buyers * 0"
    (files / "scenario.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "never.yaml"
    res = CliRunner().invoke(main, ["calibrate", str(files / "scenario.yaml"), "-o", str(out)])
    assert res.exit_code == 1 and "the calibrated scenario does not build" in res.output
    assert "inputs.conversion.baseline" in res.output and not out.exists()


def test_scenario_without_history(tmp_path: Path) -> None:
    doc = {"inputs": {"x": {"baseline": 1}}, "nodes": {"y": "x * 2"}, "target": {"node": "y", "multiple": 2}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(main, ["calibrate", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "o.yaml")])
    assert res.exit_code == 1 and "no input declares `history:`" in res.output and "Hint:" in res.output
    assert not (tmp_path / "o.yaml").exists()


def test_missing_history_file(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(scenario_text({k: k for k in ("orders", "funnel", "seats", "repurchase")}),
                                     encoding="utf-8")
    res = CliRunner().invoke(main, ["calibrate", str(tmp_path / "s.yaml"), "--history", str(tmp_path / "no.csv")])
    assert res.exit_code == 1 and "no.csv: history file not found" in res.output


# --- seasonality ----------------------------------------------------------------------------------------

def test_monthly_index_per_calendar_month() -> None:
    totals = {(2025, m): float(m) for m in range(1, 13)}
    index, _ = monthly_index(totals, per_workday=False, country="CN")
    assert index == {m: round(m / 6.5, 6) for m in range(1, 13)}


def test_monthly_index_per_working_day_uses_the_official_calendar() -> None:
    # 2025: Spring Festival Jan 28..Feb 4 with make-up Sundays/Saturdays Jan 26 and Feb 8 → Jan 19, Feb 19;
    # National Day Oct 1..8 with make-up Sat Oct 11 → Oct 18; April: 22 weekdays − Qingming (Apr 4) + 0 = 21
    assert [workdays(2025, m)[0] for m in (1, 2, 10)] == [19, 19, 18]
    totals = {(2025, m): 100.0 for m in range(1, 13)}
    index, note = monthly_index(totals, per_workday=True, country="CN")
    assert note is None
    assert sum(index.values()) == pytest.approx(12, abs=1e-5)
    # equal sales every month: the index is the inverse of the working days
    assert index[1] == index[2]
    assert index[10] / index[1] == pytest.approx(19 / 18, rel=1e-5)


def test_seasonality_needs_all_twelve_months() -> None:
    with pytest.raises(InputError, match=r"none in month\(s\) \[12\]"):
        monthly_index({(2025, m): 1.0 for m in range(1, 12)}, per_workday=False, country="CN")


# --- the shipped scenario and history -------------------------------------------------------------

def test_shipped_scenario_calibrates_loads_builds(tmp_path: Path) -> None:
    out = tmp_path / "calibrated.yaml"
    res = CliRunner().invoke(main, ["calibrate", str(ROOT / "scenarios/telesales_calibrate.yaml"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    build_model(sc)
    sales = pd.read_csv(ROOT / "scenarios/history/sales.csv")
    ok = sales[sales.status == "成交"]
    assert sc.inputs["ticket"].baseline["基金"] == pytest.approx(ok[ok["product"] == "FUND"].amount.mean(), rel=1e-11)
    funnel = pd.read_csv(ROOT / "scenarios/history/funnel.csv")
    ins = funnel[funnel["product"] == "INS"]
    assert len(ins) == 3 and sc.inputs["reachable"].baseline["万能险"] == ins.reachable.sum() * 4
    customers = ok.groupby("customer_id").size()
    assert sc.inputs["repurchase"].baseline == pytest.approx((customers >= 2).mean(), rel=1e-11)
    monthly = sc.seasonality["monthly"]
    assert sorted(monthly) == list(range(1, 13)) and sum(monthly.values()) == pytest.approx(12, abs=1e-5)
    assert "ANNUALISED 万能险" in res.output and "SPREAD 高净值" in res.output


def test_calibrated_file_elsewhere_calibrates_again_to_the_same_numbers(files: Path, tmp_path: Path) -> None:
    first = tmp_path / "deep" / "er" / "c1.yaml"
    assert CliRunner().invoke(main, ["calibrate", str(files / "scenario.yaml"), "-o", str(first)]).exit_code == 0
    doc = yaml.safe_load(first.read_text(encoding="utf-8"))
    assert doc["inputs"]["ticket"]["history"]["source"] == "../../orders.csv"  # moved with the file
    second = calibrate(first)
    check_known_answers(second)


def test_last_value_and_signed_values(tmp_path: Path) -> None:
    # stock at the latest date per product: 信托 Dec 31 has two rows (5 + 7 = 12); 基金 -3 is a write-off (signed)
    pd.DataFrame([("2025-06-30", "T", 100), ("2025-12-31", "T", 5), ("2025-12-31", "T", 7),
                  ("2025-11-30", "F", 40), ("2025-12-31", "F", -3), ("2025-12-31", "I", 9)],
                 columns=["day", "product", "stock"]).to_csv(tmp_path / "stock.csv", index=False)
    doc = {"dimensions": {"product": ["信托", "基金", "万能险"]},
           "inputs": {"stock": {"dims": ["product"], "fixed": True, "history": {
               "source": "stock.csv", "agg": "last", "value": "stock", "by": "product", "labels": LABELS,
               "date": "day", "signed": True}}},
           "nodes": {"total": "sum(stock)"}, "target": {"node": "total", "multiple": 1}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert calibrate(tmp_path / "s.yaml").inputs["stock"].baseline() == {"信托": 12, "基金": -3, "万能险": 9}
    doc["inputs"]["stock"]["history"]["signed"] = False
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match=r"1 row with a negative 'stock'.*line 6: product='F', day=2025-12-31, stock=-3"):
        calibrate(tmp_path / "s.yaml")


def test_shipped_history_is_what_the_seeded_script_makes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_history", ROOT / "scenarios/history/make_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(tmp_path)
    for name in ("sales.csv", "funnel.csv", "repurchase.sql"):
        assert (tmp_path / name).read_bytes() == (ROOT / "scenarios/history" / name).read_bytes(), name
    assert pd.read_parquet(tmp_path / "seats.parquet").equals(pd.read_parquet(ROOT / "scenarios/history/seats.parquet"))
