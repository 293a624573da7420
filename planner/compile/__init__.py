"""Tree + scenario → a solver-neutral program.

``signomial`` expands every formula into a sum of monomials in lever uplifts (the exact model);
``approx`` turns that into linear programs: a global MILP with piecewise-linear exp under
binaries, or a local LP linearised at a point; ``ladder`` is the exact discrete-uplift MILP.
"""
