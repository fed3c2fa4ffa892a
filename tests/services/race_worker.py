"""A second process for the race tests (importable by multiprocessing's spawn)."""

from __future__ import annotations

import datetime as dt


def run(url: str, what: str, version_id: int, expected: int, name: str, password: str, text: str,
        barrier, queue) -> None:
    from geozones.core.errors import InputError
    from geozones.services import accounts, rulesets
    from geozones.services.concurrency import Conflict
    from geozones.store.database import open_store

    store = open_store(url)
    try:
        actor = accounts.authenticate(store, name, password)
        barrier.wait(timeout=60)
        try:
            if what == "edit":
                rulesets.update_draft(store, actor, version_id, text, expected)
            else:
                rulesets.publish(store, actor, version_id, expected, decree_no=f"SK {name}",
                                 signed_on=dt.date(2024, 9, 20))
            queue.put((name, "ok", ""))
        except Conflict as exc:
            queue.put((name, "conflict", str(exc)))
        except InputError as exc:
            queue.put((name, "error", str(exc)))
    finally:
        store.dispose()
