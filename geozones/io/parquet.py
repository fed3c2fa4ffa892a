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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import shapely

from geozones.core.crs import STORAGE_CRS
from geozones.core.errors import InputError

__all__ = ["PARQUET_EXTENSIONS", "ParquetChunkWriter", "is_parquet", "iter_parquet", "parquet_rows",
           "parquet_to_frame"]

PARQUET_EXTENSIONS = {".parquet", ".geoparquet", ".pq"}


def is_parquet(path: str | os.PathLike) -> bool:
    """True for a ``.parquet`` file or a directory holding ``.parquet`` files."""
    p = Path(path)
    if p.is_dir():
        return any(f.suffix.lower() in PARQUET_EXTENSIONS for f in p.rglob("*"))
    return p.suffix.lower() in PARQUET_EXTENSIONS


def _dataset(path: Path) -> pads.Dataset:
    if not path.exists():
        raise InputError.bi("berkas tidak ditemukan", "file not found", source=str(path))
    try:
        return pads.dataset(path, format="parquet", partitioning="hive" if path.is_dir() else None)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError.bi(f"bukan berkas Parquet yang terbaca: {exc}", f"not a readable Parquet file: {exc}",
                            source=str(path)) from None


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
    """Number of rows of a GeoParquet file or dataset (from the footers; nothing is read)."""
    return int(_dataset(Path(path)).count_rows())


def parquet_to_frame(batch: pa.RecordBatch | pa.Table, geometry: str | None, crs: object) -> pd.DataFrame:
    """A record batch as a frame: a GeoDataFrame when it holds a WKB geometry column, else plain.

    Dictionary (partition) columns become text, so they read as the CSV would.
    """
    df = batch.to_pandas()
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    if geometry and geometry in df.columns:
        geoms = shapely.from_wkb(df.pop(geometry).to_numpy())
        return gpd.GeoDataFrame(df, geometry=geoms, crs=crs)
    return df


def iter_parquet(path: str | os.PathLike, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Frames of at most ``chunk_rows`` rows, in file order (files of a dataset sorted by path).

    Raises
    ------
    InputError
        For a missing or unreadable file.
    """
    ds = _dataset(Path(path))
    col, crs = _geo(ds.schema)
    if col is None and Path(path).is_dir():
        for frag in ds.get_fragments():
            col, crs = _geo(frag.physical_schema)
            break
    buf: list[pa.Table] = []
    held = 0
    for batch in ds.to_batches(batch_size=chunk_rows, use_threads=False):
        if batch.num_rows == 0:
            continue
        buf.append(pa.Table.from_batches([batch]))
        held += batch.num_rows
        while held >= chunk_rows:
            table = pa.concat_tables(buf)
            yield parquet_to_frame(table.slice(0, chunk_rows), col, crs)
            rest = table.slice(chunk_rows)
            buf, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield parquet_to_frame(pa.concat_tables(buf), col, crs)


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

