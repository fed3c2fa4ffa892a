"""The current time for casework: the machine's clock, or a fixed instant for tests and demonstrations.

``$GEOZONES_NOW`` (an ISO time; WIB when it has no offset) fixes "now" for the CLI
and the app, so a test can run a case through its legal clocks and see it overdue
without waiting; ``@FILE`` reads the time from FILE on every call, so a browser
test can move the clock of a running server. Services never read it: they take
``now`` as an argument.
"""

from __future__ import annotations

import datetime as dt
import os

from geozones.core.errors import InputError

__all__ = ["NOW_ENV", "now"]

NOW_ENV = "GEOZONES_NOW"


def now() -> dt.datetime:
    """``$GEOZONES_NOW`` when set, else the machine's time (aware, UTC)."""
    fixed = os.environ.get(NOW_ENV)
    if not fixed:
        return dt.datetime.now(dt.UTC)
    if fixed.startswith("@"):
        try:
            with open(fixed[1:], encoding="utf-8") as fh:
                fixed = fh.read().strip()
        except OSError as exc:
            raise InputError(f"${NOW_ENV}: {exc.strerror}", source=fixed[1:]) from None
    from geozones.core.time import parse_time

    try:
        return parse_time(fixed).to_pydatetime()
    except ValueError as exc:
        raise InputError(f"${NOW_ENV}: {exc}", field=NOW_ENV) from None
