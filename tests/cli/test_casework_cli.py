"""The Bawaslu flow through the command line alone: photo → Pasar Baru, FORBIDDEN, R01 → confirm →
recommendation → KPU order with a 24 h deadline → overdue later → evidence bundle that ``sha256sum -c`` verifies."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile

import pytest

from geozones.cli.main import main
from geozones.io.sealing import new_key
from tests.io.photo_builders import make_photo
from tests.store.backends import _drop_templates, cheap_password_hashing, store_url  # noqa: F401


@pytest.fixture
def cli(store_url, monkeypatch, capsys, shared_data):  # noqa: F811
    monkeypatch.setenv("GEOZONES_DATABASE_URL", store_url)
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    monkeypatch.setenv("GEOZONES_SECRET_KEY", new_key())
    if store_url.startswith("postgresql"):
        assert main(["db", "upgrade"]) == 0

    def run(*argv, user: str | None = None, password: str | None = None, now: str = "2024-10-11T09:00+07:00",
            stdin: str = ""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        monkeypatch.setenv("GEOZONES_NOW", now)
        for k, v in (("GEOZONES_USER", user), ("GEOZONES_PASSWORD", password)):
            if v:
                monkeypatch.setenv(k, v)
            else:
                monkeypatch.delenv(k, raising=False)
        capsys.readouterr()
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def test_whole_flow_through_the_cli(cli, tmp_path):
    assert cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")[0] == 0
    assert cli("users", "add", "siti", "--role", "bawaslu", stdin="siti-pass-12\n", user="root",
               password="root-pass-1")[0] == 0
    bw = {"user": "siti", "password": "siti-pass-12"}
    photo = tmp_path / "istiqlal.jpg"
    photo.write_bytes(make_photo())  # EXIF GPS 106.8311,-6.1700; taken 2024-10-10 10:00 WIB
    code, out, err = cli("reports", "add", "--lon", "106.8311", "--lat", "-6.1700", "--observed-at",
                         "2024-10-10T10:00+07:00", "--known-at", "2024-10-10T11:00+07:00", "--source", "temuan",
                         "--apk-type", "baliho", "--paslon", "2", "--photo", str(photo), **bw)
    assert code == 0, err
    case = out.strip().splitlines()[-1]
    assert case.isdigit()
    assert "Pasar Baru" in out and "FORBIDDEN" in out and "R01" in out
    code, out, err = cli("cases", "confirm", case, **bw)
    assert code == 0 and "confirmed" in out, err
    assert cli("cases", "advance", case, "--to", "under_study", "--reason", "kajian", **bw)[0] == 0
    code, _, err = cli("cases", "advance", case, "--to", "recommended", "--reason", "rekomendasi", **bw)
    assert code == 2 and "letter" in err and "surat" in err and "Traceback" not in err
    assert cli("cases", "advance", case, "--to", "recommended", "--letter", "012/PM.00.02/K.JK-01/10/2024",
               "--reason", "rekomendasi ke KPU", **bw)[0] == 0
    code, out, err = cli("cases", "advance", case, "--to", "ordered", "--order", "KPU-JP/77", "--deadline",
                         "2024-10-12T09:00+07:00", "--reason", "perintah KPU 1x24 jam", now="2024-10-11T09:00+07:00",
                         **bw)
    assert code == 0, err
    code, out, _ = cli("cases", "list", "--format", "csv", "--at", "2024-10-11T12:00+07:00", **bw)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"case_id", "state", "kelurahan", "kode_kemendagri", "verdict", "rule_ids", "deadline"} <= set(rows[0])
    assert rows[0]["case_id"] == case and rows[0]["overdue"] == "false" and rows[0]["due_soon"] == "true"
    assert rows[0]["kelurahan"] == "Pasar Baru" and rows[0]["verdict"] == "FORBIDDEN" and rows[0]["state"] == "ordered"
    assert rows[0]["deadline"].startswith("2024-10-12T09:00")
    code, out, _ = cli("cases", "list", "--overdue", "--format", "csv", "--at", "2024-10-12T10:00+07:00", **bw)
    assert [r["case_id"] for r in csv.DictReader(io.StringIO(out))] == [case]
    code, out, _ = cli("cases", "list", "--overdue", "--format", "csv", "--at", "2024-10-11T10:00+07:00", **bw)
    assert list(csv.DictReader(io.StringIO(out))) == []
    code, out, _ = cli("cases", "show", case, now="2024-10-12T10:00+07:00", **bw)
    assert "OVERDUE" in out and "perintah_kpu" in out and "012/PM.00.02" in out
    bundle = tmp_path / "bundle.zip"
    code, out, err = cli("cases", "evidence", case, "--out", str(bundle), now="2024-10-12T10:00+07:00", **bw)
    assert code == 0, err
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(unpacked)
        assert any(n.endswith(".pdf") for n in z.namelist())
        assert any(n.startswith("originals/") for n in z.namelist())
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=unpacked, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") >= 2


def test_public_and_bad_input_through_the_cli(cli, tmp_path):
    assert cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")[0] == 0
    assert cli("users", "add", "siti", "--role", "bawaslu", stdin="siti-pass-12\n", user="root",
               password="root-pass-1")[0] == 0
    code, out, err = cli("reports", "add", "--lon", "106.8311", "--lat", "-6.17", "--source", "informasi_awal",
                         "--reporter-name", "Warga")
    assert code == 0, err
    assert "Pasar Baru" not in out and out.strip().splitlines()[-1].isdigit()
    code, _, err = cli("reports", "add", "--lon", "106.8311", "--lat", "-6.17", "--source", "temuan")
    assert code == 2 and "--user" in err
    for argv in (("cases", "list"), ("cases", "show", "1")):
        code, _, err = cli(*argv)
        assert code == 2 and "Traceback" not in err
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"%PDF-1.4 not a photo")
    code, _, err = cli("reports", "add", "--source", "temuan", "--photo", str(bad), user="siti",
                       password="siti-pass-12")
    assert code == 2 and "bad.jpg" in err and "Traceback" not in err
    code, _, err = cli("cases", "advance", "1", "--to", "temuan", "--reason", "cek", user="root",
                       password="root-pass-1")
    assert code == 2 and ("not allowed" in err or "tidak" in err)
    code, _, err = cli("cases", "advance", "1", "--to", "ordered", "--reason", "x", user="siti",
                       password="siti-pass-12")
    assert code == 2 and "allowed" in err
    code, out, _ = cli("cases", "list", "--format", "csv", user="siti", password="siti-pass-12")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 1
