"""Tracking: actuals against the plan — completion, forecast, diagnosis, attribution, re-plan.

``track(plan, actuals_path, ...)`` runs everything and returns a :class:`Tracking` (its
``to_dict()`` is the JSON ``planner report --tracking`` reads); ``split_gap`` is the exact
LMDI attribution down a formula tree on its own.
"""

from planner.tracking.attribution import Split, Tree, split_gap
from planner.tracking.diagnosis import Flag, Thresholds
from planner.tracking.report import Tracking, render_text, track

__all__ = ["Flag", "Split", "Thresholds", "Tracking", "Tree", "render_text", "split_gap", "track"]
