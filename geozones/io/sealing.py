"""Sealing reporters' identities: encrypted at rest, with a key kept outside the database.

A pelapor's name, address, contact and ID number (NIK) are confidential
(domain-research §5, §8 "privacy"). They are sealed with AES-256-GCM from the
``cryptography`` package before the store writes them, and the ciphertext is
bound to its row by associated data (``context``, e.g. ``"report:42"``), so a
sealed identity copied onto another report does not open.

The key comes from ``$GEOZONES_SECRET_KEY`` (32 bytes, URL-safe base64, as made
by :func:`new_key`), else from the key file ``secret.key`` in the geozones home
(``$GEOZONES_HOME``, default the platformdirs user data directory), created with
mode 0600 on first use. A key file that others may read is refused. ``db dump``
carries sealed tokens, never the key. Who may *open* an identity (the
``bawaslu`` role only) is decided in services, not here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from geozones.core.errors import InputError

KEY_ENV = "GEOZONES_SECRET_KEY"
HOME_ENV = "GEOZONES_HOME"
KEY_FILE = "secret.key"
_PREFIX = "gz1"


class SealError(Exception):
    """A sealed value that cannot be opened (wrong key, wrong row, or altered), or a bad key."""


@dataclass(frozen=True)
class ReporterIdentity:
    """Who filed a laporan (UU 1/2015 Pasal 134 ayat (3): name and address at least)."""

    name: str
    address: str = ""
    contact: str = ""
    id_number: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError("nama pelapor wajib diisi / the reporter's name is required", field="name")
        if self.id_number and not re.fullmatch(r"\d{16}", self.id_number.strip()):
            raise InputError("NIK harus 16 angka / the ID number (NIK) must be 16 digits", field="id_number")


def geozones_home() -> Path:
    """``$GEOZONES_HOME``, else the platformdirs user data directory of geozones."""
    env = os.environ.get(HOME_ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir("geozones", appauthor=False))


def new_key() -> str:
    """A fresh key, as text for ``$GEOZONES_SECRET_KEY`` or the key file."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise SealError(f"kunci di {where} bukan 32 bita base64 (buat dengan geozones.io.sealing.new_key) / the key "
                        f"in {where} is not 32 bytes of URL-safe base64 (make one with geozones.io.sealing.new_key)")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(new_key() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic and never overwrites: a key made by another process first wins
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def load_key(home: Path | None = None) -> bytes:
    """The sealing key: ``$GEOZONES_SECRET_KEY``, else the key file (created with mode 0600 if missing).

    Raises
    ------
    SealError
        For a malformed key, or a key file that group or others may read.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return _decode_key(env, f"${KEY_ENV}")
    path = (home or geozones_home()) / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SealError(f"berkas kunci {path} dapat dibaca orang lain (mode {mode:o}); jalankan chmod 600 / the "
                            f"key file {path} is readable by others (mode {mode:o}); run chmod 600")
    return _decode_key(path.read_text(encoding="ascii"), str(path))


def key_id(key: bytes) -> str:
    """A short, non-secret name of a key (first 8 hex digits of its SHA-256), carried in tokens."""
    return hashlib.sha256(key).hexdigest()[:8]


def seal(plaintext: bytes, *, context: str, key: bytes | None = None) -> str:
    """Encrypt ``plaintext`` bound to ``context``; returns ``gz1.<key id>.<base64 nonce+ciphertext>``."""
    key = key or load_key()
    nonce = secrets.token_bytes(12)
    ct = AESGCM(key).encrypt(nonce, plaintext, context.encode("utf-8"))
    return f"{_PREFIX}.{key_id(key)}.{base64.urlsafe_b64encode(nonce + ct).decode('ascii')}"


def unseal(token: str, *, context: str, key: bytes | None = None) -> bytes:
    """Decrypt a token made by :func:`seal` with the same ``context``.

    Raises
    ------
    SealError
        Bilingual: not a sealed value, sealed with another key, or the wrong row / altered.
    """
    key = key or load_key()
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != _PREFIX:
        raise SealError("bukan data tersegel geozones / not a geozones sealed value")
    if parts[1] != key_id(key):
        raise SealError(f"data disegel dengan kunci lain ({parts[1]}, bukan {key_id(key)}) / sealed with another key "
                        f"({parts[1]}, not {key_id(key)})")
    try:
        raw = base64.urlsafe_b64decode(parts[2].encode("ascii"))
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
    except (InvalidTag, binascii.Error, ValueError):
        raise SealError("data tersegel tidak cocok dengan barisnya atau telah diubah / the sealed value does not "
                        "belong to this row or has been altered") from None


def seal_identity(identity: ReporterIdentity, *, context: str, key: bytes | None = None) -> str:
    """Seal a reporter's identity for the row named by ``context`` (e.g. ``"report:42"``)."""
    return seal(json.dumps(asdict(identity), ensure_ascii=False, sort_keys=True).encode("utf-8"),
                context=context, key=key)


def open_identity(token: str, *, context: str, key: bytes | None = None) -> ReporterIdentity:
    """Open a sealed identity (callers check the role first)."""
    return ReporterIdentity(**json.loads(unseal(token, context=context, key=key).decode("utf-8")))
