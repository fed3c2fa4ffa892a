"""The file catalog: rule sets and layers through one seam, keyed by content."""

from __future__ import annotations

import os
import shutil

import pytest

from geozones.core.errors import InputError
from geozones.services.catalog import Catalog, FileCatalog
from tests.conftest import DEFAULT_RULES


def test_key_follows_edits_deletions_and_rollbacks(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.geojson", "b.geojson"):
        (data / name).write_text("{}", encoding="utf-8")
    old = (data / "a.geojson").stat().st_mtime_ns
    rules = tmp_path / "rules.yaml"
    shutil.copy(DEFAULT_RULES, rules)
    cat = FileCatalog(rules, data)
    s0 = cat.key()
    assert cat.key() == s0  # stable when nothing changes
    (data / "a.geojson").unlink()  # deleting a file that is not the newest
    s1 = cat.key()
    assert s1 != s0
    (data / "a.geojson").write_text("{}", encoding="utf-8")
    os.utime(data / "a.geojson", ns=(old, old))  # a rollback keeps the old mtime
    assert cat.key() == s0
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert cat.key() != s0


def test_key_is_a_content_digest_not_a_timestamp(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.geojson").write_text("{}", encoding="utf-8")
    cat = FileCatalog(DEFAULT_RULES, data)
    s0 = cat.key()
    os.utime(data / "a.geojson", ns=(1, 1))  # touched, same bytes
    assert cat.key() == s0
    (data / "a.geojson").write_text("[]", encoding="utf-8")  # same size, other bytes
    os.utime(data / "a.geojson", ns=(1, 2))
    assert cat.key() != s0


def test_file_catalog_is_a_catalog_and_checks_id_and_version(tmp_path):
    cat = FileCatalog(DEFAULT_RULES, tmp_path)
    assert isinstance(cat, Catalog)
    rs = cat.ruleset()
    assert cat.ruleset(rs.id, rs.version).id == rs.id
    with pytest.raises(InputError, match="not 'other'"):
        cat.ruleset("other")
    with pytest.raises(InputError, match="version"):
        cat.ruleset(rs.id, "1999.9")
    layers = cat.layers(rs.area)
    assert layers.manifest.id == rs.area
    assert all(not lyr.present for lyr in layers.layers.values())  # empty folder: every layer absent


def test_key_follows_the_levels_a_stack_is_made_of(tmp_path):
    from geozones.rules.model import RULES_DIR

    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("nasional-pilkada-2024.yaml", "dki-jakarta-pilkada-2024.yaml", "dki-jakarta-pusat-pilkada-2024.yaml"):
        shutil.copy(RULES_DIR / name, rules / name)
    cat = FileCatalog(rules / "dki-jakarta-pusat-pilkada-2024.yaml", tmp_path)
    s0 = cat.key()
    dki = rules / "dki-jakarta-pilkada-2024.yaml"
    dki.write_text(dki.read_text(encoding="utf-8").replace("half_width: 25 m", "half_width: 30 m", 1),
                   encoding="utf-8")
    assert cat.key() != s0  # an edited province level changes what a kota's verdicts rest on
    assert FileCatalog(rules / "dki-jakarta-pusat-pilkada-2024.yaml", tmp_path).ruleset().rule("R05").spatial.metres \
        == 30.0  # and the stack read from the rule file's own folder uses it
