"""`geozones data fetch-osm` against a loopback Overpass stand-in whose reply is built here."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse

import geopandas as gpd
import pytest

from geozones.cli import main
from geozones.sources.osm import canonical_road_name, fetch_osm


def _elements():
    """Nodes and ways inside Jakarta Pusat (plus one cafe and one school outside it)."""
    els, nid = [], [1000]

    def node(lon, lat, **tags):
        nid[0] += 1
        el = {"type": "node", "id": nid[0], "lon": lon, "lat": lat}
        if tags:
            el["tags"] = tags
        els.append(el)
        return nid[0]

    def way(wid, coords, closed, **tags):
        ids = [node(x, y) for x, y in coords]
        if closed:
            ids.append(ids[0])
        els.append({"type": "way", "id": wid, "nodes": ids, "tags": tags})

    def square(x, y, d=0.0004):
        return [(x, y), (x + d, y), (x + d, y - d), (x, y - d)]

    node(106.8313, -6.1702, amenity="place_of_worship", religion="muslim", name="Masjid Istiqlal")
    way(10, square(106.8330, -6.1690), True, amenity="place_of_worship", building="church", name="Gereja Katedral")
    node(106.8465, -6.1970, amenity="hospital", name="RSCM")
    node(106.8440, -6.1800, amenity="clinic", name="Puskesmas Kecamatan Senen")
    way(11, square(106.8400, -6.1850), True, amenity="school", name="SDN Kenari 01")
    node(106.8480, -6.1950, amenity="university", name="Universitas Indonesia Salemba")
    node(106.8280, -6.1870, amenity="police", name="Polsek Menteng")
    node(106.8270, -6.1800, office="government", name="Kementerian X")
    node(106.8320, -6.1880, amenity="courthouse", name="Pengadilan Negeri")
    way(12, square(106.8350, -6.1750, 0.001), True, landuse="military", name="Markas")
    node(106.8300, -6.1950, amenity="embassy", name="Kedutaan Y")
    way(13, square(106.8314, -6.1985, 0.002), True, leisure="park", name="Taman Suropati")
    node(106.8230, -6.1900, highway="bus_stop", name="Halte Sarinah")
    node(106.8300, -6.1770, railway="station", name="Stasiun Gambir")
    way(14, [(106.8225, -6.1850), (106.8228, -6.1900), (106.8230, -6.1940)], False,
        highway="primary", name="Jalan M.H. Thamrin", oneway="yes")
    way(15, [(106.8150, -6.1950), (106.8180, -6.1990)], False, highway="motorway", name="Jalan Tol Dalam Kota")
    way(16, [(106.8430, -6.1800), (106.8440, -6.1900)], False, highway="secondary", name="Jalan Kramat Raya")
    way(17, [(106.8380, -6.1650), (106.8390, -6.1700)], False, highway="secondary", name="Jalan Samanhudi")
    node(106.8250, -6.1850, amenity="cafe", name="Kopi")  # not a restricted place
    node(106.8000, -6.2600, amenity="school", name="Sekolah di Jakarta Selatan")  # outside the kota
    return els


class _Overpass:
    def __init__(self, elements):
        self.queries: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                outer.queries.append(urllib.parse.parse_qs(body).get("data", [""])[0])
                payload = json.dumps({"version": 0.6, "elements": elements}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def overpass():
    srv = _Overpass(_elements())
    yield srv
    srv.close()


def test_fetch_osm_classifies_into_rule_set_layers(overpass, data_dir, capsys):
    code = main(["data", "fetch-osm", "--data-dir", str(data_dir), "--overpass-url", overpass.url,
                 "--timeout", "20"])
    out = capsys.readouterr().out
    assert code == 0 and "OpenStreetMap contributors" in out
    assert len(overpass.queries) == 1 and "place_of_worship" in overpass.queries[0]

    w = gpd.read_file(data_dir / "jakpus_worship.geojson").set_index("name")
    assert set(w.index) == {"Masjid Istiqlal", "Gereja Katedral"}
    assert w.loc["Gereja Katedral"].geometry.geom_type == "Polygon"  # parcel kept as parcel
    assert w.loc["Masjid Istiqlal"].geometry.geom_type == "Point"
    assert w.loc["Gereja Katedral", "religion_inferred"] == "christian"
    assert w.loc["Gereja Katedral", "religion_method"] == "name_keyword"
    assert w.loc["Masjid Istiqlal", "religion_method"] == "osm_tag"
    assert (w.loc["Gereja Katedral", "osm_type"], w.loc["Gereja Katedral", "osm_id"]) == ("way", 10)
    assert w["fetched_at"].notna().all() and set(w["license"]) == {"ODbL-1.0 (c) OpenStreetMap contributors"}
    assert w.loc["Masjid Istiqlal", "kode_kemendagri"] == "31.71.02.1001"  # Pasar Baru

    h = gpd.read_file(data_dir / "jakpus_health.geojson").set_index("name")["category_detail"].to_dict()
    assert h == {"RSCM": "hospital", "Puskesmas Kecamatan Senen": "puskesmas"}
    e = gpd.read_file(data_dir / "jakpus_schools.geojson").set_index("name")["category_detail"].to_dict()
    assert e == {"SDN Kenari 01": "school", "Universitas Indonesia Salemba": "higher_education"}
    g = gpd.read_file(data_dir / "jakpus_government.geojson").set_index("name")["category_detail"].to_dict()
    assert g == {"Polsek Menteng": "police", "Kementerian X": "government_office",
                 "Pengadilan Negeri": "government_office", "Markas": "military", "Kedutaan Y": "embassy"}
    parks = gpd.read_file(data_dir / "jakpus_parks.geojson")
    assert list(parks["name"]) == ["Taman Suropati"] and parks.geom_type.iloc[0] == "Polygon"
    pf = gpd.read_file(data_dir / "jakpus_public_facilities.geojson").set_index("name")["category_detail"].to_dict()
    assert pf == {"Halte Sarinah": "bus_stop", "Stasiun Gambir": "station"}

    roads = gpd.read_file(data_dir / "jakpus_roads_major.geojson").set_index("name")
    assert set(roads.index) == {"MH Thamrin", "Tol Dalam Kota", "Kramat Raya", "Samanhudi"}
    assert bool(roads.loc["MH Thamrin", "white_area_satpolpp"]) and bool(roads.loc["MH Thamrin", "protocol_candidate"])
    assert bool(roads.loc["Tol Dalam Kota", "toll_or_motorway"])
    assert bool(roads.loc["Kramat Raya", "protocol_candidate"])
    assert not bool(roads.loc["Kramat Raya", "white_area_satpolpp"])
    assert not roads.loc["Samanhudi", ["white_area_satpolpp", "protocol_candidate", "toll_or_motorway"]].any()


def test_rule_set_filters_find_the_fetched_features(overpass, data_dir):
    """The values the rule set filters on (R04 government, R05/R11 roads) are what classification wrote."""
    from geozones.rules.model import load_ruleset
    from tests.conftest import DEFAULT_RULES

    fetch_osm(data_dir=data_dir, overpass_url=overpass.url, timeout=20)
    rules = load_ruleset(DEFAULT_RULES)  # the stack: R04 is national, R05/R06/R11 DKI
    files = {"government": "jakpus_government.geojson", "roads": "jakpus_roads_major.geojson"}
    for rid in ("R04", "R05", "R06", "R11"):
        rule = rules.rule(rid)
        gdf = gpd.read_file(data_dir / files[rule.layer])
        mask = True
        for col, values in rule.where.items():
            mask = mask & gdf[col].isin(values)
        assert mask.any(), rid


def test_fetch_osm_keeps_previous_and_needs_replace(overpass, data_dir):
    fetch_osm(data_dir=data_dir, overpass_url=overpass.url, only=["worship"], timeout=20)
    target = data_dir / "jakpus_worship.geojson"
    target.write_text(target.read_text().replace("Istiqlal", "Istiqlal (edited)"))
    from geozones.core.errors import InputError

    with pytest.raises(InputError, match="--replace"):
        fetch_osm(data_dir=data_dir, overpass_url=overpass.url, only=["worship"], timeout=20)
    fetch_osm(data_dir=data_dir, overpass_url=overpass.url, only=["worship"], timeout=20, replace=True)
    assert len(list((data_dir / ".previous").iterdir())) == 1


def test_unreachable_overpass_explains_import(data_dir, closed_port_url, capsys):
    code = main(["data", "fetch-osm", "--data-dir", str(data_dir), "--overpass-url", closed_port_url + "/api",
                 "--timeout", "5"])
    assert code == 2 and "geozones data import" in capsys.readouterr().err


@pytest.mark.parametrize(("osm", "expected"), [
    ("Jalan Jenderal Sudirman", "Sudirman"), ("Jalan M.H. Thamrin", "MH Thamrin"),
    ("Jalan Mohammad Husni Thamrin", "MH Thamrin"), ("Jalan Jenderal Gatot Subroto", "Gatot Soebroto"),
    ("Jalan Ir. H. Juanda", "Ir H Juanda"), ("Jalan Medan Merdeka Barat", "Medan Merdeka Barat"),
    ("Jalan Kebon Sirih", "Kebon Sirih"), ("Jalan Cikini Raya", "Cikini Raya")])
def test_road_names_match_rule_set_spelling(osm, expected):
    assert canonical_road_name(osm) == expected
