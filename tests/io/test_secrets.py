"""Sealing reporters' identities: AES-GCM with a key from the environment or a 0600 key file."""

from __future__ import annotations

import os
import stat

import pytest

from geozones.core.errors import InputError
from geozones.io import sealing as S

WHO = S.ReporterIdentity(name="Siti Rahma", address="Jl. Kwitang No. 5, Senen", contact="0812-1111-2222",
                         id_number="3171010101900001")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv(S.KEY_ENV, raising=False)
    monkeypatch.setenv(S.HOME_ENV, str(tmp_path / "gzhome"))
    return tmp_path / "gzhome"


def test_key_file_is_created_once_with_mode_0600(home):
    token = S.seal_identity(WHO, context="report:1")
    path = home / S.KEY_FILE
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert S.open_identity(token, context="report:1") == WHO
    S.seal_identity(WHO, context="report:2")
    assert path.read_text() == first
    assert [p.name for p in home.iterdir()] == [S.KEY_FILE]  # no temporary file left


def test_ciphertext_holds_no_plaintext_and_differs_each_time(home):
    a = S.seal_identity(WHO, context="report:1")
    b = S.seal_identity(WHO, context="report:1")
    assert a != b and a.startswith("gz1.")
    for secret in ("Siti", "Kwitang", "0812", "3171010101900001"):
        assert secret not in a


def test_bound_to_its_row(home):
    token = S.seal_identity(WHO, context="report:1")
    with pytest.raises(S.SealError, match=r"tidak cocok dengan barisnya .* / the sealed value does not belong"):
        S.open_identity(token, context="report:2")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(S.SealError, match="altered"):
        S.open_identity(tampered, context="report:1")
    with pytest.raises(S.SealError, match="not a geozones sealed value"):
        S.open_identity("Siti Rahma", context="report:1")


def test_key_from_the_environment_wins(home, monkeypatch):
    key = S.new_key()
    monkeypatch.setenv(S.KEY_ENV, key)
    token = S.seal_identity(WHO, context="r")
    assert not (home / S.KEY_FILE).exists()
    monkeypatch.setenv(S.KEY_ENV, S.new_key())
    with pytest.raises(S.SealError, match="sealed with another key"):
        S.open_identity(token, context="r")
    monkeypatch.setenv(S.KEY_ENV, key)
    assert S.open_identity(token, context="r").name == "Siti Rahma"
    monkeypatch.setenv(S.KEY_ENV, "too-short")
    with pytest.raises(S.SealError, match=r"GEOZONES_SECRET_KEY is not 32 bytes"):
        S.load_key()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_readable_key_file_is_refused(home):
    S.load_key()
    (home / S.KEY_FILE).chmod(0o644)
    with pytest.raises(S.SealError, match="chmod 600"):
        S.load_key()


def test_identity_fields_are_checked():
    with pytest.raises(InputError, match="NIK harus 16 angka"):
        S.ReporterIdentity(name="A", id_number="12345")
    with pytest.raises(InputError, match="name is required"):
        S.ReporterIdentity(name="  ")


def test_default_home_is_the_platformdirs_data_dir(monkeypatch):
    monkeypatch.delenv(S.HOME_ENV, raising=False)
    assert S.geozones_home().name == "geozones"
