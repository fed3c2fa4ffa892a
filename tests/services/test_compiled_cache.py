"""The compiled-rules cache: loaded when current and trusted, rebuilt when stale, corrupt or foreign."""

from __future__ import annotations

import json
import os
import pickle
import shutil

import pytest

from geozones.core.time import resolve_at
from geozones.engine import evaluate, prepare
from geozones.io.layers import load_layers
from geozones.io.sites import read_sites
from geozones.rules.model import load_ruleset
from geozones.services.compiled_cache import cache_dir, cache_key, load_or_prepare
from tests.conftest import DEFAULT_RULES
from tests.services.batch_helpers import AT, site_table


@pytest.fixture
def data_copy(tmp_path, shared_data):
    """The Jakarta Pusat layers copied, so a test may change a file."""
    dst = tmp_path / "data"
    shutil.copytree(shared_data, dst, ignore=shutil.ignore_patterns("upstream"))
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def _rules(layers):
    return load_ruleset(DEFAULT_RULES, known_layers=layers.manifest.layer_names)


def test_a_hit_gives_the_same_verdicts_as_fresh_rules(tmp_path, jakpus_layers, jakpus_rules):
    folder = tmp_path / "cache"
    _, status = load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)
    assert status == "built"
    cached, status = load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)
    assert status == "hit"
    assert cached.ruleset is jakpus_rules and cached.layers is jakpus_layers
    src = tmp_path / "s.csv"
    site_table(jakpus_layers, 25_000, seed=11).to_csv(src, index=False)  # large enough for the site grid
    sites = read_sites(src)
    fresh = evaluate(sites, jakpus_layers, jakpus_rules, resolve_at(AT))
    again = evaluate(sites, jakpus_layers, jakpus_rules, resolve_at(AT), prepared=cached)
    cols = ["verdict", "rule_ids", "reasons_id", "reasons_en", "nearest_m", "kode_kemendagri"]
    assert fresh[cols].equals(again[cols])
    assert cached.provenance == prepare(jakpus_layers, jakpus_rules).provenance


def test_a_changed_layer_file_or_rule_set_is_rebuilt(tmp_path, data_copy):
    folder = tmp_path / "cache"
    layers = load_layers("jakarta-pusat", data_copy)
    rules = _rules(layers)
    assert load_or_prepare(layers, rules, folder=folder)[1] == "built"
    assert load_or_prepare(layers, rules, folder=folder)[1] == "hit"
    # one place of worship fewer: same file name, same rule-set version, other content
    worship = data_copy / "jakpus_worship.geojson"
    doc = json.loads(worship.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][1:]
    worship.write_text(json.dumps(doc), encoding="utf-8")
    changed = load_layers("jakarta-pusat", data_copy)
    assert cache_key(changed, rules) != cache_key(layers, rules)
    prep, status = load_or_prepare(changed, rules, folder=folder)
    assert status == "built"
    assert (prep.features["layer"] == "worship").sum() == len(doc["features"])
    # a rule set with the same id and version but another distance
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    edited = tmp_path / "rules.yaml"
    edited.write_text(text.replace("distance: 100 m}", "distance: 120 m}", 1), encoding="utf-8")  # R25 TPS
    assert edited.read_text(encoding="utf-8") != text
    other = load_ruleset(edited, known_layers=changed.manifest.layer_names)
    assert (other.id, other.version) == (rules.id, rules.version)
    assert load_or_prepare(changed, other, folder=folder)[1] == "built"
    assert load_or_prepare(changed, rules, folder=folder)[1] == "hit"


def test_a_corrupt_or_foreign_file_is_never_unpickled_and_is_rebuilt(tmp_path, jakpus_layers, jakpus_rules):
    folder = tmp_path / "cache"
    load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)
    entry = folder / f"{cache_key(jakpus_layers, jakpus_rules)}.prepared"
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)[1] == "built"
    assert load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)[1] == "hit"
    # a file someone else wrote under the right name: a pickle that would run code when loaded
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    body = pickle.dumps(Evil())
    entry.write_bytes(b"GZPR1\n" + b"\0" * 32 + body)
    assert load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)[1] == "built"
    assert not marker.exists()
    entry.write_bytes(b"")
    assert load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)[1] == "built"


def test_a_signing_secret_others_may_read_is_not_trusted(tmp_path, jakpus_layers, jakpus_rules):
    folder = tmp_path / "cache"
    load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)
    (folder / "cache.key").chmod(0o644)
    prep, status = load_or_prepare(jakpus_layers, jakpus_rules, folder=folder)
    assert status.startswith("built, not stored") and prep.ruleset is jakpus_rules


def test_the_cache_lives_under_geozones_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOZONES_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "cache" / "compiled"
