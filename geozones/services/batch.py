"""Large batches in bounded memory: judge, explain and write a chunk at a time, quotas across chunks.

A quota (PKPU 13/2024: facilitated maximum + 200 % per paslon, APK type and unit) counts *every*
lawful site of the batch in order of time, then site id, so a chunk cannot be judged alone. The
batch therefore runs in two passes over the input:

1. **count**: every chunk is read, validated and judged; only what the quotas need is kept for
   each site that may lawfully stand and could count (kelurahan, paslon, APK type, time, id,
   row) plus a 64-bit hash of every site id (duplicate ids across chunks are refused, as a file
   read whole refuses them). FORBIDDEN, OUT_OF_WINDOW and OUTSIDE_AREA sites are not kept.
2. the **quota pass** runs :func:`geozones.engine.quotas.over_quota` over those records, exactly
   as :func:`geozones.engine.judge.apply_quotas` runs it over a whole batch;
3. **write**: every chunk is judged again, its quota overruns replaced by the batch-wide ones,
   explained and written, in input order.

The output equals the one-shot path's (``Checker.check`` then ``write_table``) byte for byte for
CSV. Nothing is written before pass 1 has read and validated the whole input, so a bad row
leaves no half-written file. With ``jobs > 1`` chunks are judged, explained and formatted in
worker processes (explaining and formatting hold the GIL, so threads would not help); the parent
reads and writes in order, with at most ``jobs + 1`` chunks in flight.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from geozones.core.errors import InputError, Problem
from geozones.core.verdicts import RANK, Verdict
from geozones.engine import PreparedRules, explain, judge
from geozones.engine.compile import APK_CODES
from geozones.engine.explain import legend
from geozones.engine.judge import Judgement, rank_verdicts
from geozones.engine.quotas import over_quota
from geozones.io.chunks import SiteChunks
from geozones.io.exports import csv_bytes, csvw_metadata, export_frame, metadata_path
from geozones.io.parquet import ParquetChunkWriter
from geozones.rules.model import Grant
from geozones.services.catalog import Catalog
from geozones.services.checking import Checker
from geozones.services.compiled_cache import load_or_prepare

__all__ = ["STREAM_FORMATS", "BatchResult", "ChunkJudge", "QuotaRecords", "open_cached_checker", "run_batch"]

#: Output formats written chunk by chunk (others are gathered, then written at once).
STREAM_FORMATS = ("csv", "parquet")


def open_cached_checker(catalog: Catalog, ruleset_id: str | None = None,
                        version: str | None = None) -> tuple[Checker, str]:
    """Like :func:`geozones.services.checking.open_checker`, the compiled rules from the on-disk cache.

    Returns
    -------
    checker : Checker
    status : str
        ``"hit"`` or ``"built"`` (see :func:`geozones.services.compiled_cache.load_or_prepare`).
    """
    ruleset = catalog.ruleset(ruleset_id, version)
    layers = catalog.layers(ruleset.area)
    prepared, status = load_or_prepare(layers, ruleset)
    return Checker(ruleset=ruleset, layers=layers, prepared=prepared, grants=catalog.grants(ruleset)), status


# ----------------------------------------------------------------------------- quota records
@dataclass
class QuotaRecords:
    """What the quotas need of the sites that may lawfully stand and could count (one entry each).

    ``row`` is the 0-based row in the whole input; ``unit`` the kelurahan (index into
    ``prepared.admin``); ``apk`` the index into ``APK_CODES``; ``t_ns`` ns since the epoch (UTC).
    """

    row: np.ndarray
    unit: np.ndarray
    paslon: np.ndarray
    apk: np.ndarray
    t_ns: np.ndarray
    site_id: np.ndarray

    @classmethod
    def concat(cls, parts: Iterable[QuotaRecords]) -> QuotaRecords:
        """All records of the batch, in row order."""
        parts = list(parts)
        if not parts:
            return cls(*(np.empty(0, dt) for dt in (np.int64, np.int64, object, np.int8, np.int64, str)))
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("row", "unit", "paslon", "apk", "t_ns", "site_id")))

    def __len__(self) -> int:
        return len(self.row)


def place_rank(j: Judgement) -> np.ndarray:
    """Verdict rank per site before any quota (the judgement's ``rank`` includes the chunk's own quotas)."""
    m = SimpleNamespace(site=j.m_site, rule=j.m_rule)
    rank = rank_verdicts(j.prepared, len(j.rank), m, j.m_lift, j.m_cond)  # type: ignore[arg-type]
    return rank


def quota_records(j: Judgement, offset: int) -> QuotaRecords:
    """The records of one judged chunk (only lawful sites of a quota's APK type with a paslon)."""
    prep = j.prepared
    rank = place_rank(j)
    types = [APK_CODES.index(q.apk_type) for q in prep.ruleset.quotas]
    paslon = j.sites["paslon"].to_numpy(dtype=object)
    keep = ((rank <= RANK[Verdict.NEEDS_DISCRETION]) & (j.unit >= 0) & pd.notna(paslon)
            & np.isin(j.apk_code, types))
    idx = np.flatnonzero(keep)
    ids = j.sites["site_id"].to_numpy(dtype=object)[idx].astype(str)
    return QuotaRecords(row=idx + offset, unit=j.unit[idx], paslon=paslon[idx], apk=j.apk_code[idx].astype(np.int8),
                        t_ns=j.t_ns[idx], site_id=ids)


def batch_overruns(prep: PreparedRules, rec: QuotaRecords) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quota overruns over the whole batch, as :func:`geozones.engine.judge.apply_quotas` finds them.

    Returns
    -------
    row, quota, pos : ndarray of int64
        Per overrun: the input row, the quota (index into ``ruleset.quotas``) and the site's position
        in its count; grouped by quota, each group in counting order.
    """
    rows, quotas, positions = [], [], []
    for qi, q in enumerate(prep.ruleset.quotas):
        codes = prep.unit_codes[q.unit]
        units = codes[rec.unit] if len(codes) and len(rec) else np.full(len(rec), -1, dtype=np.int64)
        r, pos = over_quota(units, rec.paslon, rec.apk == APK_CODES.index(q.apk_type), rec.t_ns, rec.site_id,
                            q.cap)
        rows.append(rec.row[r])
        quotas.append(np.full(len(r), qi, dtype=np.int64))
        positions.append(pos)
    return _cat(rows), _cat(quotas), _cat(positions)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)


def with_overruns(j: Judgement, offset: int, overruns: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Judgement:
    """The chunk's judgement with the batch-wide quota overruns in place of its own."""
    row, quota, pos = overruns
    n = len(j.rank)
    mine = (row >= offset) & (row < offset + n)
    q_site = (row[mine] - offset).astype(np.int64)
    rank = place_rank(j)
    np.maximum.at(rank, q_site, RANK[Verdict.FORBIDDEN])
    rank[~j.in_area] = RANK[Verdict.OUTSIDE_AREA]
    return replace(j, rank=rank, q_site=q_site, q_quota=quota[mine], q_pos=pos[mine])


# ----------------------------------------------------------------------------- one chunk
def layers_stub(prep: PreparedRules) -> SimpleNamespace:
    """What the engine reads of a layer set after compiling (the provenance): manifest and digests.

    Workers get this instead of the layers themselves (every feature of every layer), which judging
    and explaining never read.
    """
    return SimpleNamespace(manifest=SimpleNamespace(id=prep.layers.manifest.id),
                           layers={name: SimpleNamespace(digest=lyr.digest, present=lyr.present)
                                   for name, lyr in prep.layers.layers.items()})


@dataclass
class ChunkJudge:
    """Everything a worker needs to judge chunks: picklable, sent to each worker once.

    ``prepared`` may be detached from its layers (workers never need them).
    """

    prepared: PreparedRules
    grants: list[Grant]
    at: object
    source: SiteChunks
    fmt: str
    lang: str | None
    #: ``--reasons``: "compact" (the legal basis once, in the metadata), "full" or "none".
    reasons: str = "full"

    def count(self, offset: int, raw: object) -> tuple[int, QuotaRecords, np.ndarray, int]:
        """Pass 1 for one chunk: sites, quota records, 64-bit hashes of the site ids, sites without a time."""
        sites = self.source.to_sites(offset, raw)
        j = judge(sites, self.prepared, self.at, grants=self.grants)
        hashes = pd.util.hash_array(sites["site_id"].to_numpy(dtype=object).astype(str).astype(object))
        return len(sites), quota_records(j, offset), hashes, int(sites["installed_at"].isna().sum())

    def write(self, offset: int, raw: object, overruns) -> tuple[object, Counter, pd.DataFrame | None]:
        """Pass 2 for one chunk: its formatted output, verdict counts and (first chunk) the export frame head."""
        sites = self.source.to_sites(offset, raw)
        j = with_overruns(judge(sites, self.prepared, self.at, grants=self.grants), offset, overruns)
        table = explain(j, reasons=self.reasons, lang=self.lang or "both").table
        counts = Counter(table["verdict"])
        df = export_frame(table, lang=self.lang, lean=self.reasons != "full")
        head = df.head(0).copy() if offset == 0 else None
        if head is not None:
            head.attrs = dict(df.attrs)
            head.attrs["legend"] = legend(j)  # what every rule says, once per file
        if self.fmt == "csv":
            data = csv_bytes(df)
            payload: object = data if offset == 0 else data[data.index(b"\r\n") + 2:]
        elif self.fmt == "parquet":
            payload = ParquetChunkWriter.to_arrow(df, j.lon, j.lat)
        else:
            payload = table
        return payload, counts, head


_WORKER: ChunkJudge | None = None


def _init_worker(cj: ChunkJudge) -> None:
    global _WORKER
    _WORKER = cj


def _count_in_worker(offset: int, raw: object):
    assert _WORKER is not None
    return _WORKER.count(offset, raw)


def _write_in_worker(offset: int, raw: object, overruns):
    assert _WORKER is not None
    return _WORKER.write(offset, raw, overruns)


def _ordered(chunks: Iterator[tuple[int, object]], call: Callable, extra: tuple, pool: ProcessPoolExecutor | None,
             cj: ChunkJudge, jobs: int) -> Iterator:
    """Results of ``call(offset, raw, *extra)`` per chunk, in input order, at most ``jobs + 1`` in flight.

    One more than the workers keeps them busy while the parent writes; every chunk in flight holds
    its formatted output (about 1 KB per site), so more would only cost memory.
    """
    if pool is None:
        method = cj.count if call is _count_in_worker else cj.write
        for offset, raw in chunks:
            yield method(offset, raw, *extra)
        return
    pending: list[Future] = []
    for offset, raw in chunks:
        pending.append(pool.submit(call, offset, raw, *extra))
        if len(pending) > jobs:
            yield pending.pop(0).result()
    while pending:
        yield pending.pop(0).result()


# ----------------------------------------------------------------------------- the batch
@dataclass
class BatchResult:
    """What a batch produced: ``counts`` per verdict, ``sites`` judged, ``chunks`` and the output path."""

    sites: int
    chunks: int
    counts: Counter = field(default_factory=Counter)
    out: Path | None = None
    #: sites without ``installed_at`` (judged at ``at``)
    untimed: int = 0


def refuse_duplicates(source: SiteChunks, hashes: np.ndarray) -> None:
    """Refuse duplicate site ids across chunks (hash collisions are checked against the ids themselves)."""
    order = np.argsort(hashes, kind="stable")
    h = hashes[order]
    dup = np.flatnonzero(h[1:] == h[:-1])
    if len(dup) == 0:
        return
    suspects = set(h[dup].tolist())
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for offset, raw in source.raw_chunks():
        ids = source.to_sites(offset, raw)["site_id"].to_numpy(dtype=object).astype(str)
        hh = pd.util.hash_array(ids.astype(object))
        for i in np.flatnonzero(np.isin(hh, list(suspects))):
            key = ids[i]
            if key in first:
                problems.append(Problem.bi(f"id titik '{key}' ganda (sudah dipakai di baris {first[key]})",
                                           f"duplicate site id '{key}' (first used in row {first[key]})",
                                           source.name, offset + int(i) + 1, "site_id"))
            else:
                first[key] = offset + int(i) + 1
        if len(problems) >= 20:
            break
    if problems:
        raise InputError(problems)


class _Out:
    """The output, written chunk by chunk (CSV or GeoParquet) or gathered (other formats)."""

    def __init__(self, out: Path | None, fmt: str, attribution: list[str], provenance: dict, lang: str | None,
                 lean: bool = False):
        self.out, self.fmt, self.attribution, self.provenance, self.lang = out, fmt, attribution, provenance, lang
        self.lean = lean
        self.tmp: Path | None = None
        self.fh = None
        self.parquet: ParquetChunkWriter | None = None
        self.tables: list = []
        self.head: pd.DataFrame | None = None
        if fmt == "csv" and out is not None:
            import secrets

            self.tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}")
            self.fh = open(self.tmp, "wb")
        elif fmt == "parquet":
            meta = {"attribution": "\n".join(attribution), "provenance": _json(provenance)}
            self.parquet = ParquetChunkWriter(out, metadata=meta)

    def write(self, payload: object, head: pd.DataFrame | None) -> None:
        if head is not None:
            self.head = head
        if self.fmt == "csv":
            (self.fh or sys.stdout.buffer).write(payload)  # type: ignore[arg-type]
        elif self.fmt == "parquet":
            self.parquet.write(payload)  # type: ignore[union-attr,arg-type]
        else:
            self.tables.append(payload)

    def close(self) -> None:
        from geozones.io.exports import write_table
        from geozones.io.files import write_atomic

        if self.fmt == "csv" and self.out is not None:
            self.fh.close()  # type: ignore[union-attr]
            os.replace(self.tmp, self.out)  # type: ignore[arg-type]
            meta = csvw_metadata(self.head, url=self.out.name, attribution=self.attribution,  # type: ignore[arg-type]
                                 provenance=self.provenance, lang=self.lang or "id",
                                 legend=self.head.attrs.get("legend"))  # type: ignore[union-attr]
            data = _json(meta, indent=2).encode("utf-8")
            write_atomic(metadata_path(self.out), lambda tmp: Path(tmp).write_bytes(data))
        elif self.fmt == "csv":
            sys.stdout.buffer.flush()
        elif self.fmt == "parquet":
            self.parquet.close()  # type: ignore[union-attr]
        else:
            import geopandas as gpd

            table = gpd.GeoDataFrame(pd.concat(self.tables, ignore_index=True), geometry="geometry",
                                     crs=self.tables[0].crs)
            write_table(table, self.out, self.fmt, attribution=self.attribution, lang=self.lang,  # type: ignore
                        provenance=self.provenance, legend=self.head.attrs.get("legend") if self.head is not None
                        else None, lean=self.lean)

    def abort(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.tmp.unlink(missing_ok=True)  # type: ignore[union-attr]
        if self.parquet is not None:
            self.parquet.abort()


@contextmanager
def writing(out: Path | None, fmt: str, checker: Checker, lang: str | None, lean: bool = False) -> Iterator[_Out]:
    """The output for the chunks; finished when the block ends, dropped (nothing half-written) on error.

    Raises
    ------
    InputError
        When the output cannot be written (a folder, no permission, disk full), naming it.
    """
    writer = None
    try:
        writer = _Out(out, fmt, checker.attribution(), checker.provenance, lang, lean)
        yield writer
        writer.close()
    except OSError as exc:
        if writer is not None:
            writer.abort()
        raise InputError(f"cannot write here: {exc.strerror or exc}", source=str(out)) from None
    except BaseException:
        if writer is not None:
            writer.abort()
        raise


def _json(obj: object, indent: int | None = None) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, indent=indent, default=str)


def run_batch(checker: Checker, source: SiteChunks, at: object, *, out: Path | None, fmt: str = "csv",
              lang: str | None = "id", jobs: int = 1, reasons: str = "full",
              progress: Callable[[str, float], None] | None = None) -> BatchResult:
    """Judge every site of ``source`` chunk by chunk and write the verdict table.

    Parameters
    ----------
    checker : Checker
        The compiled rule set (e.g. :func:`open_cached_checker`).
    source : SiteChunks
        The input and its chunk size.
    at : pandas.Timestamp
        Time for sites without ``installed_at`` (resolved once for the whole batch).
    out : Path or None
        The output file; None writes CSV to stdout.
    fmt : str
        ``"csv"``, ``"parquet"`` (GeoParquet) or a format of :func:`geozones.io.exports.write_table`.
    lang : str, optional
        Language of the ``reasons`` column.
    jobs : int
        Worker processes (1: in this process).
    progress : callable, optional
        ``progress(step, fraction)``; the fraction is of chunks written in pass 2.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        For any bad row (naming file, row and field) before anything is written.
    """
    prep = checker.prepared
    worker_prep = PreparedRules.__new__(PreparedRules)
    worker_prep.__dict__.update(prep.__dict__)
    worker_prep.layers = layers_stub(prep)  # type: ignore[assignment]
    cj = ChunkJudge(prepared=worker_prep, grants=list(checker.grants), at=at, source=source, fmt=fmt, lang=lang,
                    reasons=reasons)
    pool = None
    if jobs > 1:
        prep.site_grid()
        prep.nearest_index.build()
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_worker, initargs=(cj,))
    report = progress or (lambda step, frac: None)
    try:
        records, hashes, n, chunks, untimed = [], [], 0, 0, 0
        for size, rec, hh, nt in _ordered(source.raw_chunks(), _count_in_worker, (), pool, cj, jobs):
            records.append(rec)
            hashes.append(hh)
            n += size
            chunks += 1
            untimed += nt
            report("count", 0.0)
        if n == 0:
            raise InputError("contains no sites", source=source.name)
        refuse_duplicates(source, np.concatenate(hashes))
        del hashes
        overruns = batch_overruns(prep, QuotaRecords.concat(records))
        del records
        result = BatchResult(sites=n, chunks=chunks, out=out, untimed=untimed)
        with writing(out, fmt, checker, lang, reasons != "full") as writer:
            done = 0
            for payload, counts, head in _ordered(source.raw_chunks(), _write_in_worker, (overruns,), pool, cj,
                                                  jobs):
                writer.write(payload, head)
                result.counts.update(counts)
                done += 1
                report("write", done / chunks)
        return result
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
