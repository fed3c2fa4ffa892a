"""The worked example in :func:`geozones.engine.evaluate`'s docstring runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib


def test_evaluate_docstring_example_runs():
    module = importlib.import_module("geozones.engine.evaluate")  # the package re-exports a function of that name
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted >= 20, result
    assert result.failed == 0, result
