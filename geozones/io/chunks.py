"""A file of sites read a chunk at a time, for batches too large to hold at once.

:class:`SiteChunks` yields *raw* chunks (cheap to read, cheap to send to a worker process) and
turns each into validated sites with :meth:`SiteChunks.to_sites`, which a worker may run: reading
is one pass over the file in the parent, checking every row runs where the judging runs.

* A UTF-8 CSV is read with ``pandas.read_csv(chunksize=...)``, every cell as text, exactly as
  :func:`geozones.io.tables.read_table` reads it whole; each chunk then goes through the same
  :func:`~geozones.io.tables.table_to_points` and :func:`~geozones.engine.sites.normalize_sites`.
  Row numbers in messages count from the top of the file, not of the chunk.
* GeoParquet (a file, or a directory partitioned e.g. by kab/kota code) is read in record batches
  (:mod:`geozones.io.parquet`).
* Anything else (another encoding, a comment preamble, a workbook, a vector file) is read whole
  with :func:`geozones.io.sites.read_sites` and then cut into chunks: still exact, only not
  bounded in memory by the chunk size.

How the time column writes ``a/b/YYYY`` (day or month first) is decided once for the whole
file, from every distinct value of that column (:meth:`SiteChunks.with_file_date_order`, one
extra read of that one column), exactly as a file read whole decides it; every chunk then
uses that order. Decided per chunk, a chunk holding only ``05/03/2024`` would be refused as
ambiguous, or read month first, while another chunk's ``13/02/2024`` made the file day first.

A file without an id column gets ids ``"1"``, ``"2"``, ... counted over the whole file, as
:func:`~geozones.engine.sites.normalize_sites` gives them to a file read whole.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geozones.core.columns import ID_NAMES, TIME_NAMES, find_column
from geozones.core.errors import InputError
from geozones.core.time import TimeFormatError, column_date_order
from geozones.engine.sites import normalize_sites
from geozones.io.parquet import is_parquet, iter_parquet
from geozones.io.sites import read_sites
from geozones.io.tables import table_to_points

__all__ = ["DEFAULT_CHUNK_ROWS", "SiteChunks"]

#: Sites per chunk: large enough that the site grid settles most of them (from 20,000), small enough
#: that a chunk's verdict table, export frame and CSV text (about 1 KB per site each with bilingual
#: reasons) stay near 600 MB together (bench/RESULTS.md, "Scale").
DEFAULT_CHUNK_ROWS = 100_000
_SNIFF_BYTES = 1 << 20


def _rebased(err: InputError, offset: int) -> InputError:
    """``err`` with chunk row numbers turned into file row numbers."""
    if not offset:
        return err
    return InputError([dataclasses.replace(p, row=p.row + offset) if isinstance(p.row, int) else p
                       for p in err.problems])


@dataclass(frozen=True)
class SiteChunks:
    """Sites of one file, chunk by chunk (see the module notes for what streams).

    Parameters
    ----------
    path : path-like
        CSV, GeoParquet file or directory, or anything :func:`geozones.io.sites.read_sites` reads.
    chunk_rows : int
        Sites per chunk.
    layer, lon_col, lat_col, id_col, date_order, skip_invalid, encoding
        As for :func:`geozones.io.sites.read_sites`.
    """

    path: Path
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    layer: str | None = None
    lon_col: str | None = None
    lat_col: str | None = None
    id_col: str | None = None
    date_order: str | None = None
    skip_invalid: bool = False
    encoding: str | None = None

    @property
    def name(self) -> str:
        """The file's name in messages."""
        return str(self.path)

    @cached_property
    def mode(self) -> str:
        """``"parquet"``, ``"csv"`` (streamed) or ``"whole"`` (read at once, then cut)."""
        if is_parquet(self.path):
            return "parquet"
        if self.path.suffix.lower() == ".csv" and self.layer is None and self._plain_csv() is not None:
            return "csv"
        return "whole"

    def _plain_csv(self) -> str | None:
        """The delimiter of a UTF-8 CSV without a comment preamble, else None (read it whole)."""
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(_SNIFF_BYTES)
        except OSError:
            return None
        if not head.strip() or head[:4] in (b"PK\x03\x04", b"SQLi"):
            return None
        cut = head.rfind(b"\n")
        try:
            text = (head[: cut + 1] if 0 <= cut < len(head) - 1 else head).decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        if first.startswith("#"):
            return None
        try:
            return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            return "\t" if "\t" in first else ","

    def _time_values(self) -> tuple[str | None, list[str]]:
        """The time column's name and its distinct texts (stripped), read from the whole file.

        Only the ``csv`` and ``parquet`` modes (the ``whole`` mode decides in :func:`read_sites`);
        a typed (timestamp) Parquet column has no day/month order to decide.
        """
        if self.mode == "csv":
            sep = self._plain_csv()
            kw = {"sep": sep, "dtype": str, "keep_default_na": False, "skipinitialspace": True, "index_col": False,
                  "encoding": "utf-8-sig"}
            try:
                header = list(pd.read_csv(self.path, nrows=0, **kw).columns)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
                return None, []  # raw_chunks names the problem
            col = find_column([str(c).strip() for c in header], TIME_NAMES)
            if col is None:
                return None, []
            raw = header[[str(c).strip() for c in header].index(col)]
            seen: set[str] = set()
            try:
                for frame in pd.read_csv(self.path, usecols=[raw], chunksize=max(self.chunk_rows, 100_000), **kw):
                    seen.update(frame[raw].str.strip().unique().tolist())
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
                return None, []  # raw_chunks names the problem
            return col, sorted(v for v in seen if isinstance(v, str) and v)
        if self.mode == "parquet":
            import pyarrow as pa
            import pyarrow.compute as pc

            from geozones.io.parquet import parquet_parts, read_part

            col, seen = None, set()
            for part in parquet_parts(self.path):
                table = read_part(part)
                col = col or find_column(table.column_names, TIME_NAMES)
                if col is None or col not in table.column_names:
                    continue
                values = table.column(col)
                if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
                    continue
                seen.update(v for v in pc.unique(pc.utf8_trim_whitespace(values)).to_pylist() if v)
            return col, sorted(seen)
        return None, []

    def with_file_date_order(self) -> SiteChunks:
        """The same source with the day/month order of its time column decided once, for the whole file.

        Every distinct value of the time column is looked at (one extra read of that column);
        the order that a file read whole would get (:func:`~geozones.core.time.column_date_order`)
        is then given to every chunk, as ``--dayfirst`` / ``--monthfirst`` would be. Returns
        ``self`` when the user chose an order, the file is read whole anyway, or no value needs one.

        Raises
        ------
        InputError
            When the column mixes both orders, or stays ambiguous (the messages of a file read
            whole), naming the file and the column.
        """
        if self.date_order is not None or self.mode == "whole":
            return self
        col, values = self._time_values()
        if not values:
            return self
        try:
            order, _ = column_date_order(values)
        except TimeFormatError as exc:
            raise InputError(str(exc), source=self.name, field=col, message_id=exc.message_id) from None
        return dataclasses.replace(self, date_order=order) if order else self

    def raw_chunks(self) -> Iterator[tuple[int, object]]:
        """``(offset, raw)`` per chunk: the row offset of its first site and what :meth:`to_sites` takes.

        Raises
        ------
        InputError
            When the file cannot be read (the whole-file path validates here).
        """
        mode = self.mode
        if mode == "parquet":
            offset = 0
            for frame in iter_parquet(self.path, self.chunk_rows):
                yield offset, frame
                offset += len(frame)
        elif mode == "csv":
            sep = self._plain_csv()
            offset = 0
            try:
                reader = pd.read_csv(self.path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True,
                                     index_col=False, chunksize=self.chunk_rows, encoding="utf-8-sig")
                for frame in reader:
                    yield offset, frame
                    offset += len(frame)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                detail = str(exc).strip()
                raise InputError.bi(f"tidak dapat dibaca sebagai CSV (sekitar baris {offset + 1}): {detail}",
                                    f"cannot be read as CSV (near row {offset + 1}): {detail}",
                                    source=self.name) from None
            if offset == 0:
                raise InputError.bi("ada kepala tabel tetapi tidak ada baris data", "has a header but no data rows",
                                    source=self.name)
        else:
            sites = read_sites(self.path, layer=self.layer, lon_col=self.lon_col, lat_col=self.lat_col,
                               id_col=self.id_col, date_order=self.date_order, skip_invalid=self.skip_invalid,
                               encoding=self.encoding)
            for start in range(0, len(sites), self.chunk_rows):
                yield start, sites.iloc[start:start + self.chunk_rows]

    def to_sites(self, offset: int, raw: object) -> gpd.GeoDataFrame:
        """Validated sites of one raw chunk (see :func:`geozones.engine.sites.normalize_sites`).

        Raises
        ------
        InputError
            Naming the file, the row (counted from the top of the file) and the field.
        """
        if self.mode == "whole":
            return raw.reset_index(drop=True)  # type: ignore[union-attr]
        df = raw.reset_index(drop=True)  # type: ignore[union-attr]
        df.columns = [str(c).strip() for c in df.columns]
        if self.id_col is None and find_column(df.columns, ID_NAMES) is None:
            df.insert(0, "site_id", [str(offset + i + 1) for i in range(len(df))])
        try:
            if isinstance(df, gpd.GeoDataFrame):
                geoms = df.geometry.values
                bad = (shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms)
                if bad.any():
                    i = int(bad.argmax())
                    raise InputError.bi("geometri titik harus berupa titik yang tidak kosong",
                                        "a site geometry must be a non-empty point", source=self.name,
                                        row=i + 1, field="geometry")
                gdf = df
            else:
                gdf = table_to_points(df, source=self.name, lon_col=self.lon_col, lat_col=self.lat_col)
            return normalize_sites(gdf, source=self.name, date_order=self.date_order, id_column=self.id_col)
        except InputError as err:
            raise _rebased(err, offset) from None


def csv_bytes_size(path: str | os.PathLike) -> int:
    """Size of a file in bytes (0 when it cannot be read): decides whether a check streams by default."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
