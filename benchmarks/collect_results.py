"""Collect every benchmark's figures into benchmarks/RESULTS.md.

Each benchmark script writes its own RESULTS_<area>.md (measured against an anchor in the same
run); this concatenates them, in a fixed order, under one index.

    python benchmarks/collect_results.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["solve", "whatif", "calibrate", "phasing", "tracking", "report"]
TITLES = {
    "solve": "Optimiser: planner vs SCIP vs SLSQP (issue #2)",
    "whatif": "What-if: batches, Monte Carlo, tornado, frontier (issue #3)",
    "calibrate": "Calibration: DuckDB vs pandas on 10 M rows (issue #4)",
    "phasing": "Phasing: 52 weeks × 100 teams × 50 levers (issue #4)",
    "tracking": "Tracking: attribution and diagnosis (issue #5)",
    "report": "Report: bridge split and page rendering (issue #6)",
}


def main() -> None:
    parts = ["# Benchmark results\n",
             "Every figure below was measured on the project's 2-core machine, each against an anchor "
             "measured in the same run (these machines are noisy: read ratios, not seconds). "
             "Regenerate a section with its script in `benchmarks/`, then run "
             "`python benchmarks/collect_results.py`.\n"]
    for area in ORDER:
        f = HERE / f"RESULTS_{area}.md"
        if not f.exists():
            continue
        body = f.read_text(encoding="utf-8").strip()
        # Demote the file's own headings two levels, under this index's sections.
        body = "\n".join(("##" + line) if line.startswith("#") else line for line in body.splitlines())
        parts.append(f"\n## {TITLES[area]}\n\nSource: `benchmarks/RESULTS_{area}.md`\n\n{body}\n")
    (HERE / "RESULTS.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
