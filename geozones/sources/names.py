"""Match place names between the BPS and Kemendagri tables.

The two code systems number units differently inside their parent, so codes
can never be matched by position; names are matched instead, always within one
parent (kelurahan within a kecamatan), which keeps a common name such as
"Kebon Kelapa" from pairing with its namesake elsewhere. Spellings differ
("Pal Meriem" / "Palmeriam", "Kampung Tengah" / "Tengah"), so a name that does
not match exactly is tried once more without a generic leading word and then by
close spelling; every such match is reported so a person can check it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

#: Leading words that name the kind of unit rather than the unit itself.
GENERIC_WORDS = ("kampung", "kp", "desa", "kelurahan", "kel", "gampong", "nagari", "kota",
                 "kabupaten", "kab", "administrasi", "adm")
#: Close-spelling matches need at least this similarity (difflib ratio).
MIN_RATIO = 0.8


def normalise(name: str) -> str:
    """Lower-case ASCII words separated by single spaces (``"Pal Meriem"`` → ``"pal meriem"``)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def compact(name: str) -> str:
    """:func:`normalise` without spaces, so ``"Pal Meriem"`` and ``"Palmeriam"`` come close."""
    return normalise(name).replace(" ", "")


def strip_generic(name: str) -> str:
    """Drop leading generic words (``"Kampung Tengah"`` → ``"tengah"``)."""
    words = normalise(name).split()
    while len(words) > 1 and words[0] in GENERIC_WORDS:
        words = words[1:]
    return "".join(words)


@dataclass(frozen=True)
class NameMatch:
    """A pairing of one left and one right unit."""

    left: str
    right: str
    left_name: str
    right_name: str
    method: str  # "exact", "generic-word", "spelling"
    ratio: float = 1.0


def match_names(left: dict[str, str], right: dict[str, str]) -> tuple[list[NameMatch], list[str], list[str]]:
    """Pair units of two tables by name; each unit is used at most once.

    Parameters
    ----------
    left, right : dict of str to str
        ``{id: name}`` of the units under one parent in each table.

    Returns
    -------
    matches : list of NameMatch
        Pairs found, exact ones first.
    unmatched_left, unmatched_right : list of str
        Ids left without a partner.
    """
    free_l, free_r = dict(left), dict(right)
    out: list[NameMatch] = []

    def pair_by(keyfn, method: str) -> None:
        index: dict[str, list[str]] = {}
        for rid, rname in free_r.items():
            index.setdefault(keyfn(rname), []).append(rid)
        lkeys: dict[str, list[str]] = {}
        for lid, lname in free_l.items():
            lkeys.setdefault(keyfn(lname), []).append(lid)
        for key, lids in lkeys.items():
            rids = index.get(key, [])
            # An ambiguous key (two units with one name under the same parent) is left for a person.
            if len(lids) == 1 and len(rids) == 1:
                lid, rid = lids[0], rids[0]
                out.append(NameMatch(lid, rid, free_l.pop(lid), free_r.pop(rid), method))

    pair_by(compact, "exact")
    pair_by(strip_generic, "generic-word")
    if free_l and free_r:
        scores = []
        for lid, lname in free_l.items():
            for rid, rname in free_r.items():
                ratio = difflib.SequenceMatcher(None, compact(lname), compact(rname)).ratio()
                scores.append((ratio, lid, rid))
        best_l: dict[str, tuple[float, str]] = {}
        best_r: dict[str, tuple[float, str]] = {}
        for ratio, lid, rid in scores:
            if ratio > best_l.get(lid, (-1.0, ""))[0]:
                best_l[lid] = (ratio, rid)
            if ratio > best_r.get(rid, (-1.0, ""))[0]:
                best_r[rid] = (ratio, lid)
        for lid, (ratio, rid) in sorted(best_l.items()):
            # Mutual best and close enough; a tie for second place would make it a guess.
            ties = sum(1 for r, li, ri in scores if (li == lid or ri == rid) and r == ratio)
            if ratio >= MIN_RATIO and best_r[rid][1] == lid and ties == 1 and lid in free_l and rid in free_r:
                out.append(NameMatch(lid, rid, free_l.pop(lid), free_r.pop(rid), "spelling", round(ratio, 3)))
    return out, sorted(free_l), sorted(free_r)
