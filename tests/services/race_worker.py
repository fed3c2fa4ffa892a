"""A second process for the race tests: ``python -m tests.services.race_worker JSON``.

It opens the store, logs in, says it is ready (a file), waits for the go file, makes its change
and prints one JSON line: ``{"name", "outcome" (ok|conflict|error), "message"}``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path


def main(spec: dict) -> dict:
    from geozones.core.errors import InputError
    from geozones.services import accounts, rulesets
    from geozones.services.concurrency import Conflict
    from geozones.store.database import open_store

    store = open_store(spec["url"])
    try:
        actor = accounts.authenticate(store, spec["name"], spec["password"])
        Path(spec["ready"]).write_text("ready")
        go = Path(spec["go"])
        deadline = time.monotonic() + 120
        while not go.exists():
            if time.monotonic() > deadline:
                return {"name": spec["name"], "outcome": "error", "message": "no go signal"}
            time.sleep(0.001)
        try:
            if spec["what"] == "edit":
                rulesets.update_draft(store, actor, spec["version_id"], spec["text"], spec["expected"])
            else:
                rulesets.publish(store, actor, spec["version_id"], spec["expected"], decree_no=f"SK {spec['name']}",
                                 signed_on=dt.date(2024, 9, 20))
            return {"name": spec["name"], "outcome": "ok", "message": ""}
        except Conflict as exc:
            return {"name": spec["name"], "outcome": "conflict", "message": str(exc)}
        except InputError as exc:
            return {"name": spec["name"], "outcome": "error", "message": str(exc)}
    finally:
        store.dispose()


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
