"""``geozones check --rules <province rule set>``: every path judges each kota with its own stack.

Before issue 12.7 a province-wide rule set could not be used at all (exit 2: no kelurahan in its
jurisdiction); now the one-shot path (``check_batch``), the streamed path (chunks, ``--jobs``,
GeoParquet out) and ``--dask`` give the same table.

Data: BPS/HDX kelurahan and kota boundaries of DKI (CC BY-IGO); © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geozones.io.layers import load_layers
from geozones.rules.model import RULES_DIR
from geozones.services.checking import NO_LOCAL_LEVEL
from tests.cli.test_check_batch import _check
from tests.services.batch_helpers import site_table

PROVINCE = RULES_DIR / "dki-jakarta-pilkada-2024.yaml"


def _sites(jakpus_layers, shared_data):
    table = site_table(jakpus_layers, 900, seed=43)
    kel = load_layers("dki-jakarta", shared_data).kelurahan
    kel = kel[kel["kode_kemendagri"].str.startswith("31.74")]
    pts = kel.geometry.representative_point()
    js = pd.DataFrame({"site_id": "JS" + kel["kode_kemendagri"].to_numpy(), "lon": pts.x.round(6).to_numpy(),
                       "lat": pts.y.round(6).to_numpy(), "apk_type": "billboard", "paslon": "2", "installed_at": "",
                       "catatan": ""})
    both = pd.concat([table, js], ignore_index=True)
    return both.iloc[np.random.default_rng(8).permutation(len(both))].reset_index(drop=True)


def test_a_province_rule_set_gives_the_same_table_one_shot_streamed_and_on_dask(tmp_path, shared_data,
                                                                               jakpus_layers):
    table = _sites(jakpus_layers, shared_data)
    src = tmp_path / "sites.csv"
    table.to_csv(src, index=False)
    rules = ["--rules", PROVINCE]
    one = _check([src, *rules, "--out", tmp_path / "one.csv"], shared_data, tmp_path / "home")
    assert one.returncode == 0, one.stderr
    two = _check([src, *rules, "--out", tmp_path / "two.csv", "--jobs", "2", "--chunk-size", "250"], shared_data,
                 tmp_path / "home")
    assert two.returncode == 0, two.stderr
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert "Kota Administrasi Jakarta Selatan: nasional 2024.1 > DKI 2024.1 (" + NO_LOCAL_LEVEL[0] in two.stderr
    assert "Kota Administrasi Jakarta Pusat: nasional 2024.1 > DKI 2024.1 > Jakarta Pusat 2024.2" in two.stderr
    assert "R01 (worship; Kota Administrasi Jakarta Selatan)" in two.stderr  # absent layers, named per kota
    out = pd.read_csv(tmp_path / "one.csv", dtype=str, keep_default_na=False)
    js = out["site_id"].str.startswith("JS")
    assert (out.loc[js, "verdict"] == "NEEDS_PERMIT").all()  # R14, the DKI reklame permit
    assert not out.loc[js, "rule_ids"].str.contains("Q-", regex=False).any()
    assert out.loc[~js, "rule_ids"].str.contains("Q-", regex=False).any()

    # GeoParquet partitioned by kode_kota (the BPS code of the kota each site lies in), one site inside
    # Jakarta Pusat (3173) filed under Jakarta Selatan (3171)
    gdf = gpd.GeoDataFrame(table.drop(columns=["lon", "lat"]), crs=4326,
                           geometry=gpd.points_from_xy(table["lon"].astype(float), table["lat"].astype(float)))
    kota = load_layers("dki-jakarta", shared_data).get("kota")
    bps = dict(zip(kota["kode_kemendagri_kota"], kota["kode_bps_kota"], strict=True))
    kel = table["site_id"].map(out.set_index("site_id")["kode_kemendagri"])
    code = kel.str.slice(0, 5).map(bps).fillna("0000").to_numpy(dtype=object)
    in_jp = code == "3173"
    first_jp = int(np.flatnonzero(in_jp)[0])
    code[first_jp] = "3171"
    root = tmp_path / "parts"
    for c in sorted(set(code)):
        (root / f"kode_kota={c}").mkdir(parents=True)
        gdf[code == c].to_parquet(root / f"kode_kota={c}" / "part-0.parquet", row_group_size=200)
    dk = _check([root, *rules, "--out", tmp_path / "dask.csv", "--dask", "local:2"], shared_data,
                tmp_path / "home")
    assert dk.returncode == 0, dk.stderr
    read_order = pd.concat([table[code == c] for c in sorted(set(code))])
    back = pd.read_csv(tmp_path / "dask.csv", dtype=str, keep_default_na=False)
    assert back["site_id"].tolist() == read_order["site_id"].tolist()
    ref = out.set_index("site_id").loc[back["site_id"]].reset_index()
    cols = ["site_id", "verdict", "rule_ids", "nearest_m", "rule_stack"]
    pd.testing.assert_frame_equal(back[cols], ref[cols])
    wrong = table["site_id"].iloc[first_jp]
    assert "1 titik berada di kota lain" in dk.stderr and "sites lie in another kota" in dk.stderr
    row = back["site_id"].tolist().index(wrong) + 1
    assert f"baris {row})" in dk.stderr
