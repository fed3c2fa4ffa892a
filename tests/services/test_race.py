"""No lost updates: two processes racing on one draft or one publication (both backends)."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from geozones.services import accounts, rulesets
from tests.conftest import DEFAULT_RULES
from tests.services.race_worker import run

TEXT = DEFAULT_RULES.read_text(encoding="utf-8").replace('version: "2024.1"', 'version: "2025.1"')


def _race(url, what, version_id, expected, who, texts):
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=run, args=(url, what, version_id, expected, name, pw, txt, barrier, queue))
             for (name, pw), txt in zip(who, texts, strict=True)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


@pytest.mark.parametrize("what", ["edit", "publish"])
def test_two_writers_one_success_one_conflict_naming_the_winner(store, people, what):
    admin = people["admin"]
    accounts.add_account(store, admin, "ed2", role="kpu_editor", password="ed2-pass-12")
    draft = rulesets.create_draft(store, people["kpu_editor"], TEXT)
    if what == "edit":
        who = [("kpu_editor1", "kpu_editor-pass-1"), ("ed2", "ed2-pass-12")]
        texts = [TEXT + "\n# edit by kpu_editor1\n", TEXT + "\n# edit by ed2\n"]
    else:
        who = [("kpu_publisher1", "kpu_publisher-pass-1"), ("kpu_publisher2", "publisher-pass-2")]
        texts = [TEXT, TEXT]
    results = _race(store.url, what, draft.id, draft.row_version, who, texts)
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
