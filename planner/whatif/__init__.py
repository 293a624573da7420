"""What-if analysis: many variants of one scenario.

* ``overrides`` — dotted key paths, grids, batch files, Latin hypercube samples → cases
* ``resolve``   — compile once, re-solve variants warm from a verified plan (``Resolver``)
* ``batch``     — the batch as plain data and ``run_case`` / ``run_batch``; ``runners`` — how it runs;
  ``store`` — Parquet results that survive SIGKILL and resume; ``request`` — the CLI's view of a batch
* ``compare``   — scenarios side by side; ``workbook`` — xlsx output
* ``sensitivity`` — shadow prices, tornado, frontier; ``uncertainty`` — Monte Carlo, robust plan, Sobol;
  ``analysis`` — ``planner sensitivity`` as one call

Submodules are imported where used (a batch worker needs neither pandas nor matplotlib).
"""
