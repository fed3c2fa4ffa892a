"""Exports of a selection of cases through the CLI: one evidence bundle for several cases that ``sha256sum -c``
verifies, and the recommendation-letter annex (XLSX read back by openpyxl, PDF by pdftotext) checked against
what ``cases list`` says of the stored cases."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from geozones.core.time import format_wib, parse_time
from geozones.store.database import open_store
from geozones.store.models import AuditEvent
from tests.cli.test_casework_cli import cli  # noqa: F401  (the fixture)
from tests.io.photo_builders import make_photo
from tests.store.backends import _drop_templates, cheap_password_hashing, store_url  # noqa: F401

BW = {"user": "siti", "password": "siti-pass-12"}
LETTER = "012/PM.00.02/K.JK-01/10/2024"
ORDER = "=KPU-JP/77"  # starts like a formula: must stay text in the XLSX
REPORTER = "Budi Rahasia Pelapor"
MONAS = ("106.8272", "-6.1754")  # Kelurahan Gambir, Kecamatan Gambir


def _pdf_text(path) -> tuple[str, str]:
    """The PDF's text laid out (lines as printed) and flattened (reading order, no whitespace: cells wrap)."""
    layout = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                            check=True).stdout
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return layout, "".join(raw.split())


def _setup(cli, tmp_path) -> dict[str, str]:  # noqa: F811
    assert cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")[0] == 0
    assert cli("users", "add", "siti", "--role", "bawaslu", stdin="siti-pass-12\n", user="root",
               password="root-pass-1")[0] == 0
    photo = tmp_path / "istiqlal.jpg"
    photo.write_bytes(make_photo())
    ids = {}
    for name, extra in (("a", ["--lon", "106.8311", "--lat", "-6.1700", "--paslon", "2", "--apk-type", "baliho",
                               "--photo", str(photo), "--reporter-name", REPORTER]),
                        ("b", ["--lon", "106.8312", "--lat", "-6.1702", "--paslon", "1", "--apk-type", "spanduk"]),
                        ("c", ["--lon", MONAS[0], "--lat", MONAS[1], "--paslon", "2", "--apk-type", "umbul-umbul"])):
        code, out, err = cli("reports", "add", "--source", "temuan", "--observed-at", "2024-10-10T10:00+07:00",
                             *extra, **BW)
        assert code == 0, err
        ids[name] = out.strip().splitlines()[-1]
    a = ids["a"]
    assert cli("cases", "advance", a, "--to", "under_study", "--reason", "kajian", **BW)[0] == 0
    assert cli("cases", "advance", a, "--to", "recommended", "--letter", LETTER, "--reason", "rek", **BW)[0] == 0
    code, _, err = cli("cases", "advance", a, "--to", "ordered", "--order", ORDER, "--deadline",
                       "2024-10-12T09:00+07:00", "--reason", "perintah", **BW)
    assert code == 0, err
    return ids


def _listed(cli) -> dict[str, dict[str, str]]:  # noqa: F811
    code, out, err = cli("cases", "list", "--format", "csv", **BW)
    assert code == 0, err
    return {r["case_id"]: r for r in csv.DictReader(io.StringIO(out))}


def test_evidence_bundle_for_a_selection_verifies_with_sha256sum(cli, tmp_path, store_url):  # noqa: F811
    ids = _setup(cli, tmp_path)
    bundle = tmp_path / "bundle.zip"
    code, out, err = cli("cases", "evidence", ids["a"], ids["b"], ids["c"], "--out", str(bundle), **BW)
    assert code == 0, err
    _path, digest = out.strip().splitlines()[-1].split("\t")
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == digest
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        z.extractall(unpacked)
    pdfs = [n for n in names if n.endswith(".pdf")]
    assert len(pdfs) == 1
    assert any(n.startswith(f"originals/kasus-{ids['a']}/") for n in names)
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=unpacked, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = (unpacked / "manifest.sha256").read_text().splitlines()
    assert check.stdout.count(": OK") == len(listed) == len(names) - 1  # every file but the manifest itself
    if shutil.which("pdftotext"):
        text, flat = _pdf_text(unpacked / pdfs[0])
        for kel in ("Pasar Baru", "Gambir"):
            assert kel in text
        assert LETTER in flat and "".join(REPORTER.split()) not in flat
    # the bundle's hash is in the audit trail, naming the three cases
    store = open_store(store_url)
    try:
        with store.read() as s:
            ev = s.execute(select(AuditEvent).where(AuditEvent.action == "evidence.export")).scalar_one()
    finally:
        store.dispose()
    assert ev.after["sha256"] == digest and ev.after["cases"] == [int(ids[k]) for k in "abc"]
    # the one-case form still works and keeps its flat originals/ folder
    one = tmp_path / "one.zip"
    assert cli("cases", "evidence", ids["a"], "--out", str(one), **BW)[0] == 0
    with zipfile.ZipFile(one) as z:
        assert any(n.startswith("originals/01-") for n in z.namelist())
    code, _, err = cli("cases", "evidence", ids["a"], "999", "--out", str(tmp_path / "x.zip"), **BW)
    assert code == 2 and "999" in err and not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize("by", ["kota", "kecamatan", "paslon", "rule"])
def test_annex_xlsx_lists_the_stored_cases_grouped(cli, tmp_path, by):  # noqa: F811
    ids = _setup(cli, tmp_path)
    listed = _listed(cli)
    out = tmp_path / f"annex-{by}.xlsx"
    code, _, err = cli("cases", "annex", "--by", by, "--out", str(out), **BW)
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    ws = wb["lampiran"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    head = [c.value for c in ws[1]]
    col = {h.split(" / ")[0]: i for i, h in enumerate(head)}
    lines = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    seen: dict[str, list[str]] = {}
    for row in ws.iter_rows(min_row=2):
        cells = {h.split(" / ")[0]: c for h, c in zip(head, row, strict=True)}
        assert all(c.data_type == "s" for c in row if c.value is not None)
        case = cells["No. kasus"].value
        stored = listed[case]
        assert cells["Kode Kemendagri"].value == stored["kode_kemendagri"]
        assert cells["Kelurahan"].value == stored["kelurahan"]
        assert cells["Kecamatan"].value == stored["kecamatan"]
        assert cells["Paslon"].value == stored["paslon"]
        assert cells["Jenis APK"].value == stored["apk_type"]
        assert cells["Status"].value == stored["state"]
        assert cells["Aturan"].value.replace("; ", ";") == stored["rule_ids"]
        for rid in stored["rule_ids"].split(";"):
            assert f"{rid}: " in cells["Dasar hukum"].value
        want_deadline = format_wib(parse_time(stored["deadline"]).to_pydatetime()) if stored["deadline"] else None
        assert cells["Batas waktu (WIB)"].value == want_deadline
        seen.setdefault(case, []).append(cells["Grup"].value)
        group = cells["Grup"].value
        if by == "kecamatan":
            assert group == stored["kecamatan"]
        elif by == "paslon":
            assert group == stored["paslon"]
        elif by == "kota":
            assert group.endswith(f"({stored['kode_kemendagri'][:5]})")
    # every stored case is there; with --by rule once per rule it was judged against
    assert set(seen) == set(listed) == set(ids.values())
    if by == "rule":
        for case, groups in seen.items():
            assert sorted(groups) == sorted(listed[case]["rule_ids"].split(";"))
    else:
        assert all(len(g) == 1 for g in seen.values())
    a = next(r for r in lines if r[col["No. kasus"]] == ids["a"])
    assert a[col["No. surat rekomendasi"]] == LETTER and a[col["No. perintah KPU"]] == "'" + ORDER
    about = "\n".join(str(c.value) for c in wb["sumber"]["A"])
    assert "OpenStreetMap" in about and "Versi aturan" in about and "@" in about
    assert not any(REPORTER in str(v) for ws_ in wb for row in ws_.iter_rows(values_only=True) for v in row)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_annex_pdf_and_its_selection(cli, tmp_path):  # noqa: F811
    ids = _setup(cli, tmp_path)
    listed = _listed(cli)
    out = tmp_path / "annex.pdf"
    code, _, err = cli("cases", "annex", "--by", "kecamatan", "--out", str(out), **BW)
    assert code == 0, err
    text, flat = _pdf_text(out)
    for case in ids.values():
        assert listed[case]["kode_kemendagri"] in text
    assert "Kecamatan: Gambir (1)" in text and "Kecamatan: Sawah Besar (2)" in text
    assert LETTER in flat and "OpenStreetMap" in text and "".join(REPORTER.split()) not in flat
    # only the ordered case with --state; nothing written on refusal
    out2 = tmp_path / "ordered.xlsx"
    assert cli("cases", "annex", "--by", "paslon", "--state", "ordered", "--out", str(out2), **BW)[0] == 0
    rows = list(openpyxl.load_workbook(out2)["lampiran"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == [ids["a"]]
    # one group only, by its name (any case) or, for a kota, its code
    for by, group, want in (("kecamatan", "gambir", [ids["c"]]), ("kota", "31.71", sorted(ids.values(), key=int)),
                            ("paslon", "1", [ids["b"]])):
        out3 = tmp_path / f"one-{by}.xlsx"
        assert cli("cases", "annex", "--by", by, "--group", group, "--out", str(out3), **BW)[0] == 0
        rows = list(openpyxl.load_workbook(out3)["lampiran"].iter_rows(min_row=2, values_only=True))
        assert [r[1] for r in rows] == want
        assert all(listed[r[1]][by if by != "kota" else "kode_kemendagri"].lower().startswith(group) for r in rows)
    bad = tmp_path / "bad.xlsx"
    code, _, err = cli("cases", "annex", "--by", "kota", "--out", str(bad), user="root", password="root-pass-1")
    assert code == 2 and "bawaslu" in err and "Traceback" not in err and not bad.exists()
    code, _, err = cli("cases", "annex", "--by", "kota", "--out", str(tmp_path / "x.txt"), **BW)
    assert code == 2 and "--format" in err
