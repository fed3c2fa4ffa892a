"""GeoParquet in and out, a chunk at a time (pyarrow; geometry as WKB with the ``geo`` metadata).

A GeoParquet file (https://geoparquet.org, version 1.1) or a directory of them, Hive-partitioned
for instance by kab/kota code (``kode_kota=3171/part-0.parquet``), is read in record batches, so
ten million sites never sit in memory at once. The writer appends one row group per chunk to a
temporary file and moves it into place only when every chunk is written.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import InputError

__all__ = ["PARQUET_EXTENSIONS", "ParquetChunkWriter", "ParquetPart", "is_parquet", "iter_parquet",
           "parquet_parts", "parquet_rows", "parquet_to_frame", "read_part"]

PARQUET_EXTENSIONS = {".parquet", ".geoparquet", ".pq"}


def is_parquet(path: str | os.PathLike) -> bool:
    """True for a ``.parquet`` file or a directory holding ``.parquet`` files."""
    p = Path(path)
    if p.is_dir():
        return any(f.suffix.lower() in PARQUET_EXTENSIONS for f in p.rglob("*"))
    return p.suffix.lower() in PARQUET_EXTENSIONS


@dataclass(frozen=True)
class ParquetPart:
    """One row group of one file of a GeoParquet input: a chunk, or a Dask partition.

    Attributes
    ----------
    file : str
        The Parquet file.
    row_group : int
        Row group index inside it.
    rows : int
        Rows in the row group (from the footer).
    keys : tuple of (str, str)
        Hive partition keys of its directory (``kode_kota=3171`` gives ``("kode_kota", "3171")``), as text:
        codes are text, never numbers.
    """

    file: str
    row_group: int
    rows: int
    keys: tuple[tuple[str, str], ...] = ()


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise InputError.bi("berkas tidak ditemukan", "file not found", source=str(path))
    if path.is_dir():
        files = sorted((f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in PARQUET_EXTENSIONS
                        and not any(part.startswith((".", "_")) for part in f.relative_to(path).parts)),
                       key=lambda f: f.relative_to(path).as_posix())
        if not files:
            raise InputError.bi("folder tidak berisi berkas .parquet", "the folder holds no .parquet file",
                                source=str(path))
        return files
    return [path]


def parquet_parts(path: str | os.PathLike) -> list[ParquetPart]:
    """Every row group of a GeoParquet file or directory, in reading order (files sorted by path).

    Raises
    ------
    InputError
        For a missing or unreadable file.
    """
    root = Path(path)
    parts = []
    for f in _files(root):
        rel = f.relative_to(root).parts[:-1] if root.is_dir() else ()
        keys = tuple((k, unquote(v)) for k, sep, v in (seg.partition("=") for seg in rel) if sep)
        try:
            meta = pq.ParquetFile(f).metadata
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError.bi(f"bukan berkas Parquet yang terbaca: {exc}", f"not a readable Parquet file: {exc}",
                                source=str(f)) from None
        parts += [ParquetPart(str(f), i, meta.row_group(i).num_rows, keys) for i in range(meta.num_row_groups)]
    return parts


def _geo(schema: pa.Schema) -> tuple[str | None, object]:
    """Primary geometry column and its CRS from the ``geo`` metadata (None when absent)."""
    meta = (schema.metadata or {}).get(b"geo")
    if not meta:
        return None, None
    geo = json.loads(meta)
    col = geo.get("primary_column")
    crs = geo.get("columns", {}).get(col, {}).get("crs", "OGC:CRS84")
    return col, (STORAGE_CRS if crs in (None, "OGC:CRS84") else crs)


def parquet_rows(path: str | os.PathLike) -> int:
    """Number of rows of a GeoParquet file or directory (from the footers; no data is read)."""
    return sum(p.rows for p in parquet_parts(path))


def read_part(part: ParquetPart) -> pa.Table:
    """One row group, its partition keys appended as text columns."""
    pf = pq.ParquetFile(part.file)
    table = pf.read_row_group(part.row_group)
    for k, v in part.keys:
        if k not in table.column_names:
            table = table.append_column(k, pa.array([v] * table.num_rows, type=pa.string()))
    return table


def parquet_to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a frame: a GeoDataFrame when its ``geo`` metadata names a WKB column, else plain."""
    geometry, crs = _geo(table.schema)
    df = table.to_pandas()
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    if geometry and geometry in df.columns:
        geoms = shapely.from_wkb(df.pop(geometry).to_numpy())
        return gpd.GeoDataFrame(df, geometry=geoms, crs=crs)
    return df


def iter_parquet(path: str | os.PathLike, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Frames of at most ``chunk_rows`` rows, in :func:`parquet_parts` order.

    Raises
    ------
    InputError
        For a missing or unreadable file.
    """
    buf: list[pa.Table] = []
    held = 0
    for part in parquet_parts(path):
        table = read_part(part)
        if buf and table.schema.remove_metadata() != buf[0].schema.remove_metadata():
            yield parquet_to_frame(pa.concat_tables(buf))  # files of another schema never share a chunk
            buf, held = [], 0
        buf.append(table)
        held += table.num_rows
        while held >= chunk_rows:
            whole = pa.concat_tables(buf)
            yield parquet_to_frame(whole.slice(0, chunk_rows))
            rest = whole.slice(chunk_rows)
            buf, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield parquet_to_frame(pa.concat_tables(buf))


def _geo_metadata(crs_json: dict | None) -> bytes:
    column = {"encoding": "WKB", "geometry_types": ["Point"]}
    if crs_json is not None:
        column["crs"] = crs_json
    return json.dumps({"version": "1.1.0", "primary_column": "geometry",
                       "columns": {"geometry": column}}).encode("utf-8")


class ParquetChunkWriter:
    """Write verdict tables chunk by chunk into one GeoParquet file, atomically.

    Parameters
    ----------
    path : path-like
        The file to write; a temporary file beside it is renamed onto it by :meth:`close`.
    metadata : dict of str to str
        Extra file metadata (attribution, provenance), stored as UTF-8 key/value pairs.
    """

    def __init__(self, path: str | os.PathLike, metadata: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        self.metadata = metadata or {}
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    @staticmethod
    def to_arrow(df: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> pa.Table:
        """One chunk of an export frame (text cells) with its points (EPSG:4326) as an Arrow table."""
        table = pa.Table.from_pandas(df, preserve_index=False)
        wkb = shapely.to_wkb(shapely.points(lon, lat))
        return table.append_column("geometry", pa.array(wkb, type=pa.binary()))

    def write(self, table: pa.Table) -> None:
        """Append one chunk (from :meth:`to_arrow`); later chunks are cast to the first one's schema."""
        if self._writer is None:
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            # No "crs": GeoParquet then means OGC:CRS84 (lon, lat), what geozones stores.
            meta = {b"geo": _geo_metadata(None)}
            meta.update({k.encode(): v.encode("utf-8") for k, v in self.metadata.items()})
            self._schema = pa.schema(fields, metadata=meta)
            self._writer = pq.ParquetWriter(self.tmp, self._schema, compression="zstd")
        try:
            table = table.select(self._schema.names).cast(self._schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError):
            table = pa.Table.from_pandas(table.to_pandas().astype(
                {f.name: object for f in self._schema if pa.types.is_string(f.type)}), schema=self._schema,
                preserve_index=False)
        self._writer.write_table(table)

    def close(self) -> Path:
        """Finish the file and move it into place."""
        if self._writer is None:
            raise InputError("nothing to write / tidak ada yang ditulis", source=str(self.path))
        self._writer.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file (after an error: nothing half-written is left)."""
        if self._writer is not None:
            try:
                self._writer.close()
            except (OSError, pa.ArrowException):
                pass
        self.tmp.unlink(missing_ok=True)

