"""Shared fixtures: installed solver backends, a YAML writer and a tiny valid scenario.

``tiny_scenario`` has a hand-derivable optimum, so tests may assert numbers against it:
total = customers × Σ_p conversion[p] × price[p] = 1000 × (0.1·100 + 0.2·50) = 20,000 at baseline.
The target is 2× that; doubling ``customers`` (one lever, effort ln 2) is the least-effort plan,
since doubling ``conversion`` costs ln 2 per product label (2 ln 2 in all).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.backends import available_backends


def _installed_backends() -> list[str]:
    # Probing must not break collection under `filterwarnings = error` (PuLP 3.3 warns on
    # PULP_CBC_CMD); a backend that warns while solving still fails its own tests.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return available_backends()


@pytest.fixture(params=_installed_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The name of each installed solver backend (``highs``, ``cbc``), one test run per backend."""
    return request.param


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """``write_yaml(data, name="scenario.yaml") -> Path``: write a dict (as YAML) or text under tmp_path."""

    def write(data: dict[str, Any] | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_scenario() -> dict[str, Any]:
    """A small valid scenario dict (a fresh copy per test): one shared lever, one per-label lever."""
    return {
        "name": "tiny",
        "dimensions": {"product": ["a", "b"]},
        "inputs": {
            "customers": {"baseline": 1000, "max": 3000, "owner": "market"},
            "conversion": {"baseline": {"a": 0.1, "b": 0.2}, "max_uplift": 2},
            "price": {"baseline": {"a": 100, "b": 50}, "fixed": True},
        },
        "nodes": {
            "sales[product]": "customers * conversion[product] * price[product]",
            "total": "sum(sales)",
        },
        "target": {"node": "total", "multiple": 2},
    }
