"""Verdicts and their order: the most restrictive matching rule wins."""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Verdict(StrEnum):
    """What may happen at a site, from least to most restrictive.

    ``OUTSIDE_AREA`` is not part of the order: a site outside the rule set's
    jurisdiction is not judged at all.
    """

    ALLOWED = "ALLOWED"
    ALLOWED_ASSIGNED = "ALLOWED_ASSIGNED"
    NEEDS_OWNER_CONSENT = "NEEDS_OWNER_CONSENT"
    NEEDS_PERMIT = "NEEDS_PERMIT"
    NEEDS_DISCRETION = "NEEDS_DISCRETION"
    OUT_OF_WINDOW = "OUT_OF_WINDOW"
    FORBIDDEN = "FORBIDDEN"
    OUTSIDE_AREA = "OUTSIDE_AREA"


#: Rank of each verdict; higher is more restrictive.
RANK = {v: i for i, v in enumerate(Verdict)}
#: Verdicts indexed by rank, for vectorized lookup.
BY_RANK = np.array([v.value for v in Verdict], dtype=object)

LABELS = {
    Verdict.ALLOWED: ("Boleh", "Allowed"),
    Verdict.ALLOWED_ASSIGNED: ("Boleh (titik penetapan KPU)", "Allowed (KPU-designated point)"),
    Verdict.NEEDS_OWNER_CONSENT: ("Perlu izin pemilik", "Needs owner consent"),
    Verdict.NEEDS_PERMIT: ("Perlu izin Pemda", "Needs a permit"),
    Verdict.NEEDS_DISCRETION: ("Perlu diskresi", "Needs discretion"),
    Verdict.OUT_OF_WINDOW: ("Di luar jadwal", "Out of the time window"),
    Verdict.FORBIDDEN: ("Dilarang", "Forbidden"),
    Verdict.OUTSIDE_AREA: ("Di luar wilayah", "Outside the area"),
}

#: Display colours, shared by maps and tables.
COLORS = {
    Verdict.ALLOWED: "#1a9850",
    Verdict.ALLOWED_ASSIGNED: "#006837",
    Verdict.NEEDS_OWNER_CONSENT: "#91bfdb",
    Verdict.NEEDS_PERMIT: "#fee08b",
    Verdict.NEEDS_DISCRETION: "#fc8d59",
    Verdict.OUT_OF_WINDOW: "#998ec3",
    Verdict.FORBIDDEN: "#d73027",
    Verdict.OUTSIDE_AREA: "#bdbdbd",
}


def label(verdict: Verdict | str, lang: str = "id") -> str:
    """Human label of a verdict in ``lang`` (``"id"`` or ``"en"``)."""
    ind, eng = LABELS[Verdict(verdict)]
    return ind if lang == "id" else eng
