"""The app's cache key changes with every change a user can make to rules or data."""

from __future__ import annotations

import os
import shutil

from geozones.ui.data import stamp
from tests.conftest import DEFAULT_RULES


def test_stamp_follows_edits_deletions_and_rollbacks(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.geojson", "b.geojson"):
        (data / name).write_text("{}", encoding="utf-8")
    old = (data / "a.geojson").stat().st_mtime_ns
    rules = tmp_path / "rules.yaml"
    shutil.copy(DEFAULT_RULES, rules)
    s0 = stamp(str(data), str(rules))
    assert stamp(str(data), str(rules)) == s0  # stable when nothing changes
    (data / "a.geojson").unlink()  # deleting a file that is not the newest
    s1 = stamp(str(data), str(rules))
    assert s1 != s0
    (data / "a.geojson").write_text("{}", encoding="utf-8")
    os.utime(data / "a.geojson", ns=(old, old))  # a rollback keeps the old mtime
    assert stamp(str(data), str(rules)) == s0
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert stamp(str(data), str(rules)) != s0
