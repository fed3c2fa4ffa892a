"""The store from the command line: first admin, accounts, import/export/list/history, check --ruleset, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from geozones.cli.main import main
from geozones.rules.model import RULES_DIR
from tests.conftest import DEFAULT_RULES
from tests.store.stacked import DKI_ID, JP_ID, JP_VERSION, NASIONAL_ID

NASIONAL_FILE, DKI_FILE = RULES_DIR / f"{NASIONAL_ID}.yaml", RULES_DIR / f"{DKI_ID}.yaml"


def _import_parents(cli) -> None:
    for f in (NASIONAL_FILE, DKI_FILE):
        code, _, err = cli("rules", "import", str(f), user="root", password="root-pass-1")
        assert code == 0, err


@pytest.fixture
def cli(store_url, monkeypatch, capsys):
    monkeypatch.setenv("GEOZONES_DATABASE_URL", store_url)
    monkeypatch.delenv("GEOZONES_USER", raising=False)
    monkeypatch.delenv("GEOZONES_PASSWORD", raising=False)
    if store_url.startswith("postgresql"):
        assert main(["db", "upgrade"]) == 0

    def run(*argv, stdin: str | None = None, user: str | None = None, password: str | None = None):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
        if user:
            monkeypatch.setenv("GEOZONES_USER", user)
            monkeypatch.setenv("GEOZONES_PASSWORD", password)
        else:
            monkeypatch.delenv("GEOZONES_USER", raising=False)
            monkeypatch.delenv("GEOZONES_PASSWORD", raising=False)
        capsys.readouterr()
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def _count(url: str, sql: str) -> int:
    from geozones.store.database import open_store

    s = open_store(url)
    try:
        with s.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        s.dispose()


def test_first_admin_then_accounts_need_an_admin(cli, store_url):
    assert cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")[0] == 0
    code, _, err = cli("users", "add", "eve", "--role", "admin", stdin="eve-pass-12\n")
    assert code == 2 and "--user" in err
    code, _, err = cli("users", "add", "ed", "--role", "kpu_editor", stdin="ed-pass-123\n", user="root",
                       password="root-pass-1")
    assert code == 0, err
    code, out, _ = cli("users", "list", user="root", password="root-pass-1")
    assert "ed\t" in out and "kpu_editor" in out and "argon2" not in out
    code, _, err = cli("users", "list", user="ed", password="ed-pass-123")
    assert code == 2 and "not allowed" in err and "tidak diizinkan" in err
    code, _, err = cli("users", "list", user="root", password="wrong-pass")
    assert code == 2 and "wrong account name or password" in err
    assert cli("users", "grant", "kpu.pub@example.test", "--role", "kpu_publisher", "--sso", user="root",
               password="root-pass-1")[0] == 0
    assert cli("users", "revoke", "ed", "--role", "kpu_editor", user="root", password="root-pass-1")[0] == 0
    assert cli("users", "disable", "ed", user="root", password="root-pass-1")[0] == 0
    assert _count(store_url, "SELECT count(*) FROM audit_event") == 6


def test_rules_import_list_history_export_and_check(cli, store_url, tmp_path):
    cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")
    # a level whose parents are not stored yet: refused, naming the parent and the command that imports it
    code, _, err = cli("rules", "import", str(DEFAULT_RULES), user="root", password="root-pass-1")
    # the hint names the packaged file as it can be typed here: relative to the working directory when inside it
    shown = DKI_FILE.relative_to(Path.cwd()) if DKI_FILE.is_relative_to(Path.cwd()) else DKI_FILE
    assert code == 2 and f"'{DKI_ID}'" in err and f"geozones rules import {shown}" in err and "Traceback" not in err
    assert _count(store_url, "SELECT count(*) FROM ruleset_version") == 0
    _import_parents(cli)
    code, out, err = cli("rules", "import", str(DEFAULT_RULES), "--decree", "SK 135/2024", "--signed", "2024-09-20",
                         user="root", password="root-pass-1")
    assert code == 0, err
    assert JP_VERSION in out and "20-09-2024 00:00 WIB" in out
    code, out, _ = cli("rules", "list")
    assert JP_ID in out and "SK 135/2024" in out and NASIONAL_ID in out and DKI_ID in out
    code, out, _ = cli("rules", "history", JP_ID)
    assert out.splitlines()[1].startswith(f"{JP_VERSION}\tpublished\tSK 135/2024\t2024-09-20")
    dest = tmp_path / "out.yaml"
    assert cli("rules", "export", f"{JP_ID}@{JP_VERSION}", "--out", str(dest))[0] == 0
    assert dest.read_bytes() == DEFAULT_RULES.read_bytes()
    # one level exports alone: the DKI level as written (its extends unresolved)
    assert cli("rules", "export", DKI_ID, "--out", str(dest))[0] == 0
    assert dest.read_bytes() == DKI_FILE.read_bytes()
    # importing the same version again is refused, nothing written
    n = _count(store_url, "SELECT count(*) FROM audit_event")
    code, _, err = cli("rules", "import", str(DEFAULT_RULES), user="root", password="root-pass-1")
    assert code == 2 and "already stored" in err
    assert _count(store_url, "SELECT count(*) FROM audit_event") == n
    # a bad YAML: exit 2, named, nothing written
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_RULES.read_text(encoding="utf-8").replace(f'version: "{JP_VERSION}"', "version: [oops"),
                   encoding="utf-8")
    code, _, err = cli("rules", "import", str(bad), user="root", password="root-pass-1")
    assert code == 2 and "bad.yaml" in err and "Traceback" not in err
    assert _count(store_url, "SELECT count(*) FROM ruleset_version") == 3


@pytest.mark.realdata
def test_check_uses_the_store_and_ruleset_refs(cli, tmp_path, shared_data):
    cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")
    _import_parents(cli)
    cli("rules", "import", str(DEFAULT_RULES), user="root", password="root-pass-1")
    sites = tmp_path / "s.csv"
    sites.write_text("id,lon,lat,installed_at\na,106.8227,-6.1754,2024-10-01T10:00\n", encoding="utf-8")
    out_file = tmp_path / "v.geojson"
    code, _, err = cli("check", str(sites), "--data-dir", str(shared_data), "--no-progress", "--out", str(out_file))
    assert code == 0, err
    attribution = " ".join(json.loads(out_file.read_text(encoding="utf-8"))["attribution"])
    assert f"{JP_ID} v{JP_VERSION}" in attribution
    # every level, each in its version from the store
    assert f"nasional 2024.1 > DKI 2024.1 > Jakarta Pusat {JP_VERSION}" in attribution
    code, _, err = cli("check", str(sites), "--data-dir", str(shared_data), "--ruleset",
                       "dki-jakarta-pusat-pilkada-2024@1999.1")
    assert code == 2 and "1999.1" in err
    code, _, err = cli("check", str(sites), "--rules", str(DEFAULT_RULES), "--ruleset", "x")
    assert code == 2 and "not both" in err


def test_bad_database_urls_exit_2_without_traceback(cli, monkeypatch):
    for url, words in (("nonsense:://", "malformed"),
                       ("postgresql+psycopg://postgres@127.0.0.1:1/x", "does not answer")):
        monkeypatch.setenv("GEOZONES_DATABASE_URL", url)
        code, _, err = cli("rules", "list")
        assert code == 2 and words in err and "Traceback" not in err


def test_decree_pdf_is_stored_and_an_oversized_one_refused(cli, store_url, tmp_path, monkeypatch):
    from geozones.services import media

    cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")
    _import_parents(cli)
    pdf = tmp_path / "sk.pdf"
    pdf.write_bytes(b"%PDF-1.7 " + b"x" * 2000)
    monkeypatch.setattr(media, "MAX_BYTES", 1000)
    code, _, err = cli("rules", "import", str(DEFAULT_RULES), "--decree-pdf", str(pdf), user="root",
                       password="root-pass-1")
    assert code == 2 and "exceeds" in err and "sk.pdf" in err
    assert _count(store_url, "SELECT count(*) FROM ruleset_version") == 2
    monkeypatch.setattr(media, "MAX_BYTES", 10_000)
    code, _, err = cli("rules", "import", str(DEFAULT_RULES), "--decree-pdf", str(pdf), user="root",
                       password="root-pass-1")
    assert code == 0, err
    assert _count(store_url, "SELECT count(*) FROM media") == 1
    assert _count(store_url, "SELECT count(*) FROM ruleset_version WHERE decree_pdf_sha256 IS NOT NULL") == 1


def test_passwd_own_change_and_admin_reset(cli, store_url):
    cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")
    cli("users", "add", "ed", "--role", "kpu_editor", stdin="ed-pass-123\n", user="root", password="root-pass-1")
    n = _count(store_url, "SELECT count(*) FROM audit_event")
    # own change: the current password, then the new one
    code, out, err = cli("users", "passwd", "ed", "--password-stdin", stdin="ed-pass-123\ned-pass-456\n")
    assert code == 0, err
    assert "password changed" in out and "kata sandi diganti" in out
    code, _, err = cli("users", "list", user="ed", password="ed-pass-456")
    assert code == 2 and "not allowed" in err  # logged in with the new one (then refused: not an admin)
    code, _, err = cli("users", "list", user="ed", password="ed-pass-123")
    assert code == 2 and "wrong account name or password" in err
    # a wrong current password: exit 2, both languages, nothing changed
    code, _, err = cli("users", "passwd", "ed", "--password-stdin", stdin="ed-pass-123\ned-pass-789\n")
    assert code == 2 and "kata sandi lama salah" in err and "wrong account name or current password" in err
    assert "Traceback" not in err
    # an admin resets another account: only the new password is read
    code, _, err = cli("users", "passwd", "ed", "--password-stdin", stdin="ed-reset-000\n", user="root",
                       password="root-pass-1")
    assert code == 0, err
    assert cli("users", "passwd", "ed", "--password-stdin", stdin="ed-reset-000\ned-own-0001\n")[0] == 0
    # an unknown account: exit 2, named in both languages
    code, _, err = cli("users", "passwd", "ghost", "--password-stdin", stdin="whatever-12\n", user="root",
                       password="root-pass-1")
    assert code == 2 and "akun 'ghost' tidak ada" in err and "no account 'ghost'" in err
    # a non-admin cannot reset another's password
    code, _, err = cli("users", "passwd", "root", "--password-stdin", stdin="taken-over-1\n", user="ed",
                       password="ed-own-0001")
    assert code == 2 and "not allowed" in err
    assert _count(store_url, "SELECT count(*) FROM audit_event WHERE action LIKE 'account.passwd%'") == 3
    assert _count(store_url, "SELECT count(*) FROM audit_event") == n + 3


def test_passwd_prompts_without_echo_and_needs_a_terminal_otherwise(cli, store_url, monkeypatch, capsys):
    import getpass

    cli("users", "add", "root", "--role", "admin", stdin="root-pass-1\n")
    code, _, err = cli("users", "passwd", "root")  # stdin is no terminal and no --password-stdin
    assert code == 2 and "--password-stdin" in err and "tidak ada terminal" in err

    class Tty(io.StringIO):
        def isatty(self):
            return True

    asked: list[str] = []
    answers = iter(["root-pass-1", "root-pass-2", "root-pass-2"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or next(answers))
    monkeypatch.setattr("sys.stdin", Tty(""))
    from geozones.cli.main import main as run_main

    assert run_main(["users", "passwd", "root"]) == 0
    assert len(asked) == 3 and "current password" in asked[0] and "new password" in asked[1]
    answers = iter(["root-pass-2", "new-pass-aaa", "new-pass-bbb"])  # the two new ones differ
    capsys.readouterr()
    assert run_main(["users", "passwd", "root"]) == 2
    err = capsys.readouterr().err
    assert "kata sandi baru tidak sama" in err and "new passwords differ" in err
