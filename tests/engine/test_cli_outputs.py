"""Issue 8.16 (CLI parts): usage errors, `rules show --rules`, the warning when now is outside the schedule."""

from __future__ import annotations

import pandas as pd
import pytest

from geozones.cli import check as check_cmd
from geozones.cli import main
from geozones.rules.model import DEFAULT_RULES

SITES = "id,lon,lat,apk_type\njohar,106.8560,-6.1830,spanduk\n"


@pytest.fixture
def sites_csv(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    p = tmp_path / "sites.csv"
    p.write_text(SITES, encoding="utf-8")
    return p


@pytest.mark.parametrize("argv", [["check"], ["rules", "show", "--nope"], ["--nope"], ["rules"],
                                  ["check", "x.csv", "--format", "pdf"]])
def test_usage_errors_name_the_program_once(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("geozones: error: ")
    assert "geozones: error: geozones" not in err


def test_rules_show_takes_rules_like_every_command(capsys):
    assert main(["rules", "show", "--rules", str(DEFAULT_RULES)]) == 0
    by_option = capsys.readouterr().out
    assert main(["rules", "show", str(DEFAULT_RULES)]) == 0  # the old positional form still works
    assert capsys.readouterr().out == by_option
    assert "R01" in by_option


def test_rules_show_refuses_two_different_rule_sets(tmp_path, capsys):
    other = tmp_path / "other.yaml"
    other.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["rules", "show", str(other), "--rules", str(DEFAULT_RULES)]) == 2
    err = capsys.readouterr().err
    assert "dua berkas aturan" in err and "two rule sets" in err and "Traceback" not in err


def test_check_warns_when_now_is_outside_every_window(sites_csv, monkeypatch, capsys):
    after = pd.Timestamp("2026-11-30T10:00", tz="Asia/Jakarta")
    monkeypatch.setattr(check_cmd, "resolve_at", lambda at: after if at is None else pd.Timestamp(at))
    assert main(["check", str(sites_csv)]) == 0
    captured = capsys.readouterr()
    assert "--at tidak diberikan" in captured.err and "--at not given" in captured.err
    assert "2026-11-30 10:00 WIB" in captured.err
    assert "--at" not in captured.out  # the warning goes to stderr only


def test_check_is_quiet_when_now_is_in_the_campaign_or_at_is_given(sites_csv, monkeypatch, capsys):
    during = pd.Timestamp("2024-10-15T10:00", tz="Asia/Jakarta")
    real = check_cmd.resolve_at
    monkeypatch.setattr(check_cmd, "resolve_at", lambda at: during)
    assert main(["check", str(sites_csv)]) == 0
    assert "--at" not in capsys.readouterr().err
    monkeypatch.setattr(check_cmd, "resolve_at", real)
    assert main(["check", str(sites_csv), "--at", "2024-10-15T10:00"]) == 0
    assert "--at" not in capsys.readouterr().err


def test_check_outputs_verdict_by_type_and_csvw(tmp_path, sites_csv, capsys):
    (tmp_path / "s2.csv").write_text("id,lon,lat\njb,106.854146,-6.186935\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["check", str(tmp_path / "s2.csv"), "--at", "2024-10-15T10:00", "--out", str(out)]) == 0
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert df["verdict"][0] == "NEEDS_OWNER_CONSENT"
    assert "billboard:NEEDS_PERMIT" in df["verdict_by_type"][0]
    assert (tmp_path / "out.csv-metadata.json").exists()
    assert "out.csv-metadata.json" in capsys.readouterr().err
