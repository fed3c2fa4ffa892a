"""Resource limits every reader checks before and while it works.

One file must never exhaust the machine: a one-line 30 MB CSV, a row with a
million columns, a 400 MB spreadsheet cell or a zip member that declares 2 KB and
inflates to 600 MB are refused as soon as the limit is passed, with the limit's
name and the value found in the message (both languages).

Defaults fit every legitimate input (a 10-million-row CSV through the CLI) and
nothing pathological. :data:`APP_LIMITS` are the tighter limits of the web app
(50 MB, one million rows). Large deployments raise them with environment
variables ``GEOZONES_LIMIT_<NAME>`` (e.g. ``GEOZONES_LIMIT_MAX_ROWS=50000000``),
read by :func:`current_limits`, or pass a :class:`Limits` object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from geozones.core.errors import InputError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on one input file.

    Attributes
    ----------
    max_bytes : int
        Size of the file as given (bytes).
    max_rows : int
        Data rows of a table (lines of a CSV, rows of all sheets of a workbook).
    max_columns : int
        Columns of a table (fields of its header).
    max_line_bytes : int
        Bytes in one line of a text table.
    max_cell_bytes : int
        Bytes in one cell (or one XML text node of a workbook).
    max_unpacked_bytes : int
        Bytes actually inflated from an archive (zip, KMZ, XLSX), counted while
        inflating, never taken from the declared sizes.
    max_features : int
        Features of a vector file.
    max_vertices : int
        Vertices of all geometries of a vector file.
    max_seconds : float
        Wall time of an isolated reader (app uploads; :mod:`geozones.io.isolated`).
    max_memory_bytes : int
        Resident memory (RSS) of an isolated reader, imports included.
    """

    max_bytes: int = 2048 * MiB
    max_rows: int = 20_000_000
    max_columns: int = 500
    max_line_bytes: int = 1 * MiB
    max_cell_bytes: int = 32 * 1024
    max_unpacked_bytes: int = 1024 * MiB
    max_features: int = 20_000_000
    max_vertices: int = 50_000_000
    max_seconds: float = 120.0
    max_memory_bytes: int = 3072 * MiB

    def with_env(self, environ: dict[str, str] | None = None) -> Limits:
        """These limits, overridden by ``GEOZONES_LIMIT_<NAME>`` variables (e.g. ``GEOZONES_LIMIT_MAX_ROWS``)."""
        env = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        for f in fields(self):
            raw = env.get(f"GEOZONES_LIMIT_{f.name.upper()}")
            if raw is None or not raw.strip():
                continue
            try:
                value = float(raw) if f.name == "max_seconds" else int(float(raw))
            except ValueError:
                raise InputError.bi(f"GEOZONES_LIMIT_{f.name.upper()}='{raw}' bukan angka",
                                    f"GEOZONES_LIMIT_{f.name.upper()}='{raw}' is not a number",
                                    field=f"GEOZONES_LIMIT_{f.name.upper()}") from None
            if value <= 0:
                raise InputError.bi(f"GEOZONES_LIMIT_{f.name.upper()} harus lebih dari 0",
                                    f"GEOZONES_LIMIT_{f.name.upper()} must be more than 0",
                                    field=f"GEOZONES_LIMIT_{f.name.upper()}")
            changes[f.name] = value
        return replace(self, **changes) if changes else self


#: Limits of the command line (before environment overrides).
CLI_LIMITS = Limits()
#: Limits of an upload to the web app: 50 MB, one million rows.
APP_LIMITS = Limits(max_bytes=50 * MiB, max_rows=1_000_000, max_unpacked_bytes=256 * MiB,
                    max_features=1_000_000, max_vertices=10_000_000, max_seconds=60.0,
                    max_memory_bytes=2048 * MiB)

_NAMES_ID = {
    "max_bytes": "ukuran berkas", "max_rows": "jumlah baris", "max_columns": "jumlah kolom",
    "max_line_bytes": "panjang satu baris teks", "max_cell_bytes": "isi satu sel",
    "max_unpacked_bytes": "ukuran setelah diekstrak", "max_features": "jumlah fitur",
    "max_vertices": "jumlah titik sudut (vertex)", "max_seconds": "waktu baca",
    "max_memory_bytes": "memori baca",
}
_NAMES_EN = {
    "max_bytes": "file size", "max_rows": "rows", "max_columns": "columns",
    "max_line_bytes": "length of one text line", "max_cell_bytes": "size of one cell",
    "max_unpacked_bytes": "unpacked size", "max_features": "features",
    "max_vertices": "vertices", "max_seconds": "reading time", "max_memory_bytes": "reading memory",
}


def current_limits(base: Limits | None = None) -> Limits:
    """``base`` (default :data:`CLI_LIMITS`) with the ``GEOZONES_LIMIT_*`` environment applied."""
    return (base or CLI_LIMITS).with_env()


def _fmt(name: str, value: float) -> str:
    if name.endswith("bytes"):
        return f"{value / MiB:.1f} MiB ({int(value)} bytes)" if value >= MiB else f"{int(value)} bytes"
    if name == "max_seconds":
        return f"{value:g} s"
    return f"{int(value):,}".replace(",", ".")


def limit_error(name: str, found: float, limit: float, *, source: str | None = None,
                row: int | str | None = None, field: str | None = None, at_least: bool = False) -> InputError:
    """An :class:`InputError` naming the limit, the value found and how to raise it.

    ``at_least`` says the value was counted only until the limit was passed.
    """
    env = f"GEOZONES_LIMIT_{name.upper()}"
    more = "≥ " if at_least else ""
    return InputError.bi(
        f"melewati batas {_NAMES_ID[name]} ({name}): ditemukan {more}{_fmt(name, found)}, batas "
        f"{_fmt(name, limit)}; bila berkas ini memang sah, naikkan batas dengan {env}",
        f"exceeds the {_NAMES_EN[name]} limit ({name}): found {more}{_fmt(name, found)}, limit "
        f"{_fmt(name, limit)}; if the file is legitimate, raise it with {env}",
        source=source, row=row, field=field)


def check(name: str, found: float, limits: Limits, **where) -> None:
    """Raise :func:`limit_error` when ``found`` passes ``limits.<name>``."""
    limit = getattr(limits, name)
    if found > limit:
        raise limit_error(name, found, limit, **where)
