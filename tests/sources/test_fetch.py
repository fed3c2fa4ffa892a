"""`geozones data fetch` against a loopback server holding the pinned upstream files."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
import shapely

from geozones.cli import main
from geozones.core.errors import InputError
from geozones.sources import download
from geozones.sources.upstream import WILAYAH, boundary_source


def _pairs(gdf, a, b):
    return set(zip(gdf[a].astype(str), gdf[b].astype(str), strict=True))


@pytest.fixture(scope="module")
def fetched(tmp_path_factory, request, shared_data):
    """One fetch of Jakarta Pusat plus all of DKI over HTTP (shared by the tests below)."""
    import functools

    from tests.sources.conftest import _QuietHandler, _Server

    upstream = shared_data / "upstream"
    srv = _Server(functools.partial(_QuietHandler, directory=str(upstream)))
    request.addfinalizer(srv.close)
    data_dir = tmp_path_factory.mktemp("data")
    cache = tmp_path_factory.mktemp("cache")
    code = main(["data", "fetch", "--kota", "3173", "--province", "31", "--mirror", srv.url,
                 "--data-dir", str(data_dir), "--cache-dir", str(cache), "--retries", "0"])
    assert code == 0
    return data_dir, cache


def test_jakarta_pusat_codes_match_shared(fetched, shared_data):
    data_dir, _ = fetched
    mine = gpd.read_file(data_dir / "jakpus_kelurahan.geojson")
    ref = gpd.read_file(shared_data / "jakpus_kelurahan.geojson")
    assert len(mine) == 44
    assert _pairs(mine, "kode_bps", "kode_kemendagri") == _pairs(ref, "kode_bps", "kode_kemendagri")
    assert _pairs(mine, "kode_bps_kec", "kode_kemendagri_kec") == _pairs(ref, "kode_bps_kec", "kode_kemendagri_kec")
    assert mine["kode_kemendagri"].is_unique


def test_dki_267_kelurahan_codes_match_shared(fetched, shared_data):
    data_dir, _ = fetched
    mine = gpd.read_file(data_dir / "jakarta_kelurahan.geojson")
    ref = gpd.read_file(shared_data / "jakarta_kelurahan.geojson")
    land = mine.loc[~mine["is_water_body"]]
    assert len(land) == 267
    ref_land = ref.loc[~ref["is_water_body"]]
    assert _pairs(land, "kode_bps", "kode_kemendagri") == _pairs(ref_land, "kode_bps", "kode_kemendagri")
    assert set(mine.loc[mine["is_water_body"], "kode_bps"]) == set(ref.loc[ref["is_water_body"], "kode_bps"])
    kota = gpd.read_file(data_dir / "jakarta_kota.geojson")
    ref_kota = gpd.read_file(shared_data / "jakarta_kota.geojson")
    assert _pairs(kota, "kode_bps_kota", "kode_kemendagri_kota") == \
        _pairs(ref_kota, "kode_bps_kota", "kode_kemendagri_kota")
    kec = gpd.read_file(data_dir / "jakarta_kecamatan.geojson")
    ref_kec = gpd.read_file(shared_data / "jakarta_kecamatan.geojson")
    assert _pairs(kec, "kode_bps_kec", "kode_kemendagri_kec") == _pairs(ref_kec, "kode_bps_kec", "kode_kemendagri_kec")


def test_dissolved_units_share_kelurahan_edges(fetched):
    data_dir, _ = fetched
    kel = gpd.read_file(data_dir / "jakpus_kelurahan.geojson").to_crs(32748)
    kec = gpd.read_file(data_dir / "jakpus_kecamatan.geojson").to_crs(32748)
    assert len(kec) == 8
    assert dict(zip(kec["kecamatan"], kec["n_kelurahan"], strict=True))["Kemayoran"] == 8
    for row in kec.itertuples():
        parts = shapely.union_all(kel.loc[kel["kode_bps_kec"] == row.kode_bps_kec].geometry.values)
        assert shapely.symmetric_difference(parts, row.geometry).area < 1.0  # m², rounding only
    kota = gpd.read_file(data_dir / "jakarta_kota.geojson").to_crs(32748)
    jp = kota.loc[kota["kode_bps_kota"] == "3173"].geometry.iloc[0]
    assert abs(jp.area / 1e6 - 47.9) < 0.3
    assert shapely.symmetric_difference(jp, shapely.union_all(kec.geometry.values)).area < 1.0


def test_provenance_and_checksums(fetched):
    data_dir, cache = fetched
    assert download.sha256_file(cache / WILAYAH.filename) == WILAYAH.sha256
    src = boundary_source("31")
    assert download.sha256_file(cache / src.filename) == src.sha256
    doc = json.loads((data_dir / "provenance.json").read_text())
    rec = doc["files"]["jakpus_kelurahan.geojson"]
    shas = {s["key"]: s["sha256"] for s in rec["sources"]}
    assert shas == {"wilayah": WILAYAH.sha256, "boundary-31": src.sha256}
    assert rec["licence"] == "CC BY-IGO 3.0" and rec["fetched_at"]
    assert rec["file_sha256"] == download.sha256_file(data_dir / "jakpus_kelurahan.geojson")
    variants = {v["bps_name"]: v["kemendagri_name"] for v in rec["match_report"]["variants"]}
    assert variants == {"Harapan Mulya": "Harapan Mulia", "Kampung Tengah": "Tengah", "Pal Meriem": "Palmeriam",
                        "Papango": "Papanggo", "Tanjung Priuk": "Tanjung Priok",
                        "Wijaya Kesuma": "Wijaya Kusuma", "Halim Perdana Kusumah": "Halim Perdana Kusuma"}
    assert rec["match_report"]["unmatched"] == []


def test_area_manifest_loads_what_fetch_built(fetched):
    from geozones.io.layers import load_layers

    data_dir, _ = fetched
    layers = load_layers("jakarta-pusat", data_dir, only={"kelurahan", "kecamatan", "kota"})
    assert len(layers["kelurahan"]) == 44 and len(layers["kecamatan"]) == 8 and len(layers["kota"]) == 1
    assert layers["kota"].gdf["kode_kemendagri_kota"].iloc[0] == "31.71"


def test_other_kota_by_name_gets_generated_manifest(tmp_path, upstream_url):
    from geozones.io.layers import load_layers

    code = main(["data", "fetch", "--kota", "Jakarta Selatan", "--mirror", upstream_url,
                 "--data-dir", str(tmp_path / "d"), "--cache-dir", str(tmp_path / "c")])
    assert code == 0
    manifests = list((tmp_path / "d").glob("*.yaml"))
    assert [m.name for m in manifests] == ["kota-jakarta-selatan.yaml"]
    layers = load_layers(manifests[0], tmp_path / "d", only={"kelurahan", "kota"})
    kel = layers["kelurahan"].gdf
    assert len(kel) == 65 and set(kel["kode_kemendagri"].str[:5]) == {"31.74"}


def test_cached_file_is_reused_without_network(fetched, closed_port_url):
    _, cache = fetched
    got = download.fetch(WILAYAH, cache_dir=cache, mirror=closed_port_url, retries=0)
    assert got.from_cache and got.sha256 == WILAYAH.sha256


def test_tampered_mirror_is_refused(tmp_path, serve_dir, upstream_dir, capsys):
    bad = tmp_path / "mirror"
    bad.mkdir()
    shutil.copy(upstream_dir / "id31_dki_jakarta_district.geojson", bad)
    data = (upstream_dir / "wilayah.sql").read_bytes().replace(b"'Cideng'", b"'Cidenk'")
    (bad / "wilayah.sql").write_bytes(data)
    url = serve_dir(bad)
    code = main(["data", "fetch", "--kota", "3173", "--mirror", url, "--data-dir", str(tmp_path / "d"),
                 "--cache-dir", str(tmp_path / "c"), "--retries", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert "checksum mismatch" in err and WILAYAH.sha256 in err
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())
    assert not any((tmp_path / "c").iterdir())


def test_tampered_local_mirror_folder_is_refused(tmp_path, upstream_dir):
    bad = tmp_path / "mirror"
    bad.mkdir()
    (bad / "wilayah.sql").write_bytes((upstream_dir / "wilayah.sql").read_bytes()[:-10])
    with pytest.raises(InputError, match="checksum mismatch"):
        download.fetch(WILAYAH, cache_dir=tmp_path / "c", mirror=bad)
    assert not (tmp_path / "c" / "wilayah.sql").exists()


def test_retries_with_backoff_after_503(tmp_path, flaky_server):
    url, state = flaky_server(fail=2)
    waits: list[float] = []
    got = download.fetch(WILAYAH, cache_dir=tmp_path, mirror=url, retries=3, backoff=0.5, sleep=waits.append)
    assert got.sha256 == WILAYAH.sha256
    assert state["requests"] == 3
    assert waits == [0.5, 1.0]


def test_gives_up_after_bounded_retries(tmp_path, flaky_server):
    url, state = flaky_server(fail=100)
    with pytest.raises(InputError, match="after 3 attempt"):
        download.fetch(WILAYAH, cache_dir=tmp_path, mirror=url, retries=2, backoff=0, sleep=lambda s: None)
    assert state["requests"] == 3


def test_offline_message_explains_import(tmp_path, closed_port_url, capsys):
    code = main(["data", "fetch", "--kota", "3173", "--mirror", closed_port_url, "--data-dir", str(tmp_path / "d"),
                 "--cache-dir", str(tmp_path / "c"), "--retries", "0", "--timeout", "5"])
    err = capsys.readouterr().err
    assert code == 2
    assert "geozones data import" in err and "--mirror" in err and "Traceback" not in err


def test_missing_file_in_mirror_is_named(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(InputError, match=r"wilayah\.sql"):
        download.fetch(WILAYAH, cache_dir=tmp_path / "c", mirror=tmp_path / "m")


def test_unpinned_province_needs_consent(tmp_path):
    src = boundary_source("32")
    assert src.sha256 is None and "id32_jawa_barat" in src.url
    with pytest.raises(InputError, match="--allow-unpinned"):
        download.fetch(src, cache_dir=tmp_path)


def test_existing_files_not_overwritten_without_replace(tmp_path, upstream_dir):
    d = tmp_path / "d"
    args = ["data", "fetch", "--kota", "3173", "--mirror", str(upstream_dir), "--data-dir", str(d),
            "--cache-dir", str(tmp_path / "c")]
    assert main(args) == 0
    target = d / "jakpus_kelurahan.geojson"
    target.write_text(target.read_text().replace("Kebon Kelapa", "Kebon Kelapa X"))
    before = target.read_bytes()
    assert main(args) == 2
    assert target.read_bytes() == before
    assert main([*args, "--replace"]) == 0
    kept = list((d / ".previous").glob("jakpus_kelurahan.*.geojson"))
    assert len(kept) == 1 and kept[0].read_bytes() == before
    assert b"Kebon Kelapa X" not in target.read_bytes()
    doc = json.loads((d / "provenance.json").read_text())
    assert any(h["file"] == "jakpus_kelurahan.geojson" for h in doc["history"])


@pytest.mark.parametrize("query", ["3173", "31.71", "Jakarta Pusat", "kota administrasi jakarta pusat"])
def test_kota_query_forms(query, tmp_path, upstream_dir):
    from geozones.sources.fetch import fetch_boundaries

    res = fetch_boundaries(data_dir=tmp_path / "d", kota=query, mirror=str(upstream_dir), cache_dir=tmp_path / "c")
    assert res.counts["jakpus_kelurahan.geojson"] == 44


def test_unknown_kota_lists_choices(tmp_path, upstream_dir):
    from geozones.sources.fetch import fetch_boundaries

    with pytest.raises(InputError, match=r"3173 / 31\.71"):
        fetch_boundaries(data_dir=tmp_path / "d", kota="3179", mirror=str(upstream_dir), cache_dir=tmp_path / "c")
