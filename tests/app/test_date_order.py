"""Cek daftar asks for the day/month order of an ambiguous date column, and reads the file with the choice.

The verdicts expected are those of ``geozones check --dayfirst`` / ``--monthfirst`` on the same
file: the app and the command line give the same answers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geozones.core.time import asks_date_order, column_date_order, parse_time
from geozones.core.verdicts import label

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "geozones/app/pages/cek_daftar.py"
# Two quiet streets of Johar Baru. Day first: 10 Feb (before the campaign) and 3 Nov (inside it);
# month first: 2 Oct (inside) and 11 Mar (before). No value has a part above 12: the column cannot decide.
CSV = (b"id,lon,lat,apk_type,paslon,installed_at\n"
       b"J1,106.854146,-6.186935,spanduk,1,10/2/2024 09:00\n"
       b"J2,106.85210,-6.18200,spanduk,2,3/11/2024 09:00\n")


@pytest.fixture
def app(shared_data, monkeypatch):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    return AppTest.from_file(APP, default_timeout=120)


def _cli_verdicts(tmp_path, shared_data, option) -> list[str]:
    from geozones.cli.main import main

    src, out = tmp_path / "lokasi.csv", tmp_path / f"hasil{option}.csv"
    src.write_bytes(CSV)
    assert main(["check", str(src), option, "--data-dir", str(shared_data), "--out", str(out),
                 "--no-progress"]) == 0
    return list(pd.read_csv(out, dtype=str, keep_default_na=False).sort_values("site_id")["verdict"])


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "error", "warning", "info", "caption")
                     for e in getattr(at, kind))


def _order_radio(at):
    (radio,) = [r for r in at.radio if r.key and r.key.startswith("list_order_")]
    return radio


def _shown_verdicts(at, lang) -> list[str]:
    df = at.dataframe[0].value
    return list(df.sort_values(df.columns[0]).iloc[:, 1])


def test_the_core_messages_that_need_an_order_are_recognised():
    with pytest.raises(ValueError) as ambiguous:
        column_date_order(["10/2/2024 09:00", "3/11/2024"])
    with pytest.raises(ValueError) as mixed:
        column_date_order(["25/10/2024", "10/25/2024"])
    with pytest.raises(ValueError) as month13:
        parse_time("10/25/2024")
    for exc in (ambiguous.value, mixed.value, month13.value):
        assert asks_date_order(str(exc)) and asks_date_order(exc.message_id)
    with pytest.raises(ValueError) as other:
        parse_time("kemarin sore")
    assert not asks_date_order(str(other.value)) and not asks_date_order(other.value.message_id)


def test_an_ambiguous_date_column_is_asked_and_read_with_the_choice(app, tmp_path, shared_data):
    dayfirst = _cli_verdicts(tmp_path, shared_data, "--dayfirst")
    monthfirst = _cli_verdicts(tmp_path, shared_data, "--monthfirst")
    assert dayfirst != monthfirst  # the choice matters for this file
    app.run()
    app.switch_page(PAGE).run()
    app.text_input(key="list_at_date").input("15/10/2024").run()
    app.file_uploader(key="list_file").set_value(("lokasi.csv", CSV, "text/csv")).run()
    assert not app.exception, app.exception
    assert not app.dataframe and not app.error  # not judged, not refused: asked
    text = _texts(app)
    assert "installed\\_at" in text and "10 Februari atau 2 Oktober" in text
    assert "--dayfirst" not in text and "--monthfirst" not in text  # no command-line options in the app
    radio = _order_radio(app)
    assert radio.value is None and radio.options == ["hari/bulan dulu (10/2/2024 = 10 Februari 2024)",
                                                     "bulan/hari dulu (10/2/2024 = 2 Oktober 2024, gaya AS)"]
    radio.set_value("monthfirst").run()
    assert not app.exception, app.exception
    assert _shown_verdicts(app, "id") == [label(v, "id") for v in monthfirst]
    _order_radio(app).set_value("dayfirst").run()
    assert _shown_verdicts(app, "id") == [label(v, "id") for v in dayfirst]
    # the choice is kept across a language switch, and asked in English
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception, app.exception
    radio = _order_radio(app)
    assert radio.value == "dayfirst" and radio.label == "Date order in column 'installed\\_at'"
    assert _shown_verdicts(app, "en") == [label(v, "en") for v in dayfirst]


def test_a_file_whose_dates_decide_their_order_is_not_asked(app):
    app.run()
    app.switch_page(PAGE).run()
    csv = CSV.replace(b"3/11/2024", b"25/10/2024")  # a day above 12: the column is day first
    app.file_uploader(key="list_file").set_value(("lokasi.csv", csv, "text/csv")).run()
    assert not app.exception, app.exception
    assert not [r for r in app.radio if r.key and r.key.startswith("list_order_")]
    assert len(app.dataframe[0].value) == 2
