"""The shipped rule stack as the store tests load it: national base, DKI, Jakarta Pusat (issue 12 part 7).

Each level is imported on its own, parents first, as ``geozones rules import`` would.
"""

from __future__ import annotations

import re

from geozones.rules.model import RULES_DIR
from tests.conftest import DEFAULT_RULES

NASIONAL_ID = "nasional-pilkada-2024"
DKI_ID = "dki-jakarta-pilkada-2024"
JP_ID = "dki-jakarta-pusat-pilkada-2024"
NASIONAL_TEXT = (RULES_DIR / f"{NASIONAL_ID}.yaml").read_text(encoding="utf-8")
DKI_TEXT = (RULES_DIR / f"{DKI_ID}.yaml").read_text(encoding="utf-8")
#: The Jakarta Pusat level: version "2024.2", extends DKI, only local rules.
JP_TEXT = DEFAULT_RULES.read_text(encoding="utf-8")
JP_VERSION = "2024.2"


def with_version(text: str, version: str) -> str:
    """``text`` with its top-level ``version:`` replaced (refusing a text that has none)."""
    out, n = re.subn(r'^version: "[^"]*"$', f'version: "{version}"', text, count=1, flags=re.M)
    assert n == 1, "no top-level version line"
    return out


def import_parents(store, actor, **kwargs) -> list:
    """Import the national base and the DKI level (each published, in force from the campaign start)."""
    from geozones.services import rulesets

    return [rulesets.import_ruleset(store, actor, NASIONAL_TEXT, source=f"{NASIONAL_ID}.yaml", **kwargs),
            rulesets.import_ruleset(store, actor, DKI_TEXT, source=f"{DKI_ID}.yaml", **kwargs)]
