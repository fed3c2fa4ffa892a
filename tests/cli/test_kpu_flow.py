"""The KPU workspace through the CLI alone (issue 10 "Done when"): draft, park zone, review, publish under a
decree, check in force on a date, diff, audit, a discretion grant; and the bad input of item 9."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from geozones.cli.main import main
from geozones.rules.model import RULES_DIR
from tests.conftest import DEFAULT_RULES
from tests.store.backends import cheap_password_hashing, store_url  # noqa: F401

RID = "dki-jakarta-pusat-pilkada-2024"
#: A spot in kelurahan Johar Baru that no rule matches (NEEDS_OWNER_CONSENT with the published rules).
PARK_XY = (106.85493, -6.187064)
#: A point on a candidate protocol road (Jl. in Gambir) where R05-K and R15 ask for discretion.
ROAD_XY = (106.820072, -6.163501)
PASSWORDS = {"root": "root-pass-1", "ed": "ed-pass-123", "pub": "pub-pass-12", "pub2": "pub2-pass-1"}


def _square(x: float, y: float, d: float = 0.0003) -> list:
    return [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]


def _geojson(path, geometry, name="Taman Johar Baru (uji)"):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": geometry}]}), encoding="utf-8")
    return path


@pytest.fixture
def cli(store_url, shared_data, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setenv("GEOZONES_DATABASE_URL", store_url)
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    if store_url.startswith("postgresql"):
        assert main(["db", "upgrade"]) == 0

    def run(*argv, user: str | None = None, stdin: str | None = None):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
        if user:
            monkeypatch.setenv("GEOZONES_USER", user)
            monkeypatch.setenv("GEOZONES_PASSWORD", PASSWORDS[user])
        else:
            monkeypatch.delenv("GEOZONES_USER", raising=False)
            monkeypatch.delenv("GEOZONES_PASSWORD", raising=False)
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    assert run("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")[0] == 0
    for name, role in (("ed", "kpu_editor"), ("pub", "kpu_publisher"), ("pub2", "kpu_publisher")):
        assert run("users", "add", name, "--role", role, stdin=PASSWORDS[name] + "\n", user="root")[0] == 0
    # the stack: national base and DKI level first, each its own decree, then the Jakarta Pusat level
    for path in (RULES_DIR / "nasional-pilkada-2024.yaml", RULES_DIR / "dki-jakarta-pilkada-2024.yaml", DEFAULT_RULES):
        code, _, err = run("rules", "import", path, "--decree", "SK 135/2024", "--signed", "2024-09-20", user="root")
        assert code == 0, err
    return run


def _verdicts(cli, tmp_path, at: str, xy=PARK_XY, apk: str = "baliho") -> dict:
    sites = tmp_path / "sites.csv"
    sites.write_text(f"site_id,lon,lat,apk_type\ns1,{xy[0]},{xy[1]},{apk}\n", encoding="utf-8")
    code, out, err = cli("check", sites, "--at", at, "--no-progress", "--reasons", "full", "--lang", "both")
    assert code == 0, err
    rows = list(csv.DictReader(line for line in out.splitlines() if not line.startswith("#")))
    return rows[0]


def _draft_status(cli, version: str) -> str:
    _code, out, _ = cli("rules", "history", RID, user="ed")
    line = next(x for x in out.splitlines() if x.startswith(version + "\t"))
    return line.split("\t")[1]


def test_kpu_flow_through_the_cli(cli, tmp_path):
    before = _verdicts(cli, tmp_path, "2024-10-20T10:00")
    assert before["verdict"] == "NEEDS_OWNER_CONSENT"

    code, out, err = cli("draft", "new", RID, "--reason", "taman baru Johar Baru", user="ed")
    assert code == 0, err
    draft = out.strip().splitlines()[-1]
    assert draft == f"{RID}@2024.3"
    # what an editor reads names the legal sources, never a developer's research notes
    code, out, err = cli("draft", "show", draft, user="ed")
    assert code == 0, err
    assert "PKPU 13/2024" in out
    assert "domain-research" not in out and "../shared" not in out
    park = _geojson(tmp_path / "park.geojson", {"type": "Polygon", "coordinates": _square(*PARK_XY)})
    code, out, err = cli("draft", "add-zone", draft, park, "--rule", "R08", "--reason", "survei lapangan 12/10",
                         user="ed")
    assert code == 0, err
    assert "kpu-1" in out
    code, _, err = cli("draft", "submit", draft, "--reason", "siap ditinjau", user="ed")
    assert code == 0, err
    assert _draft_status(cli, "2024.3") == "in_review"

    # the editor cannot publish (role), nor its own draft; the publisher can
    code, _, err = cli("draft", "publish", draft, "--decree", "SK 200/2024", "--signed", "2024-10-14",
                       "--effective-from", "2024-10-15", "--reason", "x", user="ed")
    assert code == 2 and "not allowed" in err
    code, out, err = cli("draft", "publish", draft, "--decree", "SK 200/2024", "--signed", "2024-10-14",
                         "--effective-from", "2024-10-15", "--reason", "SK taman Johar Baru", user="pub")
    assert code == 0, err
    assert "SK 200/2024" in out and "15-10-2024 00:00 WIB" in out
    assert "SK SK" not in out  # the decree number as given, not prefixed again

    # in force on the date: FORBIDDEN (R08) from 15 Oct, what it was before for earlier dates
    after = _verdicts(cli, tmp_path, "2024-10-20T10:00")
    assert after["verdict"] == "FORBIDDEN" and "R08" in after["rule_ids"].split(";")
    assert _verdicts(cli, tmp_path, "2024-10-15T00:00")["verdict"] == "FORBIDDEN"
    assert _verdicts(cli, tmp_path, "2024-10-14T23:59")["verdict"] == "NEEDS_OWNER_CONSENT"
    # sites on both sides of 15 Oct are judged with two stacks; a layer neither could check is named once
    sites = tmp_path / "two.csv"
    sites.write_text(f"site_id,lon,lat,installed_at\na,{PARK_XY[0]},{PARK_XY[1]},2024-10-14T10:00\n"
                     f"b,{PARK_XY[0]},{PARK_XY[1]},2024-10-20T10:00\n", encoding="utf-8")
    code, _, err = cli("check", sites, "--no-progress", "--out", tmp_path / "two-out.csv")
    assert code == 0, err
    line = next(x for x in err.splitlines() if "tidak diperiksa" in x).split(": ", 2)[-1]
    named = re.findall(r"R[\w-]+ \([^)]*\)", line)
    assert named and len(named) == len(set(named)), line

    code, out, err = cli("rules", "diff", f"{RID}@2024.2", draft, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    added = [r for r in rows if r["kind"] == "zone" and r["change"] == "added"]
    assert [r["key"] for r in added] == ["R08/kpu-1"]
    assert 3000 < float(added[0]["area_m2"]) < 5000  # 66 m x 66 m

    code, out, err = cli("audit", "list", "--format", "csv", user="pub2")
    assert code == 0, err
    audit = list(csv.DictReader(io.StringIO(out)))
    by_action = {r["action"]: r for r in audit}
    assert by_action["draft.add_zone"]["actor"] == "ed"
    assert by_action["draft.add_zone"]["reason"] == "survei lapangan 12/10"
    assert by_action["draft.submit"]["actor"] == "ed"
    assert by_action["ruleset.publish"]["actor"] == "pub"
    assert by_action["ruleset.publish"]["reason"] == "SK taman Johar Baru"
    assert by_action["ruleset.publish"]["entity_id"] == draft


def test_discretion_grant_lifts_inside_its_window_only(cli, tmp_path):
    assert _verdicts(cli, tmp_path, "2024-10-20T10:00", ROAD_XY)["verdict"] == "NEEDS_DISCRETION"
    code, out, err = cli("grants", "request", "--lon", ROAD_XY[0], "--lat", ROAD_XY[1], "--radius", "15 m",
                         "--lifts", "R05-K,R15", "--from", "2024-10-10", "--to", "2024-11-01",
                         "--addressee", "Satpol PP", "--reason", "permohonan paslon 2", user="ed")
    assert code == 0, err
    gid = out.strip().splitlines()[-1]
    # the requester cannot decide; a publisher grants with the letter
    code, _, err = cli("grants", "decide", gid, "--grant", "--letter", "X", "--reason", "x", user="ed")
    assert code == 2
    code, out, err = cli("grants", "decide", gid, "--grant", "--letter", "123/PL.02.4-SD/3171/2024",
                         "--conditions", "maks. 2 baliho / at most 2 baliho", "--reason", "disetujui", user="pub")
    assert code == 0, err
    inside = _verdicts(cli, tmp_path, "2024-10-20T10:00", ROAD_XY)
    assert inside["verdict"] == "ALLOWED"
    assert "123/PL.02.4-SD/3171/2024" in inside["reasons"] + inside["reasons_en"]
    assert inside["grant_ids"] == gid
    assert _verdicts(cli, tmp_path, "2024-11-02T10:00", ROAD_XY)["verdict"] == "NEEDS_DISCRETION"
    assert _verdicts(cli, tmp_path, "2024-10-05T10:00", ROAD_XY)["verdict"] == "NEEDS_DISCRETION"
    code, out, _ = cli("grants", "list")
    assert gid in out and "granted" in out and "123/PL.02.4-SD/3171/2024" in out and "Satpol PP" in out
    code, _, err = cli("grants", "revoke", gid, "--reason", "dicabut", user="pub")
    assert code == 0, err
    assert _verdicts(cli, tmp_path, "2024-10-20T10:00", ROAD_XY)["verdict"] == "NEEDS_DISCRETION"
    code, _, err = cli("grants", "request", "--lon", ROAD_XY[0], "--lat", ROAD_XY[1], "--lifts", "R15",
                       "--from", "2024-11-01", "--to", "2024-10-01", "--addressee", "Bina Marga", "--reason", "x",
                       user="ed")
    assert code == 2 and "empty grant window" in err


def test_bad_input_leaves_the_draft_as_it_was(cli, tmp_path, store_url):  # noqa: F811
    code, out, _ = cli("draft", "new", RID, user="ed")
    draft = out.strip().splitlines()[-1]

    def row_version() -> str:
        return cli("draft", "show", draft, user="ed")[1]

    text0 = row_version()
    # a bow-tie is repaired with a warning naming the zone
    bowtie = _geojson(tmp_path / "bowtie.geojson", {"type": "Polygon", "coordinates": [[
        [106.8545, -6.1875], [106.8553, -6.1866], [106.8553, -6.1875], [106.8545, -6.1866], [106.8545, -6.1875]]]},
        name="Dasi")
    code, out, err = cli("draft", "add-zone", draft, bowtie, "--rule", "R08", "--reason", "uji", user="ed")
    assert code == 0, err
    assert "bowtie.geojson: feature 1" in err and "Self-intersection" in err and "repaired" in err
    # outside the kota: refused, naming the zone; nothing written
    outside = _geojson(tmp_path / "out.geojson", {"type": "Polygon", "coordinates": _square(106.70, -6.30)},
                       name="Taman Bogor")
    code, _, err = cli("draft", "add-zone", draft, outside, "--rule", "R08", "--reason", "uji", user="ed")
    assert code == 2 and "Taman Bogor" in err and "outside the rule set's kota" in err
    # no reason, unknown rule
    code, _, err = cli("draft", "add-zone", draft, bowtie, "--rule", "R99", "--reason", "uji", user="ed")
    assert code == 2 and "R99" in err
    # a rule referencing a missing layer (R25, TPS, is this level's own; R08 parks is DKI's)
    code, _, err = cli("draft", "set-rule", draft, "R25", "--set", "layer=kebun_raya", "--reason", "uji", user="ed")
    assert code == 2 and "kebun_raya" in err
    text1 = row_version()
    assert text1 == text0  # the YAML untouched by the refused changes (the overlay zone is beside it)
    code, _, err = cli("draft", "set-rule", draft, "R25", "--set", "verdict=NEEDS_PERMIT", "--reason", "uji",
                       user="ed")
    assert code == 0, err
    assert "NEEDS_PERMIT" in row_version()
    code, _, err = cli("draft", "submit", draft, "--reason", "tinjau", user="ed")
    assert code == 0
    # publishing one's own draft
    code, _, err = cli("users", "grant", "ed", "--role", "kpu_publisher", user="root")
    assert code == 0, err
    code, _, err = cli("draft", "publish", draft, "--decree", "SK 1", "--signed", "2024-10-01", "--effective-from",
                       "2024-10-02", "--reason", "x", user="ed")
    assert code == 2 and "four eyes" in err
    # empty window, then a window overlapping the version in force from 20 Sep
    code, _, err = cli("draft", "publish", draft, "--decree", "SK 1", "--signed", "2024-10-01", "--effective-from",
                       "2024-10-02", "--effective-to", "2024-10-02", "--reason", "x", user="pub")
    assert code == 2 and "empty effective window" in err
    code, _, err = cli("draft", "publish", draft, "--decree", "SK 1", "--signed", "2024-09-01", "--effective-from",
                       "2024-09-01", "--reason", "x", user="pub")
    assert code == 2 and "overlapping effective window" in err
    assert _draft_status(cli, draft.split("@")[1]) == "in_review"
    # the publisher sends it back with a comment; the editor resubmits
    code, _, err = cli("draft", "return", draft, "--reason", "lengkapi dasar hukum", user="pub")
    assert code == 0, err
    assert _draft_status(cli, draft.split("@")[1]) == "draft"
    # racing publication: another draft from the same parent is published first
    code, out, _ = cli("draft", "new", RID, user="ed")
    other = out.strip().splitlines()[-1]
    code, _, err = cli("draft", "publish", other, "--decree", "SK 2", "--signed", "2024-10-01", "--effective-from",
                       "2024-10-03", "--reason", "lebih dulu", user="pub2")
    assert code == 0, err
    code, _, err = cli("draft", "publish", draft, "--decree", "SK 3", "--signed", "2024-10-01", "--effective-from",
                       "2024-10-05", "--reason", "x", user="pub")
    assert code == 2 and "was just published by 'pub2'" in err
    assert _draft_status(cli, draft.split("@")[1]) == "draft"
    # a stale row version (someone changed the draft since it was read)
    code, _, err = cli("draft", "withdraw", draft, "--reason", "x", "--expect-row-version", "1", user="ed")
    assert code == 2 and "conflict" in err
    code, _, err = cli("draft", "withdraw", draft, "--reason", "diganti SK 2", user="ed")
    assert code == 0, err
    assert _draft_status(cli, draft.split("@")[1]) == "withdrawn"
