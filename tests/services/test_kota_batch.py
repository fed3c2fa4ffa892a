"""Streamed and Dask batches spanning several kota: each kota judged with its own stack, as ``check_batch``.

Sites: the batch helpers' Jakarta Pusat sites (dense enough that the Jakarta Pusat quotas bite
across chunks and partitions; a tenth of them just outside, in the neighbouring kota, which have
no rule set of their own) and one point in every Jakarta Selatan kelurahan, interleaved.

Data: BPS/HDX kelurahan and kota boundaries of DKI (CC BY-IGO); © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import copy
import json
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geozones.core.time import resolve_at
from geozones.io.chunks import SiteChunks
from geozones.io.exports import table_csv
from geozones.io.layers import load_layers
from geozones.rules.model import RULES_DIR
from geozones.services.catalog import FileCatalog
from geozones.services.checking import NO_LOCAL_LEVEL, check_batch, kota_of
from geozones.services.kota_batch import is_province_wide, run_kota_batch
from tests.services.batch_helpers import AT, site_table

PROVINCE = RULES_DIR / "dki-jakarta-pilkada-2024.yaml"
JAKSEL = "31.74"


@pytest.fixture(scope="module")
def dki(shared_data):
    return load_layers("dki-jakarta", shared_data)


@pytest.fixture(scope="module")
def mixed(jakpus_layers, dki):
    """A CSV-like table: 1,200 batch-helper sites and every Jakarta Selatan kelurahan's point, interleaved."""
    table = site_table(jakpus_layers, 1200, seed=41)
    kel = dki.kelurahan[dki.kelurahan["kode_kemendagri"].str.startswith(JAKSEL)]
    pts = kel.geometry.representative_point()
    js = pd.DataFrame({"site_id": "JS" + kel["kode_kemendagri"].str.replace(".", "", regex=False).to_numpy(),
                       "lon": pts.x.round(6).to_numpy(), "lat": pts.y.round(6).to_numpy(),
                       "apk_type": np.array(["spanduk", "billboard", "baliho"], dtype=object)[np.arange(len(kel)) % 3],
                       "paslon": "1", "installed_at": "", "catatan": ""})
    both = pd.concat([table, js], ignore_index=True)
    return both.iloc[np.random.default_rng(5).permutation(len(both))].reset_index(drop=True)


def _reference(cat, source: SiteChunks, reasons="compact", lang="id"):
    """``check_batch`` on every site of ``source`` in reading order, as CSV bytes."""
    sites = pd.concat([source.to_sites(o, r) for o, r in source.raw_chunks()], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=4326)
    ev = check_batch(cat, sites, AT, reasons=reasons, lang=lang)
    return table_csv(ev.table, lang=lang, lean=reasons != "full"), ev


@pytest.fixture(scope="module")
def csv_src(tmp_path_factory, mixed):
    src = tmp_path_factory.mktemp("kota") / "sites.csv"
    mixed.to_csv(src, index=False)
    return src


@pytest.mark.parametrize("rules", [PROVINCE, None], ids=["province-rules", "kota-rules"])
def test_streamed_chunks_equal_check_batch(tmp_path, shared_data, csv_src, rules):
    cat = FileCatalog(rules, shared_data)
    assert is_province_wide(cat) == (rules is not None)
    want, ev = _reference(cat, SiteChunks(csv_src, chunk_rows=10**6))
    out = tmp_path / "out.csv"
    result = run_kota_batch(cat, SiteChunks(csv_src, chunk_rows=230), resolve_at(AT), out=out, lang="id",
                            reasons="compact")
    got = out.read_bytes()
    assert result.chunks == 6 and result.sites == len(ev.table)
    assert got == want
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    # the Jakarta Pusat quotas bit across chunk boundaries, only in Jakarta Pusat
    quota = table["rule_ids"].str.contains("Q-", regex=False)
    assert quota.sum() > 10
    assert table.loc[quota, "rule_stack"].str.endswith("Jakarta Pusat 2024.2").all()
    js = table["site_id"].str.startswith("JS")
    assert table.loc[js, "rule_stack"].str.contains(NO_LOCAL_LEVEL[0], regex=False).all()
    assert (table.loc[js, "verdict"] != "OUTSIDE_AREA").all()
    kota = {s["kota"]: s for s in result.stacks}
    assert kota["Kota Administrasi Jakarta Pusat"]["local"]
    assert not kota["Kota Administrasi Jakarta Selatan"]["local"]
    assert kota["Kota Administrasi Jakarta Selatan"]["note"]["en"] == NO_LOCAL_LEVEL[1]
    assert sum(s["n_sites"] for s in result.stacks) == result.sites
    assert [(s["kota"], s["n_sites"]) for s in result.stacks] == [(s["kota"], s["n_sites"])
                                                                   for s in ev.provenance["stacks"]]
    meta = json.loads((tmp_path / "out.csv-metadata.json").read_text(encoding="utf-8"))
    text = json.dumps(meta, ensure_ascii=False)
    assert "dki-jakarta-pusat-pilkada-2024" in text and '"stacks"' in text


def test_two_worker_processes_give_the_one_process_output(tmp_path, shared_data, csv_src):
    cat = FileCatalog(PROVINCE, shared_data)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    run_kota_batch(cat, SiteChunks(csv_src, chunk_rows=400), resolve_at(AT), out=one, lang="en", reasons="full")
    run_kota_batch(cat, SiteChunks(csv_src, chunk_rows=400), resolve_at(AT), out=two, lang="en", reasons="full",
                   jobs=2)
    assert two.read_bytes() == one.read_bytes()
    want, _ = _reference(cat, SiteChunks(csv_src, chunk_rows=10**6), reasons="full", lang="en")
    assert one.read_bytes() == want


def test_a_national_version_coming_into_force_mid_batch(tmp_path, shared_data, mixed):
    """Each site judged with the level versions in force at its time; quotas count within each version's group."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("dki-jakarta-pilkada-2024.yaml", "dki-jakarta-pusat-pilkada-2024.yaml"):
        shutil.copy(RULES_DIR / name, rules / name)
    nat = yaml.safe_load((RULES_DIR / "nasional-pilkada-2024.yaml").read_text(encoding="utf-8"))
    v2 = copy.deepcopy(nat)
    v2.update(version="2024.2", effective_from="2024-10-02T12:00:00+07:00", supersedes=["2024.1"])
    v2["rules"].append({"id": "N-UMBUL", "title": {"id": "Umbul-umbul dilarang (uji)", "en": "Banners banned (test)"},
                        "legal_basis": [{"instrument": "PKPU uji", "grade": "I"}], "verdict": "FORBIDDEN",
                        "spatial": {"form": "anywhere"}, "apk_types": ["umbul_umbul"]})
    (rules / "nasional-v2.yaml").write_text(yaml.safe_dump(v2, sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")
    (rules / "nasional-v1.yaml").write_text(yaml.safe_dump(nat, sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")
    cat = FileCatalog(rules / "dki-jakarta-pilkada-2024.yaml", shared_data)
    src = tmp_path / "sites.csv"
    mixed.to_csv(src, index=False)
    want, _ = _reference(cat, SiteChunks(src, chunk_rows=10**6))
    out = tmp_path / "out.csv"
    result = run_kota_batch(cat, SiteChunks(src, chunk_rows=300), resolve_at(AT), out=out, lang="id",
                            reasons="compact")
    assert out.read_bytes() == want
    versions = {tuple(lv["version"] for lv in s["levels"]) for s in result.stacks}
    assert ("2024.1", "2024.1", "2024.2") in versions and ("2024.2", "2024.1", "2024.2") in versions
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    banned = table["rule_ids"].str.contains("N-UMBUL", regex=False)
    assert banned.any() and (table.loc[banned, "apk_type"] == "umbul_umbul").all()


# ----------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def partitioned(tmp_path_factory, mixed, dki):
    """The sites as GeoParquet partitioned by each kota's BPS code (``kode_kota=3173`` is Jakarta Pusat,
    ``3171`` Jakarta Selatan), several row groups each; three Jakarta Selatan sites filed under 3173."""
    root = tmp_path_factory.mktemp("kota-dask") / "sites"
    gdf = gpd.GeoDataFrame(mixed.drop(columns=["lon", "lat"]), crs=4326,
                           geometry=shapely.points(mixed["lon"].astype(float), mixed["lat"].astype(float)))
    kota = dki.get("kota")
    joined = gpd.sjoin(gdf, kota[["kode_bps_kota", "geometry"]], how="left", predicate="covered_by")
    code = joined[~joined.index.duplicated()]["kode_bps_kota"].fillna("0000").to_numpy(dtype=object)
    wrong = np.flatnonzero(mixed["site_id"].str.startswith("JS").to_numpy())[:3]
    code[wrong] = "3173"
    for c in sorted(set(code)):
        (root / f"kode_kota={c}").mkdir(parents=True)
        gdf[code == c].to_parquet(root / f"kode_kota={c}" / "part-0.parquet", row_group_size=150)
    return root, [mixed["site_id"].iloc[i] for i in wrong]


def test_dask_judges_each_partition_with_its_kota_stack(tmp_path, shared_data, partitioned):
    from geozones.services.dask_batch import run_dask_kota

    root, wrong_ids = partitioned
    cat = FileCatalog(PROVINCE, shared_data)
    want, ev = _reference(cat, SiteChunks(root, chunk_rows=10**6))
    out = tmp_path / "out.csv"
    result = run_dask_kota(cat, SiteChunks(root), resolve_at(AT), address="local:2", out=out, fmt="csv", lang="id",
                           reasons="compact")
    assert out.read_bytes() == want  # verdicts, rule ids, distances, rule_stack: byte for byte
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert result.sites == len(table) and result.chunks > 5
    # the polygon wins over the partition key; the rows filed under another kota are named
    assert sorted(table["site_id"].iloc[result.misplaced]) == sorted(wrong_ids)
    assert table.set_index("site_id").loc[wrong_ids, "rule_stack"].str.contains(NO_LOCAL_LEVEL[0],
                                                                                  regex=False).all()
    assert (table["rule_ids"].str.contains("Q-", regex=False)).sum() > 10
    assert {s["kota"] for s in result.stacks} == {s["kota"] for s in ev.provenance["stacks"]}
    meta = json.loads((tmp_path / "out.csv-metadata.json").read_text(encoding="utf-8"))
    assert "Kota Administrasi Jakarta Selatan" in json.dumps(meta, ensure_ascii=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), on_edge=st.integers(0, 40))
def test_each_point_goes_to_the_first_kota_covering_it(dki, seed, on_edge):
    """:func:`kota_of` (prepared polygons) places every point as a tree query with ``covered_by`` does,
    the first kota by layer order winning on a shared edge, for random points and boundary vertices."""
    geoms = np.asarray(dki.get("kota").geometry.values, dtype=object)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    pts = shapely.points(rng.uniform(minx, maxx, 300), rng.uniform(miny, maxy, 300))
    edge = shapely.get_coordinates(shapely.boundary(geoms[1:]))
    pts = np.concatenate([pts, shapely.points(edge[rng.integers(0, len(edge), on_edge)])])
    site_i, kota_i = shapely.STRtree(geoms).query(pts, predicate="covered_by")
    first = np.full(len(pts), -1)
    first[site_i[::-1]] = kota_i[::-1]
    np.testing.assert_array_equal(kota_of(geoms, pts), first)
