"""The same batch on a Dask cluster: the engine inside ``map_partitions``, quotas reduced on the client.

dask-geopandas has no distance joins (``sjoin`` with ``dwithin`` or ``sjoin_nearest``; see
workflows-research §7), and the engine needs neither: a partition of sites is judged by the
compiled rules alone. So the input GeoParquet (one file, or a directory partitioned by kab/kota
code, ``kode_kota=3171/...``) becomes a Dask DataFrame with one partition per row group
(:func:`geozones.io.parquet.parquet_parts`), and

1. the compiled rules (:class:`~geozones.services.batch.ChunkJudge`, without the layers) are
   **scattered** to every worker once (``broadcast=True``) and passed to the partitions as a future;
2. ``map_partitions`` judges each partition and returns what the quotas need of its lawful sites;
3. the client runs the quota pass over all partitions (:func:`~geozones.services.batch.batch_overruns`,
   the same function as the single-process path) and scatters the overruns;
4. ``map_partitions`` judges, explains and formats each partition with the batch-wide overruns; the
   client writes the partitions in input order, a window of them at a time.

The output equals the single-process output. Workers must see the input path (one machine, or a
shared file system). Dask pays off with many cores or machines; on two cores one process with
``--jobs 2`` is as fast (bench/RESULTS.md).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geozones.core.errors import InputError
from geozones.io.chunks import SiteChunks
from geozones.io.parquet import ParquetPart, is_parquet, parquet_parts, parquet_to_frame, read_part
from geozones.services.batch import (
    BatchResult,
    ChunkJudge,
    QuotaRecords,
    batch_overruns,
    layers_stub,
    refuse_duplicates,
    writing,
)
from geozones.services.catalog import StackCatalog
from geozones.services.checking import Checker
from geozones.services.kota_batch import (
    KotaBatchResult,
    KotaJudge,
    KotaRouter,
    KotaWrites,
    open_kota_judge,
    reduce_counts,
    with_legend,
)

__all__ = ["connect", "run_dask", "run_dask_kota"]

_RESULT = "result"


@contextmanager
def connect(address: str, timeout: float = 30.0):
    """A ``distributed.Client``: to the scheduler at ``address``, or to a new local cluster for ``local:N``.

    Raises
    ------
    InputError
        For a malformed ``local:N`` or a scheduler that cannot be reached within ``timeout`` seconds.
    """
    from distributed import Client, LocalCluster

    if address.startswith("local"):
        _, _, n = address.partition(":")
        try:
            workers = int(n or 2)
        except ValueError:
            raise InputError(f"--dask {address}: tulis local:N (N pekerja) / write local:N (N workers)",
                             field="--dask") from None
        import dask

        # loopback only; a loaded machine can take long to start worker processes, so wait for them
        with dask.config.set({"distributed.comm.timeouts.connect": "120s"}), \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                             host="127.0.0.1") as cluster, Client(cluster, timeout=120) as client:
            yield client
        return
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--dask {address}: penjadwal Dask tidak terjangkau / the Dask scheduler cannot be "
                         f"reached: {exc}", field="--dask") from None
    try:
        yield client
    finally:
        client.close()


def _require_parquet(source: SiteChunks) -> None:
    if not is_parquet(source.path):
        raise InputError(f"--dask membaca GeoParquet (berkas atau folder per kode kab/kota) / --dask reads "
                         f"GeoParquet (a file, or a folder partitioned by kab/kota code), not {source.path.name}",
                         source=source.name, field="--dask")


def _offset_frame(args: tuple[ParquetPart, int]) -> pd.DataFrame:
    """A partition: one row group of the input (Arrow) and the row offset of its first site."""
    part, offset = args
    return pd.DataFrame({_RESULT: [(offset, read_part(part))]})


def _count_partition(df: pd.DataFrame, cj: ChunkJudge) -> pd.DataFrame:
    out = []
    for offset, table in df[_RESULT]:
        out.append(cj.count(offset, parquet_to_frame(table)))
    return pd.DataFrame({_RESULT: out}, dtype=object)


def _write_partition(df: pd.DataFrame, cj: ChunkJudge, overruns) -> pd.DataFrame:
    out = []
    for offset, table in df[_RESULT]:
        out.append(cj.write(offset, parquet_to_frame(table), overruns))
    return pd.DataFrame({_RESULT: out}, dtype=object)


def run_dask(checker: Checker, source: SiteChunks, at: object, *, address: str, out: Path | None,
             fmt: str = "csv", lang: str | None = "id", window: int | None = None,
             timeout: float = 30.0, reasons: str = "full") -> BatchResult:
    """Judge a GeoParquet input on a Dask cluster; write the table as :func:`~geozones.services.batch.run_batch` does.

    Parameters
    ----------
    checker : Checker
        Compiled rules (the client's; scattered to the workers once).
    source : SiteChunks
        A GeoParquet file or directory (its ``chunk_rows`` is not used: a partition is a row group).
    at : pandas.Timestamp
        Time for sites without ``installed_at``.
    address : str
        Scheduler address (``tcp://127.0.0.1:8786``) or ``local:N``.
    out, fmt, lang
        As for :func:`~geozones.services.batch.run_batch`.
    window : int, optional
        Partitions computed ahead of the one being written (default one more than the workers).
    timeout : float
        Seconds to wait for the scheduler.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        For an input that is not GeoParquet, a bad row, or a scheduler out of reach.
    """
    import dask
    import dask.dataframe as dd

    _require_parquet(source)
    parts = parquet_parts(source.path)
    offsets = np.concatenate([[0], np.cumsum([p.rows for p in parts])[:-1]]).astype(int).tolist()
    prep = checker.prepared
    worker_prep = type(prep).__new__(type(prep))
    worker_prep.__dict__.update(prep.__dict__)
    worker_prep.layers = layers_stub(prep)
    cj = ChunkJudge(prepared=worker_prep, grants=list(checker.grants), at=at, source=source, fmt=fmt, lang=lang,
                    reasons=reasons)
    meta = pd.DataFrame({_RESULT: pd.Series([], dtype=object)})
    # Partitions carry Python objects (Arrow tables, results); Dask must not turn them into strings.
    with dask.config.set({"dataframe.convert-string": False}), connect(address, timeout) as client:
        # The compiled rules go to every worker once; each task gets the future, not a copy.
        cj_f = client.scatter(cj, broadcast=True)
        ddf = dd.from_map(_offset_frame, list(zip(parts, offsets, strict=True)), meta=meta,
                          enforce_metadata=False)
        counted = ddf.map_partitions(_count_partition, cj_f, meta=meta, enforce_metadata=False).compute()
        records, hashes, n, untimed = [], [], 0, 0
        for size, rec, hh, nt in counted[_RESULT]:
            records.append(rec)
            hashes.append(hh)
            n += size
            untimed += nt
        if n == 0:
            raise InputError("contains no sites", source=source.name)
        refuse_duplicates(source, np.concatenate(hashes))
        overruns = batch_overruns(prep, QuotaRecords.concat(records))
        del records, hashes, counted
        # one (3, k) array: scattering a tuple would scatter each member apart
        over_f = client.scatter(np.stack(overruns), broadcast=True)
        written = ddf.map_partitions(_write_partition, cj_f, over_f, meta=meta, enforce_metadata=False)
        result = BatchResult(sites=n, chunks=len(parts), out=out, untimed=untimed, counts=Counter())
        with writing(out, fmt, checker, lang, reasons != "full") as writer:
            for payload, counts, head in _in_order(client, written, window):
                writer.write(payload, head)
                result.counts.update(counts)
    return result


def _in_order(client, written, window: int | None):
    """The partitions' results in input order, a window of them computed ahead of the one being written."""
    delayed = written.to_delayed()
    ahead = window or 1 + max(1, len(client.scheduler_info().get("workers", {})))
    pending = [client.compute(d) for d in delayed[:ahead]]
    nxt = len(pending)
    while pending:
        frame = pending.pop(0).result()
        if nxt < len(delayed):
            pending.append(client.compute(delayed[nxt]))
            nxt += 1
        yield from frame[_RESULT]


# ----------------------------------------------------------------------------- each kota with its own stack
@dataclass
class _KotaShell:
    """A :class:`~geozones.services.kota_batch.KotaJudge` without its judges (those are scattered apart).

    ``index`` gives, per key, the position of its judge among the scattered ones (None: no stack,
    ``errors`` says why).
    """

    router: KotaRouter
    labels: dict
    errors: dict
    index: dict

    def judge(self, cjs: tuple[ChunkJudge, ...]) -> KotaJudge:
        """The whole judge, from the judges each worker already holds."""
        return KotaJudge(router=self.router, labels=self.labels, errors=self.errors,
                         judges={k: None if i is None else cjs[i] for k, i in self.index.items()})


def _count_kota(df: pd.DataFrame, shell: _KotaShell, *cjs: ChunkJudge) -> pd.DataFrame:
    kj = shell.judge(cjs)
    return pd.DataFrame({_RESULT: [kj.count(offset, parquet_to_frame(table)) for offset, table in df[_RESULT]]},
                        dtype=object)


def _write_kota(df: pd.DataFrame, overruns: dict, shell: _KotaShell, *cjs: ChunkJudge) -> pd.DataFrame:
    kj = shell.judge(cjs)
    return pd.DataFrame({_RESULT: [kj.write(offset, parquet_to_frame(table), overruns)
                                   for offset, table in df[_RESULT]]}, dtype=object)


def run_dask_kota(catalog: StackCatalog, source: SiteChunks, at: object, *, address: str, out: Path | None,
                  fmt: str = "csv", lang: str | None = "id", window: int | None = None, timeout: float = 30.0,
                  reasons: str = "full", province: str | None = None) -> KotaBatchResult:
    """Judge a GeoParquet input (partitioned by ``kode_kota``) on Dask, each kota with its own rule stack.

    Every kota's stack of the province (national -> province -> kota; a kota without a level of its
    own gets the levels above it and says so) is compiled once on the client
    (:func:`~geozones.services.kota_batch.open_kota_judge`) and each compiled stack is **scattered
    to every worker once**; each partition then judges its sites with the stack of the kota polygon
    that holds them (the polygon wins over the partition key; rows whose key names another kota are
    counted in ``misplaced``). Quotas are reduced on the client per stack (each counts in its own
    kelurahan). Output rows are in input order and equal
    :func:`~geozones.services.checking.check_batch` on the same sites.

    Parameters
    ----------
    catalog : StackCatalog
        A kota or province level and the layers.
    source, at, address, out, fmt, lang, window, timeout, reasons
        As for :func:`run_dask`.
    province : str, optional
        Id of the province level.

    Returns
    -------
    KotaBatchResult
        ``stacks`` lists the stacks used (kota, levels and versions, sites).

    Raises
    ------
    InputError
        For an input that is not GeoParquet, a bad row, or a scheduler out of reach.
    """
    import dask
    import dask.dataframe as dd

    _require_parquet(source)
    parts = parquet_parts(source.path)
    offsets = np.concatenate([[0], np.cumsum([p.rows for p in parts])[:-1]]).astype(int).tolist()
    kj, info = open_kota_judge(catalog, at, source, fmt=fmt, lang=lang, reasons=reasons, province=province)
    distinct: list[ChunkJudge] = []
    index: dict = {}
    for key, cj in kj.judges.items():
        if cj is None:
            index[key] = None
            continue
        pos = next((i for i, d in enumerate(distinct) if d is cj), None)
        if pos is None:
            distinct.append(cj)
            pos = len(distinct) - 1
        index[key] = pos
    shell = _KotaShell(router=kj.router, labels=kj.labels, errors=kj.errors, index=index)
    meta = pd.DataFrame({_RESULT: pd.Series([], dtype=object)})
    with dask.config.set({"dataframe.convert-string": False}), connect(address, timeout) as client:
        # each kota's compiled stack goes to every worker once; tasks get futures, not copies
        shell_f = client.scatter(shell, broadcast=True)
        cj_fs = [client.scatter(cj, broadcast=True) for cj in distinct]
        ddf = dd.from_map(_offset_frame, list(zip(parts, offsets, strict=True)), meta=meta,
                          enforce_metadata=False)
        counted = ddf.map_partitions(_count_kota, shell_f, *cj_fs, meta=meta, enforce_metadata=False).compute()
        overruns, result = reduce_counts(info, source, counted[_RESULT], out)
        del counted
        result.chunks = len(parts)
        # a list of one: scattering the dict itself would scatter each member apart
        over_f = client.scatter([overruns], broadcast=True)[0]
        written = ddf.map_partitions(_write_kota, over_f, shell_f, *cj_fs, meta=meta, enforce_metadata=False)
        with writing(out, fmt, KotaWrites(info, result), lang, reasons != "full") as writer:  # type: ignore[arg-type]
            for payload, counts, head in _in_order(client, written, window):
                writer.write(payload, with_legend(info, result, head))
                result.counts.update(counts)
    return result
