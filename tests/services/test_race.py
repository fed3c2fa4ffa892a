"""No lost updates: two processes racing on one draft or one publication (both backends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from geozones.services import accounts, rulesets
from tests.conftest import ROOT
from tests.store.stacked import JP_TEXT, import_parents, with_version

TEXT = with_version(JP_TEXT, "2025.1")


def _race(url, what, version_id, expected, who, texts, tmp_path):
    """Start two processes, wait until both are logged in, then let them go at once."""
    go = tmp_path / "go"
    procs, ready = [], []
    for i, ((name, pw), txt) in enumerate(zip(who, texts, strict=True)):
        r = tmp_path / f"ready-{i}"
        ready.append(r)
        spec = {"url": url, "what": what, "version_id": version_id, "expected": expected, "name": name,
                "password": pw, "text": txt, "ready": str(r), "go": str(go)}
        procs.append(subprocess.Popen([sys.executable, "-m", "tests.services.race_worker", json.dumps(spec)],
                                      cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):
        assert time.monotonic() < deadline, [p.communicate() for p in procs]
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.write_text("go")
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return [(r["name"], r["outcome"], r["message"]) for r in results]


@pytest.mark.parametrize("what", ["edit", "publish"])
def test_two_writers_one_success_one_conflict_naming_the_winner(store, people, what, tmp_path):
    admin = people["admin"]
    accounts.add_account(store, admin, "ed2", role="kpu_editor", password="ed2-pass-12")
    import_parents(store, admin)
    draft = rulesets.create_draft(store, people["kpu_editor"], TEXT)
    if what == "edit":
        who = [("kpu_editor1", "kpu_editor-pass-1"), ("ed2", "ed2-pass-12")]
        texts = [TEXT + "\n# edit by kpu_editor1\n", TEXT + "\n# edit by ed2\n"]
    else:
        who = [("kpu_publisher1", "kpu_publisher-pass-1"), ("kpu_publisher2", "publisher-pass-2")]
        texts = [TEXT, TEXT]
    results = _race(store.url, what, draft.id, draft.row_version, who, texts, tmp_path)
    oks = [r for r in results if r[1] == "ok"]
    conflicts = [r for r in results if r[1] == "conflict"]
    assert len(oks) == 1 and len(conflicts) == 1, results
    winner = oks[0][0]
    assert f"'{winner}'" in conflicts[0][2] and "reload and retry" in conflicts[0][2]
    v = rulesets.get_version(store, people["kpu_editor"], draft.ruleset_id, "2025.1")
    if what == "edit":
        assert v.yaml_text.endswith(f"# edit by {winner}\n") and v.row_version == 2
    else:
        assert v.status == "published" and v.publisher == winner
