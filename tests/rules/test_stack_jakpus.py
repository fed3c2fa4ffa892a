"""Jakarta Pusat as a stack (national -> DKI -> Jakarta Pusat) judges exactly as the single file did.

How the comparison is kept honest: before the rule set was split, the single-file
version (dki-jakarta-pusat-pilkada-2024 v2024.1, commit c1c05d2) was loaded with the
code of that commit and three things were frozen here as digests (sha256; no data from
../shared is committed, only these checksums):

* each rule's full definition (``Rule.model_dump``), per rule id: the stack must hold
  the very same rules, whichever level now carries them;
* everything else that decides a verdict (schedule, defaults, quotas, grants,
  jurisdiction, area, time zone);
* the verdicts of 3,000 seeded random Jakarta Pusat sites over four instants and five APK
  types on the real layers: verdict, the set of rule ids, nearest distance and the set of
  rules not checked, per site.

The script that produced them is reproduced by :func:`_sample` and :func:`_verdict_rows`
(same seed, same columns). Rule order and reason texts are not compared: the stack
lists national rules first and reasons now cite their level ("Dasar [DKI]: ...").

Data: BPS/HDX kelurahan boundaries (CC BY-IGO); © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geozones.engine import evaluate_detailed
from geozones.engine.compile import prepare
from geozones.io.sites import sites_frame
from geozones.services.catalog import FileCatalog
from geozones.services.checking import open_checker

#: Per-rule digests of the single-file rule set v2024.1 (computed with commit c1c05d2).
RULE_DIGESTS = {
    "R01": "953ce8c1c786c352", "R01-H": "fb2fa21ef9ebe013", "R02": "13c8cd5a5c6b233b",
    "R02-H": "1118562d333bc045", "R03": "0bf2687d08589d88", "R03-H": "392ef260b6da3d08",
    "R04": "485f228ad83da5b0", "R04-H": "7e6584aab372a0c3", "R04-U": "06c7ecf73165b462",
    "R05": "be1fa2fc87e010f4", "R06": "bc5129c115813af3", "R11": "0cb899057c1638b0",
    "R05-K": "c3fbe50d8fa58bcc", "R15": "6271b98398994654", "R07": "a2ceee19b2d302ce",
    "R08": "073c5d63d5e02920", "R08-N": "5680631bc040085c", "R09": "27330d07914bf580",
    "R10": "b16330924cb2ec66", "R13": "57bb79ce0ff4b4ea", "R14": "9270b0affafc117d",
    "R17": "34829b9273899b87", "R18": "7040bee574ce7592", "R25": "542a3d48d8d22b25",
}
#: Digest of the rest of v2024.1 that decides verdicts (schedule, defaults, quotas, grants, ...).
REST_DIGEST = "1635ca74a8688f9c"
REST_FIELDS = ("schedule", "default_verdict", "default_reason", "default_legal_basis", "quotas", "grants",
               "jurisdiction", "area", "timezone")
#: Digest of the 3,000 sites' verdict rows under v2024.1 (commit c1c05d2), and their verdict counts.
VERDICT_DIGEST = "4b0a15f5846f68eb9722f2d42d842e83bdee443e7c75bf47f52f524282638849"
VERDICT_COUNTS = {"FORBIDDEN": 1057, "NEEDS_OWNER_CONSENT": 990, "OUT_OF_WINDOW": 828, "NEEDS_DISCRETION": 82,
                  "NEEDS_PERMIT": 43}
#: Where each rule now lives.
LEVEL_OF = {**dict.fromkeys(["R01", "R01-H", "R02", "R02-H", "R03", "R03-H", "R04", "R04-H", "R04-U", "R13",
                             "R17", "R18"], "nasional-pilkada-2024"),
            **dict.fromkeys(["R05", "R05-K", "R06", "R07", "R08", "R11", "R14", "R15"], "dki-jakarta-pilkada-2024"),
            **dict.fromkeys(["R08-N", "R09", "R10", "R25"], "dki-jakarta-pusat-pilkada-2024")}


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(_as_written_in_v2024_1(obj), sort_keys=True).encode()).hexdigest()[:16]


def _as_written_in_v2024_1(obj):
    """A model dump in the form of commit c1c05d2, where the digests were frozen.

    Since then a legal basis says ``verified: false`` (with an optional ``subject``) where
    v2024.1 wrote the shorthand ``article: "verify (subject)"``; the rule model reads the
    shorthand into the new fields, so mapping them back recovers exactly what was frozen.
    """
    if isinstance(obj, list):
        return [_as_written_in_v2024_1(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _as_written_in_v2024_1(v) for k, v in obj.items()}
    if "verified" in out and "instrument" in out:
        verified, subject = out.pop("verified"), out.pop("subject", None)
        if not verified:
            out["article"] = "verify" + (f" ({subject})" if subject else "")
    return out


def _sample(layers):
    rng = np.random.default_rng(20241127)
    minx, miny, maxx, maxy = layers.kelurahan.total_bounds
    area = shapely.union_all(layers.kelurahan.geometry.values)
    x, y = rng.uniform(minx, maxx, 12000), rng.uniform(miny, maxy, 12000)
    keep = shapely.covers(area, shapely.points(x, y))
    x, y = x[keep][:3000], y[keep][:3000]
    n = len(x)
    assert n == 3000
    types = np.array(["spanduk", "baliho", "billboard", "umbul_umbul", ""], dtype=object)
    times = np.array(["2024-09-20T10:00", "2024-10-15T10:00", "2024-11-25T08:00", "2024-11-27T09:00"], dtype=object)
    return sites_frame(x, y, site_id=[f"s{i}" for i in range(n)],
                       apk_type=[t or None for t in types[rng.integers(0, len(types), n)]],
                       installed_at=list(times[rng.choice(4, n, p=[0.1, 0.7, 0.1, 0.1])]),
                       paslon=[str(p) for p in rng.integers(1, 4, n)])


def _verdict_rows(t) -> list[str]:
    def ids(text):
        return ";".join(sorted(filter(None, str(text).split(";"))))

    return [f"{sid}|{v}|{ids(r)}|{'' if pd.isna(m) else f'{m:.1f}'}|{ids(nc) if ids(nc) else ''}"
            for sid, v, r, m, nc in zip(t.site_id, t.verdict, t.rule_ids, t.nearest_m, t.not_checked, strict=True)]


def test_the_stack_holds_the_single_files_rules_unchanged(jakpus_rules):
    got = {r.id: _digest(r.model_dump(mode="json")) for r in jakpus_rules.rules}
    assert got == RULE_DIGESTS
    rest = {k: v for k, v in jakpus_rules.model_dump(mode="json").items() if k in REST_FIELDS}
    assert _digest(rest) == REST_DIGEST


def test_each_rule_sits_at_its_level(jakpus_rules):
    assert {r.id: r.origin.ruleset_id for r in jakpus_rules.rules} == LEVEL_OF
    assert [(lv.ruleset_id, lv.level) for lv in jakpus_rules.levels] == [
        ("nasional-pilkada-2024", "nasional"), ("dki-jakarta-pilkada-2024", "provinsi"),
        ("dki-jakarta-pusat-pilkada-2024", "kota")]


def test_3000_random_sites_judged_as_by_the_single_file(jakpus_layers, jakpus_rules):
    sites = _sample(jakpus_layers)
    res = evaluate_detailed(sites, jakpus_layers, jakpus_rules, at="2024-10-15T10:00",
                            prepared=prepare(jakpus_layers, jakpus_rules))
    counts = res.table["verdict"].value_counts().to_dict()
    assert counts == VERDICT_COUNTS
    digest = hashlib.sha256("\n".join(_verdict_rows(res.table)).encode()).hexdigest()
    assert digest == VERDICT_DIGEST, "same counts, but some site's rule ids, nearest distance or not-checked differ"


@pytest.mark.parametrize(("place", "rule", "cite_id", "cite_en"), [
    ((106.83109, -6.17025), "R01", "Dasar [nasional]: PKPU 13/2024", "Basis [national]: PKPU 13/2024"),
    ((106.82290, -6.18800), "R11", "Dasar [DKI]: Perda DKI 8/2007", "Basis [DKI]: Perda DKI 8/2007"),
    ((106.82720, -6.17540), "R09", "Dasar [Jakarta Pusat]: SK KPU", "Basis [Central Jakarta]: SK KPU"),
], ids=["istiqlal", "thamrin", "monas"])
def test_reasons_cite_the_level_of_their_rule(jakpus_layers, jakpus_rules, place, rule, cite_id, cite_en):
    res = evaluate_detailed(sites_frame(*place, apk_type="spanduk"), jakpus_layers, jakpus_rules,
                            at="2024-10-15T10:00")
    row = res.table.iloc[0]
    mine = [p for p in row["reasons_id"].split(" | ") if p.startswith(f"{rule} ")]
    assert mine and cite_id in mine[0]
    assert any(p.startswith(f"{rule} ") and cite_en in p for p in row["reasons_en"].split(" | "))


def test_the_checker_records_every_level_in_its_provenance(shared_data):
    checker = open_checker(FileCatalog(data_dir=shared_data))
    ev = checker.check(sites_frame(106.83109, -6.17025, apk_type="spanduk"), "2024-10-15T10:00")
    assert [(lv["ruleset_id"], lv["version"]) for lv in ev.provenance["levels"]] == [
        ("nasional-pilkada-2024", "2024.1"), ("dki-jakarta-pilkada-2024", "2024.1"),
        ("dki-jakarta-pusat-pilkada-2024", "2024.2")]
    assert ev.provenance["ruleset_id"] == "dki-jakarta-pusat-pilkada-2024"
    assert "nasional 2024.1 > DKI 2024.1 > Jakarta Pusat 2024.2" in checker.attribution()[0]
