"""What the public sees when input is bad: the right heading, both languages, no server path.

Rule files and data folders are built in each test (from the published rule set's
text, with one field broken), never taken from anyone's report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geozones.app import messages
from geozones.app.i18n import CATALOG
from geozones.core.errors import InputError, Problem
from tests.conftest import DEFAULT_RULES

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.mark.parametrize(("text", "expected"), [
    ("cannot read /srv/geozones/data/jakpus_worship.geojson: bad JSON",
     "cannot read jakpus_worship.geojson: bad JSON"),
    ("/tmp/geozones-upload-x1/3f2a.csv, row 2", "3f2a.csv, row 2"),
    ("in 'C:\\Users\\kpu\\data\\aturan.yaml'", "in 'aturan.yaml'"),
    ("/work/main/rules", "rules"),
    ("tanggal 15/10/2024, km/jam, dan/atau", "tanggal 15/10/2024, km/jam, dan/atau"),  # not paths
    ("use CSV / XLSX", "use CSV / XLSX"),
])
def test_strip_paths(text, expected):
    assert messages.strip_paths(text) == expected


@dataclass
class _BilingualProblem(Problem):
    """A problem carrying its own texts, as core.errors may give them."""

    message_id: str | None = None
    message_en: str | None = None


def test_problem_in_the_ui_language_with_its_own_texts():
    p = _BilingualProblem("not a number", "/srv/upload/lokasi.csv", 3, "lat",
                          message_id="bukan angka", message_en="not a number")
    assert messages.problem_text(p, "id") == "lokasi.csv, baris 3, kolom 'lat': bukan angka"
    assert messages.problem_text(p, "en") == "lokasi.csv, row 3, field 'lat': not a number"


def test_problem_with_one_text_keeps_it_and_frames_it_in_the_ui_language():
    p = Problem("'abc' is not a number", "lokasi.csv", 2, "lon")
    assert messages.problem_text(p, "id") == "lokasi.csv, baris 2, kolom 'lon': 'abc' is not a number"
    assert messages.problem_text(Problem("x", row="rule R17", field="verdict"), "id") == "rule R17, kolom 'verdict': x"


def test_problem_texts_from_a_mapping_and_the_count_of_the_rest():
    @dataclass
    class Mapped(Problem):
        messages: dict | None = None

    err = InputError([Mapped("m", messages={"id": "pesan", "en": "message"}) for _ in range(4)])
    assert messages.error_lines(err, "id", limit=2) == ["pesan", "pesan", "... dan 2 masalah lain"]
    assert messages.error_lines(err, "en", limit=5) == ["message"] * 4


def test_every_text_key_has_both_languages():
    for key, (ind, eng) in CATALOG.items():
        assert ind.strip() and eng.strip(), key
        assert ind.count("{") == eng.count("{"), key  # the same placeholders in both


@pytest.fixture
def bad_rules(tmp_path) -> Path:
    """The published rule set with R25's verdict misspelt (R25, TPS, is the Jakarta Pusat level's own)."""
    text = Path(DEFAULT_RULES).read_text(encoding="utf-8")
    head, sep, tail = text.partition("  - id: R25")
    assert sep
    path = tmp_path / "private" / "server" / "aturan-rusak.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(head + sep + tail.replace("verdict: FORBIDDEN", "verdict: OUT_OF_WINDOWS", 1),
                    encoding="utf-8")
    return path


def _all_text(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "warning", "markdown", "caption") for e in getattr(at, kind))


def test_a_rule_file_error_names_the_rule_and_field_not_the_data_or_a_path(shared_data, bad_rules, monkeypatch,
                                                                             caplog):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    monkeypatch.setenv("GEOZONES_RULES", str(bad_rules))
    app = AppTest.from_file(APP, default_timeout=120)
    with caplog.at_level(logging.WARNING, logger="geozones.app"):
        app.run()
    assert not app.exception
    shown = "\n".join(e.value for e in app.error)
    assert "Berkas aturan tidak dapat dipakai" in shown
    assert "aturan\\-rusak\\.yaml" in shown and "rule R25" in shown and "kolom \\'verdict\\'" in shown
    assert "batas kelurahan" not in shown and "GEOZONES_DATA_DIR" not in shown
    assert str(bad_rules.parent) not in _all_text(app).replace("\\", "") and "private" not in _all_text(app)
    assert str(bad_rules) in caplog.text  # the server path goes to the log
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["lang"] = "en"  # a shared English link
    app.run()
    assert "The rule file cannot be used" in "\n".join(e.value for e in app.error)


def test_missing_data_says_so_without_the_path(tmp_path, monkeypatch, caplog):
    empty = tmp_path / "srv" / "geozones-data"
    empty.mkdir(parents=True)
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(empty))
    monkeypatch.delenv("GEOZONES_RULES", raising=False)
    app = AppTest.from_file(APP, default_timeout=120)
    with caplog.at_level(logging.WARNING, logger="geozones.app"):
        app.run()
    assert not app.exception
    shown = "\n".join(e.value for e in app.error)
    assert "Data wilayah tidak dapat dimuat" in shown and "kelurahan" in shown
    assert "Berkas aturan" not in shown
    assert str(tmp_path) not in _all_text(app).replace("\\", "")
    assert str(empty) in caplog.text
