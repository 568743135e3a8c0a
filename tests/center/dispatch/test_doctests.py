"""The runnable examples in the dispatch and exchange docstrings."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from amane.center.dispatch import importer, kpi, natures, roster, rules
from amane.exchange import cap


@pytest.mark.parametrize("module", [kpi, natures, roster, rules, importer, cap])
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
