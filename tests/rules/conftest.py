"""The tiny test area's fixtures (one definition, in tests/engine/conftest.py), a tiny area the catalog finds by id,
and helpers to write rule files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import geozones.areas.manifest as manifest_module
from tests.engine.conftest import TINY_RULES, tiny_dir, tiny_layers, tiny_rules, tiny_rules_data, write_tiny_area  # noqa: F401


@pytest.fixture
def tiny_area(tmp_path, monkeypatch) -> Path:
    """The tiny layers in ``tmp_path/data``, its manifest where area ids are looked up."""
    data = tmp_path / "data"
    data.mkdir()
    write_tiny_area(data)
    monkeypatch.setattr(manifest_module, "MANIFEST_DIR", data)
    return data


@pytest.fixture
def rules_data() -> dict:
    return json.loads(json.dumps(TINY_RULES, default=float))  # plain floats, as YAML gives them


def write_rules(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
