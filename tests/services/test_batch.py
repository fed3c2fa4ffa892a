"""Streamed batches give the one-shot output: quotas across chunks, --jobs, GeoParquet, errors by file row."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geozones.core.errors import InputError
from geozones.core.time import resolve_at
from geozones.engine import prepare
from geozones.io.chunks import SiteChunks
from geozones.io.exports import metadata_path, write_table
from geozones.io.sites import read_sites
from geozones.services.batch import run_batch
from geozones.services.checking import Checker
from tests.services.batch_helpers import AT, site_table

N = 6000


@pytest.fixture(scope="module")
def checker(jakpus_layers, jakpus_rules):
    return Checker(ruleset=jakpus_rules, layers=jakpus_layers, prepared=prepare(jakpus_layers, jakpus_rules))


@pytest.fixture(scope="module")
def sites_csv(tmp_path_factory, jakpus_layers):
    path = tmp_path_factory.mktemp("batch") / "sites.csv"
    site_table(jakpus_layers, N).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def one_shot(tmp_path_factory, checker, sites_csv):
    """The reference: the whole file read, judged and written at once."""
    out = tmp_path_factory.mktemp("one") / "out.csv"
    ev = checker.check(read_sites(sites_csv), resolve_at(AT))
    write_table(ev.table, out, "csv", attribution=checker.attribution(), lang="id", provenance=ev.provenance,
                legend=ev.legend)
    return out


def test_the_quotas_bite_across_chunk_boundaries(checker, sites_csv, one_shot):
    """Judging chunks alone would give other verdicts: the batch-wide quota pass is what makes them equal."""
    whole = pd.read_csv(one_shot, dtype=str, keep_default_na=False)
    assert whole["rule_ids"].str.contains("Q-baliho-kota").sum() > 50
    assert whole["rule_ids"].str.contains("Q-spanduk-kelurahan").sum() > 0
    sites = read_sites(sites_csv)
    alone = pd.concat([checker.check(sites.iloc[i:i + 700].reset_index(drop=True), resolve_at(AT)).table
                       for i in range(0, N, 700)], ignore_index=True)
    assert (alone["verdict"].to_numpy() != whole["verdict"].to_numpy()).sum() > 20


@pytest.mark.parametrize(("chunk", "jobs"), [(700, 1), (1999, 1), (700, 2)])
def test_streamed_output_equals_the_one_shot_output(tmp_path, checker, sites_csv, one_shot, chunk, jobs):
    out = tmp_path / "out.csv"
    result = run_batch(checker, SiteChunks(sites_csv, chunk_rows=chunk), resolve_at(AT), out=out, fmt="csv",
                       lang="id", jobs=jobs)
    assert result.sites == N and result.chunks == -(-N // chunk)
    assert out.read_bytes() == one_shot.read_bytes()
    assert metadata_path(out).read_text(encoding="utf-8").replace('"out.csv"', "") == \
        metadata_path(one_shot).read_text(encoding="utf-8").replace('"out.csv"', "")
    assert sum(result.counts.values()) == N


def test_geoparquet_in_and_out(tmp_path, checker, sites_csv, one_shot):
    table = pd.read_csv(sites_csv, dtype=str, keep_default_na=False)
    gdf = gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]),
                           geometry=shapely.points(table["lon"].astype(float), table["lat"].astype(float)), crs=4326)
    src = tmp_path / "sites.parquet"
    gdf.to_parquet(src, row_group_size=900)
    out_csv = tmp_path / "out.csv"
    run_batch(checker, SiteChunks(src, chunk_rows=1300), resolve_at(AT), out=out_csv, fmt="csv", lang="id")
    assert out_csv.read_bytes() == one_shot.read_bytes()
    out_pq = tmp_path / "out.parquet"
    run_batch(checker, SiteChunks(src, chunk_rows=1300), resolve_at(AT), out=out_pq, fmt="parquet", lang="id")
    back = gpd.read_parquet(out_pq)
    ref = pd.read_csv(one_shot, dtype=str, keep_default_na=False)
    assert back.crs.equals("OGC:CRS84") or back.crs.to_epsg() == 4326
    assert back["site_id"].tolist() == ref["site_id"].tolist()
    assert back["verdict"].tolist() == ref["verdict"].tolist()
    assert back["rule_ids"].fillna("").tolist() == ref["rule_ids"].tolist()
    assert np.allclose(back.geometry.x, ref["lon"].astype(float)) and np.allclose(back.geometry.y,
                                                                                   ref["lat"].astype(float))


def test_a_folder_partitioned_by_kota_code_keeps_the_code_as_text(tmp_path, checker, jakpus_layers):
    table = site_table(jakpus_layers, 900, seed=3)
    gdf = gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]), geometry=shapely.points(table["lon"], table["lat"]),
                           crs=4326)
    for code, sub in (("3171", gdf.iloc[:500]), ("0301", gdf.iloc[500:])):
        (tmp_path / "in" / f"kode_kota={code}").mkdir(parents=True)
        sub.to_parquet(tmp_path / "in" / f"kode_kota={code}" / "part-0.parquet", row_group_size=200)
    out = tmp_path / "out.csv"
    run_batch(checker, SiteChunks(tmp_path / "in", chunk_rows=300), resolve_at(AT), out=out, fmt="csv", lang="id")
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    # files in path order: 0301 first; the code keeps its leading zero
    assert got["kode_kota"].tolist() == ["0301"] * 400 + ["3171"] * 500
    assert got["site_id"].tolist() == table["site_id"].iloc[500:].tolist() + table["site_id"].iloc[:500].tolist()


def test_duplicate_ids_across_chunks_are_refused_and_nothing_is_written(tmp_path, checker, jakpus_layers):
    table = site_table(jakpus_layers, 1000, seed=5)
    table.loc[870, "site_id"] = table.loc[12, "site_id"]
    src = tmp_path / "dup.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(InputError) as err:
        run_batch(checker, SiteChunks(src, chunk_rows=300), resolve_at(AT), out=out, fmt="csv", lang="id")
    text = str(err.value)
    assert table.loc[12, "site_id"] in text and "871" in text and "13" in text
    assert not out.exists() and not list(tmp_path.glob(".out.csv*"))


def test_a_bad_row_in_a_later_chunk_is_named_by_its_row_in_the_file(tmp_path, checker, jakpus_layers):
    table = site_table(jakpus_layers, 1000, seed=6)
    table.loc[745, "apk_type"] = "balon udara"
    src = tmp_path / "bad.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(InputError) as err:
        run_batch(checker, SiteChunks(src, chunk_rows=300), resolve_at(AT), out=out, fmt="csv", lang="id")
    assert [p.row for p in err.value.problems] == [746]
    assert not out.exists()


def test_a_csv_in_another_encoding_is_read_whole_and_still_chunked(tmp_path, checker, jakpus_layers):
    table = site_table(jakpus_layers, 500, seed=8)
    table["catatan"] = "Jl. Kebon Sirih, dekat warung Bu Ani — ü"[:-2] + "é"
    src = tmp_path / "latin.csv"
    src.write_bytes(table.to_csv(index=False).replace("—", "-").encode("cp1252"))
    source = SiteChunks(src, chunk_rows=120)
    assert source.mode == "whole"
    out = tmp_path / "out.csv"
    result = run_batch(checker, source, resolve_at(AT), out=out, fmt="csv", lang="id")
    assert result.chunks == 5
    assert pd.read_csv(out)["catatan"].str.endswith("é").all()
