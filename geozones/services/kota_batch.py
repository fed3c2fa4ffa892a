"""Large batches that span several kota, each kota judged with its own rule stack, chunk by chunk.

:func:`geozones.services.checking.check_batch` judges a batch held in memory with each kota's
own stack (national -> province -> kota). This module does the same for the streamed path
(:func:`run_kota_batch`, ``geozones check`` with chunks or ``--jobs``) and hands the pieces to
the Dask path (:func:`geozones.services.dask_batch.run_dask_kota`):

* :class:`KotaRouter` places each site in the kota polygon that covers it (the province-wide
  area's ``kota`` layer, as ``check_batch`` does; the first kota by layer order on a shared edge)
  and in the time bucket of the level versions in force at its time. A (kota, bucket) pair is a
  **key**; sites in no kota get key ``(-1, bucket)`` and are judged by the catalog's own stack
  (they come out ``OUTSIDE_AREA``).
* :class:`KotaJudge` holds one :class:`~geozones.services.batch.ChunkJudge` per key and judges a
  chunk group by group; the quota records and overruns are kept **per key**, because each
  stack counts in its own units (kelurahan indices of its own compiled rules) and
  ``check_batch`` applies the quotas within each group.

The polygon decides, not a ``kode_kota`` partition key: a rule binds where the sign stands.
Rows whose partition key names another kota are still judged by their polygon's stack and
counted in :attr:`KotaBatchResult.misplaced` (the CLI warns, naming the first rows).

The output equals ``check_batch`` on the same sites (verdicts, rule ids, distances, the
``rule_stack`` column, and the CSV bytes of :func:`geozones.io.exports.table_csv`).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.engine import PreparedRules, explain, judge, prepare
from geozones.engine.explain import legend
from geozones.io.chunks import SiteChunks
from geozones.io.exports import csv_bytes, export_frame
from geozones.io.parquet import ParquetChunkWriter
from geozones.services.batch import (
    BatchResult,
    ChunkJudge,
    QuotaRecords,
    _count_in_worker,
    _init_worker,
    _ordered,
    _write_in_worker,
    batch_overruns,
    layers_stub,
    quota_records,
    refuse_duplicates,
    with_overruns,
    writing,
)
from geozones.services.catalog import StackCatalog
from geozones.services.checking import NO_LOCAL_LEVEL, Checker, _breaks, kota_of, kota_setup, kota_stack

__all__ = ["PARTITION_KEY", "KotaBatchResult", "KotaJudge", "KotaRouter", "is_province_wide", "open_kota_judge",
           "reduce_counts", "run_kota_batch", "with_legend"]

#: Hive partition key naming a site's kab/kota (``kode_kota=31.71`` Kemendagri or ``kode_kota=3173`` BPS).
PARTITION_KEY = "kode_kota"

Key = tuple[int, int]
Overruns = tuple[np.ndarray, np.ndarray, np.ndarray]
_NO_OVERRUNS: Overruns = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))


def is_province_wide(catalog: StackCatalog) -> bool:
    """True when the catalog's own rule set is a province (or national) level, not one kota's.

    Such a rule set covers several kota, each of which may add a level of its own; judging
    every site with the province stack alone would silently drop the kota levels.
    """
    return catalog.ruleset().level in ("provinsi", "nasional")


@dataclass
class KotaRouter:
    """Places sites in kota polygons and level-version time buckets (small, picklable, sent to workers).

    Attributes
    ----------
    geoms : ndarray of shapely.Polygon
        Kota polygons, EPSG:4326, in layer order.
    kemendagri, bps : list of str
        Each kota's codes (``31.71``, ``3173``).
    breaks : ndarray of int64
        Instants (ns, UTC) at which a version of any level of the batch comes into force, sorted.
    default_ns : int
        ``at`` in ns: the time of sites without ``installed_at``.
    """

    geoms: np.ndarray
    kemendagri: list[str]
    bps: list[str]
    breaks: np.ndarray
    default_ns: int

    def place(self, sites: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Kota index (-1: in none) and time bucket of each validated site (as ``check_batch`` places them)."""
        which = kota_of(self.geoms, np.asarray(sites.geometry.values, dtype=object))
        if not len(self.breaks):
            return which, np.zeros(len(sites), dtype=np.int64)
        inst = sites["installed_at"]
        t_ns = np.where(inst.isna().to_numpy(), self.default_ns,
                        pd.to_datetime(inst, utc=True).fillna(pd.Timestamp(0, tz="UTC")).astype("int64"))
        return which, np.searchsorted(self.breaks, t_ns, side="right")

    def misplaced(self, sites: gpd.GeoDataFrame, which: np.ndarray) -> np.ndarray:
        """Positions of sites in a kota other than the one their ``kode_kota`` column names (none without it)."""
        if PARTITION_KEY not in sites.columns:
            return np.empty(0, dtype=np.int64)
        claimed = sites[PARTITION_KEY].astype(str).to_numpy()
        inside = which >= 0
        kem = np.array(self.kemendagri, dtype=object)[np.where(inside, which, 0)]
        bps = np.array(self.bps, dtype=object)[np.where(inside, which, 0)]
        return np.flatnonzero(inside & (claimed != kem) & (claimed != bps))


@dataclass
class KotaJudge:
    """One :class:`ChunkJudge` per (kota, bucket) key, with the router: judges mixed chunks group by group.

    ``judges[key]`` is None for a key whose stack could not be resolved (``errors[key]`` says
    why); a site falling there is refused with that error, as ``check_batch`` refuses it.
    """

    router: KotaRouter
    judges: dict[Key, ChunkJudge | None]
    labels: dict[Key, str]
    errors: dict[Key, str] = field(default_factory=dict)

    @property
    def source(self) -> SiteChunks:
        """The input (shared by every judge)."""
        return next(j for j in self.judges.values() if j is not None).source

    def _groups(self, offset: int, raw: object):
        sites = self.source.to_sites(offset, raw)
        which, bucket = self.router.place(sites)
        groups = []
        for k, b in sorted({(int(a), int(c)) for a, c in zip(which, bucket, strict=True)}):
            idx = np.flatnonzero((which == k) & (bucket == b))
            cj = self.judges.get((k, b))
            if cj is None:
                why = self.errors.get((k, b), "no rule stack for this kota and time")
                raise InputError(f"row {offset + int(idx[0]) + 1}: {why}", source=self.source.name)
            groups.append(((k, b), idx, cj, sites.iloc[idx].reset_index(drop=True)))
        return sites, which, groups

    def count(self, offset: int, raw: object
              ) -> tuple[int, dict[Key, QuotaRecords], np.ndarray, int, np.ndarray, Counter]:
        """Pass 1: sites, quota records per key (input rows), id hashes, untimed, misplaced rows, sites per key."""
        sites, which, groups = self._groups(offset, raw)
        records = {}
        per_key = Counter({key: len(idx) for key, idx, _, _ in groups})
        for key, idx, cj, sub in groups:
            rec = quota_records(judge(sub, cj.prepared, cj.at, grants=cj.grants), 0)
            rec.row = offset + idx[rec.row]
            records[key] = rec
        hashes = pd.util.hash_array(sites["site_id"].to_numpy(dtype=object).astype(str).astype(object))
        misplaced = offset + self.router.misplaced(sites, which)
        return len(sites), records, hashes, int(sites["installed_at"].isna().sum()), misplaced, per_key

    def table(self, offset: int, raw: object, overruns: dict[Key, Overruns]) -> gpd.GeoDataFrame:
        """Pass 2 before formatting: the chunk's explained table in input order, with ``rule_stack``."""
        _, _, groups = self._groups(offset, raw)
        tables = []
        for key, idx, cj, sub in groups:
            row, quota, pos = overruns.get(key, _NO_OVERRUNS)
            rows = offset + idx
            mine = np.isin(row, rows)
            local = np.searchsorted(rows, row[mine])  # the group's own positions
            j = with_overruns(judge(sub, cj.prepared, cj.at, grants=cj.grants), 0, (local, quota[mine], pos[mine]))
            t = explain(j, reasons=cj.reasons, lang=cj.lang or "both").table
            t["rule_stack"] = self.labels[key]
            t.index = idx
            tables.append(t)
        table = pd.concat(tables).sort_index()
        return gpd.GeoDataFrame(table, geometry=table.geometry.name, crs=tables[0].crs).reset_index(drop=True)

    def write(self, offset: int, raw: object, overruns: dict[Key, Overruns]):
        """Pass 2 for one chunk: formatted output, verdict counts, and (first chunk) the export frame head."""
        cj = self.source_judge
        table = self.table(offset, raw, overruns)
        counts = Counter(table["verdict"])
        df = export_frame(table, lang=cj.lang, lean=cj.reasons != "full")
        head = None
        if offset == 0:
            head = df.head(0).copy()
            head.attrs = dict(df.attrs)
        if cj.fmt == "csv":
            data = csv_bytes(df)
            payload: object = data if offset == 0 else data[data.index(b"\r\n") + 2:]
        elif cj.fmt == "parquet":
            pts = table.geometry.values
            payload = ParquetChunkWriter.to_arrow(df, shapely.get_x(pts), shapely.get_y(pts))
        else:
            payload = table
        return payload, counts, head

    @property
    def source_judge(self) -> ChunkJudge:
        """Any of the judges: they share the source, format, language and reasons."""
        return next(j for j in self.judges.values() if j is not None)


@dataclass
class KotaInfo:
    """What the writer and the summary need on the client: attribution, provenance, legend, checkers per key."""

    checkers: dict[Key, Checker]
    kota: gpd.GeoDataFrame
    local: dict[Key, bool]
    own: Checker

    def attribution(self) -> list[str]:
        """Attribution lines of every stack used (each line once)."""
        lines: list[str] = []
        for c in self.checkers.values():
            lines += [ln for ln in c.attribution() if ln not in lines]
        return lines

    def stacks(self, n_sites: Counter | None = None) -> list[dict]:
        """One record per key, as ``check_batch``'s ``provenance["stacks"]`` (``n_sites`` from the count)."""
        out = []
        for key, c in self.checkers.items():
            if n_sites is not None and not n_sites.get(key):
                continue
            row = None if key[0] < 0 else self.kota.iloc[key[0]]
            local = self.local[key]
            out.append({"kode_kemendagri_kota": None if row is None else str(row["kode_kemendagri_kota"]),
                        "kota": None if row is None else str(row.get("kota", "")), "local": local,
                        "note": None if local else {"id": NO_LOCAL_LEVEL[0], "en": NO_LOCAL_LEVEL[1]},
                        "n_sites": int(n_sites[key]) if n_sites is not None else None, **c.provenance,
                        "not_checked": [dict(nc) for nc in c.prepared.not_checked]})
        return out

    def provenance_for(self, n_sites: Counter | None = None) -> dict:
        stacks = self.stacks(n_sites)
        return {"ruleset_id": "; ".join(dict.fromkeys(s["ruleset_id"] for s in stacks)),
                "ruleset_version": "; ".join(dict.fromkeys(s["ruleset_version"] for s in stacks)),
                "area": "; ".join(dict.fromkeys(s["area"] for s in stacks)),
                "layers": {f"{s['area']}:{k}": v for s in stacks for k, v in s["layers"].items()},
                "stacks": stacks}

    def legend(self, keys) -> dict:
        """What every rule of every stack used says, once per stack (the file's metadata), as ``check_batch``."""
        out: dict[str, dict] = {}
        for key in keys:
            c = self.checkers[key]
            j = type("J", (), {"prepared": c.prepared, "grants": c.grants})()
            out.setdefault(c.stack_label("id"), legend(j))  # type: ignore[arg-type]
        return {"stacks": [{"rule_stack": k, **v} for k, v in out.items()]}


class KotaWrites:
    """The ``checker`` :func:`~geozones.services.batch.writing` needs: attribution and provenance of the run."""

    def __init__(self, info: KotaInfo, result: KotaBatchResult):
        self.info, self.provenance = info, info.provenance_for(result.sites_per_key)

    def attribution(self) -> list[str]:
        return self.info.attribution()


def _worker_judge(checker: Checker, at: object, source: SiteChunks, fmt: str, lang: str | None,
                  reasons: str) -> ChunkJudge:
    prep = checker.prepared
    worker_prep = PreparedRules.__new__(PreparedRules)
    worker_prep.__dict__.update(prep.__dict__)
    worker_prep.layers = layers_stub(prep)  # type: ignore[assignment]
    return ChunkJudge(prepared=worker_prep, grants=list(checker.grants), at=at, source=source, fmt=fmt, lang=lang,
                      reasons=reasons)


def open_kota_judge(catalog: StackCatalog, at: object, source: SiteChunks, *, fmt: str = "csv",
                    lang: str | None = "id", reasons: str = "full", province: str | None = None
                    ) -> tuple[KotaJudge, KotaInfo]:
    """Compile every kota's stack (in each version bucket) of the province, once.

    Parameters
    ----------
    catalog : StackCatalog
        A kota level (its province found among its levels) or a province level.
    at : pandas.Timestamp
        Time for sites without ``installed_at``.
    source, fmt, lang, reasons
        As for :func:`~geozones.services.batch.run_batch`.
    province : str, optional
        Id of the province level.

    Returns
    -------
    KotaJudge
        Picklable; its :class:`ChunkJudge` values carry no layers.
    KotaInfo
        The checkers (with their layers) for attribution, provenance and legend.

    Raises
    ------
    InputError
        When the province level, its area or kota boundaries are missing.
    """
    own, province, prov, kota, local_ids = kota_setup(catalog, province)
    chain = [lv.ruleset_id for lv in own.ruleset.levels] + list(local_ids.values()) + [province]
    breaks = _breaks(catalog, sorted(set(chain)))
    router = KotaRouter(geoms=np.asarray(kota.geometry.values, dtype=object),
                        kemendagri=kota["kode_kemendagri_kota"].astype(str).tolist(),
                        bps=kota["kode_bps_kota"].astype(str).tolist(), breaks=breaks,
                        default_ns=resolve_at(at).value)
    layer_sets = {own.ruleset.area: own.layers}
    checkers: dict[Key, Checker] = {}
    local: dict[Key, bool] = {}
    judges: dict[Key, ChunkJudge | None] = {}
    labels: dict[Key, str] = {}
    errors: dict[Key, str] = {}
    for b in range(len(breaks) + 1):
        # an instant inside the bucket: its start, or just before the first break
        when = None if not len(breaks) else dt.datetime.fromtimestamp(
            (breaks[b - 1] if b else breaks[0] - 1_000_000_000) / 1e9, tz=dt.UTC)
        for k in range(-1, len(kota)):
            try:
                if k < 0:
                    checker, is_local = own, True
                else:
                    rs, is_local = kota_stack(catalog, province, prov.area, local_ids, kota.iloc[k], when)
                    # a stack already compiled (the catalog's own, or the same versions in another bucket)
                    checker = next((c for c in (own, *checkers.values()) if c.ruleset == rs), None)
                    if checker is None:
                        if rs.area not in layer_sets:
                            layer_sets[rs.area] = catalog.layers(rs.area)
                        layers = layer_sets[rs.area]
                        checker = Checker(ruleset=rs, layers=layers, prepared=prepare(layers, rs),
                                          grants=catalog.grants(rs))
            except InputError as err:
                judges[(k, b)] = None
                errors[(k, b)] = str(err)
                continue
            checkers[(k, b)] = checker
            local[(k, b)] = is_local
            labels[(k, b)] = checker.stack_label("id") + (
                "" if is_local else f" ({NO_LOCAL_LEVEL[0]} / {NO_LOCAL_LEVEL[1]})")
    worker: dict[int, ChunkJudge] = {}
    for key, c in checkers.items():
        if id(c) not in worker:  # one ChunkJudge per compiled stack, shared by the keys that use it
            worker[id(c)] = _worker_judge(c, at, source, fmt, lang, reasons)
        judges[key] = worker[id(c)]
    return (KotaJudge(router=router, judges=judges, labels=labels, errors=errors),
            KotaInfo(checkers=checkers, kota=kota, local=local, own=own))


@dataclass
class KotaBatchResult(BatchResult):
    """A :class:`BatchResult` with the stacks used and the rows whose ``kode_kota`` names another kota."""

    stacks: list[dict] = field(default_factory=list)
    #: 0-based input rows judged by the kota their polygon lies in, not the one their partition key names
    misplaced: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    #: sites per (kota, bucket) key
    sites_per_key: Counter = field(default_factory=Counter)


def kota_overruns(info: KotaInfo, records: list[dict[Key, QuotaRecords]]) -> dict[Key, Overruns]:
    """Quota overruns per key over the whole batch (each stack's quotas in its own units)."""
    by_key: dict[Key, list[QuotaRecords]] = {}
    for chunk in records:
        for key, rec in chunk.items():
            by_key.setdefault(key, []).append(rec)
    return {key: batch_overruns(info.checkers[key].prepared, QuotaRecords.concat(recs))
            for key, recs in by_key.items()}


def run_kota_batch(catalog: StackCatalog, source: SiteChunks, at: object, *, out: Path | None, fmt: str = "csv",
                   lang: str | None = "id", jobs: int = 1, reasons: str = "full", province: str | None = None,
                   progress: Callable[[str, float], None] | None = None) -> KotaBatchResult:
    """Judge every site of ``source`` chunk by chunk, each with its kota's own stack; write the table.

    Parameters
    ----------
    catalog : StackCatalog
        A kota or province level and the layers (see :func:`open_kota_judge`).
    source, at, out, fmt, lang, jobs, reasons, progress
        As for :func:`~geozones.services.batch.run_batch`.
    province : str, optional
        Id of the province level.

    Returns
    -------
    KotaBatchResult
        ``stacks``: one record per (kota, versions) group used, as ``check_batch``'s provenance.

    Raises
    ------
    InputError
        For any bad row (naming file, row and field) before anything is written.
    """
    kj, info = open_kota_judge(catalog, at, source, fmt=fmt, lang=lang, reasons=reasons, province=province)
    pool = None
    if jobs > 1:
        # No site grid built ahead (run_batch builds it before forking): over the whole province it takes
        # tens of seconds per stack, and most stacks are not used by a given batch; a worker builds the
        # grid of a stack only when a chunk brings it 20,000+ sites.
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_worker, initargs=(kj,))
    report = progress or (lambda step, frac: None)
    try:
        counted = _ordered(source.raw_chunks(), _count_in_worker, (), pool, kj, jobs)  # type: ignore[arg-type]
        overruns, result = reduce_counts(info, source, counted, out, lambda: report("count", 0.0))
        with writing(out, fmt, KotaWrites(info, result), lang, reasons != "full") as writer:  # type: ignore[arg-type]
            done = 0
            for payload, counts, head in _ordered(source.raw_chunks(), _write_in_worker, (overruns,), pool, kj,
                                                  jobs):  # type: ignore[arg-type]
                writer.write(payload, with_legend(info, result, head))
                result.counts.update(counts)
                done += 1
                report("write", done / result.chunks)
        return result
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)




def reduce_counts(info: KotaInfo, source: SiteChunks, counted, out: Path | None,
                  tick: Callable[[], None] | None = None) -> tuple[dict[Key, Overruns], KotaBatchResult]:
    """Pass 1's results of every chunk (in input order) reduced: duplicates refused, quotas per key.

    Raises
    ------
    InputError
        For an empty input or duplicate site ids.
    """
    records, hashes, misplaced, n, chunks, untimed = [], [], [], 0, 0, 0
    per_key: Counter = Counter()
    for size, rec, hh, nt, mis, keys in counted:
        records.append(rec)
        hashes.append(hh)
        misplaced.append(mis)
        per_key.update(keys)
        n += size
        chunks += 1
        untimed += nt
        if tick is not None:
            tick()
    if n == 0:
        raise InputError("contains no sites", source=source.name)
    refuse_duplicates(source, np.concatenate(hashes))
    del hashes
    overruns = kota_overruns(info, records)
    result = KotaBatchResult(sites=n, chunks=chunks, out=out, untimed=untimed, counts=Counter(),
                             stacks=info.stacks(per_key), misplaced=np.concatenate(misplaced).astype(np.int64),
                             sites_per_key=per_key)
    return overruns, result


def with_legend(info: KotaInfo, result: KotaBatchResult, head: pd.DataFrame | None) -> pd.DataFrame | None:
    """The first chunk's head with the legend of every stack used (the writer puts it in the metadata)."""
    if head is not None:
        head.attrs["legend"] = info.legend(sorted(result.sites_per_key))
    return head
