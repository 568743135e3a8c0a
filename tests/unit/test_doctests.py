"""The runnable examples in the unit, sim and unit-config modules' docstrings (pytest collects doctests only
under core/, bus/ and vision/)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "amane.config.unit",
    "amane.unit.outbox",
    "amane.unit.schedule",
    "amane.unit.gps",
    "amane.unit.metrics",
    "amane.unit.pipeline",
    "amane.sim.scene",
    "amane.sim.city",
    "amane.sim.source",
    "amane.sim.panorama",
    "amane.sim.crew",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
