"""Generate the shipped sample history of the telesales centre, 2025 (seeded: same files every run).

    python scenarios/history/make_history.py            # writes beside this script

Files (what real data holds, from the case study):
- sales.csv      one row per order: fixed-ticket products at 1,000,000 with a few smaller tail orders,
                 a variable-ticket fund, an insurance product sold only October-December, customer
                 segments whose best segment varies the most, repeat buyers; month-of-year seasonality.
- funnel.csv     reachable customers and buyers per month and product (conversion = buyers / reachable).
- seats.parquet  output per seat and working day, seat levels A/B/C (per-seat weekly output).
- repurchase.sql customers who bought twice ÷ customers who bought (a query whose result is a history table).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20250101
YEAR = 2025
# code in the data → label in the scenario; nominal ticket (None: variable); active months; buyers per month
PRODUCTS = {
    "TRUST": (1_000_000, range(1, 13), 100),
    "AM": (1_000_000, range(1, 13), 80),
    "BANK": (1_000_000, range(1, 13), 120),
    "FUND": (None, range(1, 13), 150),
    "INS": (None, range(10, 13), 90),  # launched in October: three months of sales
}
CONVERSION = {"TRUST": 0.02, "AM": 0.025, "BANK": 0.03, "FUND": 0.04, "INS": 0.05}
# year-end bonus money in Q1, Spring Festival in Feb, May Day / National Day travel
SEASON = np.array([1.30, 0.75, 1.15, 1.05, 0.85, 1.00, 0.95, 0.95, 1.00, 0.80, 1.05, 1.15])
SEGMENTS = {"高净值": (0.15, 3.0), "富裕": (0.35, 1.2), "大众": (0.50, 0.6)}  # share, fund ticket scale
LEVELS = {"A": (10, 4_000_000), "B": (20, 2_500_000), "C": (30, 1_200_000)}  # seats, mean weekly output


def make(out: Path) -> dict[str, int]:
    """Write the four history files into ``out``; return rows per file."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    funnel = _funnel(rng)
    sales = _sales(rng, funnel)
    seats = _seats(rng)
    funnel.to_csv(out / "funnel.csv", index=False)
    sales.to_csv(out / "sales.csv", index=False)
    seats.to_parquet(out / "seats.parquet", index=False)
    (out / "repurchase.sql").write_text(REPURCHASE_SQL, encoding="utf-8")
    return {"funnel.csv": len(funnel), "sales.csv": len(sales), "seats.parquet": len(seats)}


def _funnel(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for code, (_, months, buyers) in PRODUCTS.items():
        for m in months:
            b = int(rng.poisson(buyers * SEASON[m - 1]))
            reach = int(round(b / CONVERSION[code] * rng.uniform(0.9, 1.1)))
            rows.append({"month": f"{YEAR}-{m:02d}-01", "product": code, "reachable": reach, "buyers": b})
    return pd.DataFrame(rows)


def _sales(rng: np.random.Generator, funnel: pd.DataFrame) -> pd.DataFrame:
    seg_names = list(SEGMENTS)
    seg_p = [s for s, _ in SEGMENTS.values()]
    customers = np.arange(1, 40_001)
    segment_of = rng.choice(seg_names, size=customers.size, p=seg_p)
    rows = []
    for f in funnel.itertuples():
        month = date.fromisoformat(f.month)
        days = (date(YEAR + (month.month == 12), month.month % 12 + 1, 1) - month).days
        for _ in range(f.buyers):
            cust = int(rng.choice(customers))
            n = 2 if rng.random() < 0.2 else 1  # one buyer in five buys again
            for _ in range(n):
                rows.append({"order_date": month + timedelta(int(rng.integers(days))), "product": f.product,
                             "customer_id": f"C{cust:06d}", "segment": segment_of[cust - 1],
                             "seat_id": f"S{int(rng.integers(1, 61)):03d}",
                             "amount": _ticket(rng, f.product, segment_of[cust - 1])})
    df = pd.DataFrame(rows).sort_values(["order_date", "customer_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "order_id", [f"O{i:06d}" for i in range(1, len(df) + 1)])
    # cancelled orders stay in the export; `where: status = '成交'` leaves them out
    df["status"] = np.where(rng.random(len(df)) < 0.03, "撤单", "成交")
    return df


def _ticket(rng: np.random.Generator, code: str, segment: str) -> int:
    nominal = PRODUCTS[code][0]
    if nominal is not None:
        # the tail: a few orders below the nominal ticket (partial subscriptions)
        return nominal if rng.random() > 0.04 else int(rng.choice([300_000, 500_000, 800_000]))
    if code == "INS":
        return int(round(rng.uniform(150_000, 250_000), -3))
    scale = SEGMENTS[segment][1]
    return int(round(rng.lognormal(np.log(200_000 * scale), 0.3 + 0.4 * scale), -2))


def _seats(rng: np.random.Generator) -> pd.DataFrame:
    days = pd.bdate_range(f"{YEAR}-01-01", f"{YEAR}-12-31")
    frames = []
    first = 1
    for level, (n, weekly) in LEVELS.items():
        ids = [f"S{i:03d}" for i in range(first, first + n)]
        first += n
        for sid in ids:
            skill = rng.lognormal(0, 0.25)
            daily = rng.gamma(4.0, weekly * skill / 5 / 4.0, size=len(days))
            frames.append(pd.DataFrame({"date": days.date, "seat_id": sid, "level": level,
                                        "amount": np.round(daily, -2)}))
    return pd.concat(frames, ignore_index=True)


REPURCHASE_SQL = """-- One row per customer who bought in 2025: repeat_buyer = 1 if they bought at least twice.
-- Relative paths are looked up beside the scenario and beside this query.
SELECT customer_id,
       any_value(segment) AS segment,
       1 AS buyer,
       CASE WHEN count(*) >= 2 THEN 1 ELSE 0 END AS repeat_buyer
FROM 'sales.csv'
WHERE status = '成交'
GROUP BY customer_id
"""


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for name, n in make(target).items():
        print(f"{name}: {n:,} rows")
