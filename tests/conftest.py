"""Shared fixtures: where the real Jakarta layers are, and whether tests may skip.

Tests that read ../shared/data skip with a clear reason only when the folder is
absent on a developer machine. In CI (GEOZONES_REQUIRE_DATA=1, set by .ci/run) a
missing folder is an error, never a skip. Such tests reach the folder only through
the fixtures in :data:`REALDATA_FIXTURES` and are marked ``realdata`` from them, so
``pytest -m "not realdata"`` runs everything that needs no real data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from geozones.rules.model import DEFAULT_RULES

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
__all__ = ["DEFAULT_RULES", "REALDATA_FIXTURES", "ROOT", "SHARED_DATA", "require_shared_data"]
#: Fixtures that read ../shared/data; a test using one, directly or through another fixture, is ``realdata``.
REALDATA_FIXTURES = frozenset({"shared_data", "upstream_dir"})


def pytest_collection_modifyitems(config, items):
    """Mark every test that reads ../shared/data ``realdata`` (from the fixtures it uses)."""
    for item in items:
        if REALDATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)


def require_shared_data() -> Path:
    """Return ../shared/data, or skip (developer machine) / fail (CI) if absent."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    msg = f"real Jakarta layers not found at {SHARED_DATA}"
    if os.environ.get("GEOZONES_REQUIRE_DATA") or os.environ.get("CI"):
        pytest.fail(msg + " (required in CI)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder with the real layers (BPS/HDX CC BY-IGO; © OpenStreetMap contributors, ODbL)."""
    return require_shared_data()


@pytest.fixture(scope="session")
def jakpus_layers(shared_data):
    """The Jakarta Pusat layer set loaded from ../shared/data."""
    from geozones.io.layers import load_layers

    return load_layers("jakarta-pusat", shared_data)


@pytest.fixture(scope="session")
def jakpus_rules(jakpus_layers):
    """The published Jakarta Pusat rule set, validated against the manifest."""
    from geozones.rules.model import load_ruleset

    return load_ruleset(DEFAULT_RULES, known_layers=jakpus_layers.manifest.layer_names)


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Put back ``sys.modules["__main__"]`` after every test.

    Streamlit's script runner (and so every AppTest) installs the page script as
    ``__main__`` and never restores it; a process spawned later (a Dask nanny)
    would re-run that script in its child and fail to start.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main

