"""The drawing widget: offline leaflet-draw, stored zones editable, a polygon drawn with the mouse comes back.

The browser test runs a minimal Streamlit script (written to a temp folder beside a
link to ``static/``) and draws with the toolbar and the real mouse, never by
injecting component state.
"""

from __future__ import annotations

import json
import textwrap

import folium
import pytest
from playwright.sync_api import expect

from geozones.app.widgets.draw import add_draw_control, split_drawings, zone_features
from tests.app.e2e.server import ROOT, app_env, streamlit_server

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
STORED = {"zone_id": "Z-1", "name": "Taman <script>alert(1)</script>",
          "geometry": {"type": "Polygon", "coordinates": [[[106.8500, -6.1800], [106.8510, -6.1800],
                                                           [106.8510, -6.1810], [106.8500, -6.1810],
                                                           [106.8500, -6.1800]]]}}
CENTER = (-6.1830, 106.8560)  # Johar Baru

SCRIPT = textwrap.dedent(f"""
    import json
    import folium
    import streamlit as st
    from geozones.app.widgets.draw import draw_map, zone_features

    stored = zone_features([{STORED!r}])
    m = folium.Map(location={list(CENTER)!r}, zoom_start=16, tiles=None)
    features = draw_map(m, key="draw", features=stored, height=500)
    st.code(json.dumps({{"features": features}}), language="json")
""")


def test_map_html_uses_local_assets_and_escapes_stored_zones():
    m = folium.Map(location=list(CENTER), zoom_start=16, tiles=None)
    add_draw_control(m, zone_features([STORED]))
    html = m.get_root().render()
    assert "/app/static/leaflet-draw/leaflet.draw.js" in html
    assert "/app/static/leaflet-draw/leaflet.draw.css" in html
    assert "cdnjs" not in html and "cdn.jsdelivr" not in html
    assert "<script>alert(1)" not in html and "\\u003cscript\\u003e" in html
    assert "L.Control.Draw" in html


def test_split_drawings_new_changed_deleted():
    stored = zone_features([STORED, {**STORED, "zone_id": "Z-2"}])
    moved = json.loads(json.dumps(stored[0]))
    moved["geometry"]["coordinates"][0][1][0] = 106.8520
    new = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [106.85, -6.18]}}
    changes = split_drawings([moved, new], stored)
    assert list(changes.changed) == ["Z-1"] and changes.new == [new] and changes.deleted == ["Z-2"]
    assert not split_drawings(stored, stored)


@pytest.fixture
def draw_server(tmp_path):
    (tmp_path / "static").symlink_to(ROOT / "static")
    script = tmp_path / "draw_app.py"
    script.write_text(SCRIPT, encoding="utf-8")
    with streamlit_server(tmp_path / "server.log", env=app_env(), script=script, cwd=tmp_path,
                          options=("--server.enableStaticServing", "true")) as url:
        yield url


def _returned(page) -> list[dict]:
    text = page.locator('[data-testid="stCode"] code').first.inner_text()
    return json.loads(text)["features"]


@pytest.mark.e2e
def test_draw_polygon_with_the_toolbar_and_the_mouse(page, draw_server):
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    page.goto(draw_server, wait_until="domcontentloaded")
    frame = page.frame_locator(MAP_FRAME).first
    toolbar = frame.locator("a.leaflet-draw-draw-polygon")
    expect(toolbar).to_be_visible(timeout=60_000)
    # the stored zone is loaded, with its properties, before anything is drawn
    expect(page.locator('[data-testid="stCode"]')).to_contain_text('"Z-1"', timeout=30_000)
    assert [f["properties"]["zone_id"] for f in _returned(page)] == ["Z-1"]

    fr = page.locator(MAP_FRAME).first.element_handle().content_frame()
    fr.wait_for_function("() => typeof map_div !== 'undefined' && map_div._loaded", timeout=30_000)
    fr.wait_for_function("() => typeof drawnItems !== 'undefined' && drawnItems.getLayers().length === 1")
    # stored zones are editable: the edit toolbar is enabled
    expect(frame.locator("a.leaflet-draw-edit-edit")).not_to_have_class("leaflet-disabled")
    # the name stays text: no script ran from the stored zone's name
    assert fr.evaluate("() => drawnItems.getLayers()[0].feature.properties.name") == STORED["name"]

    lat0, lon0 = CENTER
    ring = [(lat0 + 0.0008, lon0 - 0.0010), (lat0 + 0.0008, lon0 + 0.0010), (lat0 - 0.0008, lon0 + 0.0010),
            (lat0 - 0.0008, lon0 - 0.0010)]
    box = page.locator(MAP_FRAME).first.bounding_box()
    toolbar.click()
    expect(frame.locator(".leaflet-draw-tooltip")).to_be_visible()
    pixels = []
    for lat, lon in ring:
        pt = fr.evaluate(f"() => {{ const p = map_div.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}")
        pixels.append((box["x"] + pt[0], box["y"] + pt[1]))
    for x, y in [*pixels, pixels[0]]:  # clicking the first vertex again closes the polygon
        page.mouse.move(x, y, steps=4)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(250)

    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=\"stCode\"] code');"
        " return c && JSON.parse(c.innerText).features.length === 2; }", timeout=30_000)
    features = _returned(page)
    print(json.dumps(features))
    [stored] = [f for f in features if f["properties"].get("zone_id") == "Z-1"]
    [drawn] = [f for f in features if f is not stored]
    assert stored["properties"]["name"] == STORED["name"]
    assert drawn["geometry"]["type"] == "Polygon" and drawn["properties"] == {}
    coords = drawn["geometry"]["coordinates"][0]
    assert len(coords) == 5 and coords[0] == coords[-1]
    # one screen pixel at zoom 16 is about 2.4 m, 2.2e-5 degrees
    for (lon, lat), (elat, elon) in zip(coords[:4], ring, strict=True):
        assert lon == pytest.approx(elon, abs=3e-5) and lat == pytest.approx(elat, abs=3e-5)
    changes = split_drawings(features, zone_features([STORED]))
    assert len(changes.new) == 1 and not changes.changed and not changes.deleted

    # edit the stored zone: drag its south-east corner 40 px east with the mouse, then Save
    frame.locator("a.leaflet-draw-edit-edit").click()
    expect(frame.locator(".leaflet-editing-icon").first).to_be_visible()
    pt = fr.evaluate("() => { const p = map_div.latLngToContainerPoint([-6.1810, 106.8510]); return [p.x, p.y]; }")
    x, y = box["x"] + pt[0], box["y"] + pt[1]
    page.mouse.move(x, y, steps=3)
    page.mouse.down()
    page.mouse.move(x + 20, y, steps=5)
    page.mouse.move(x + 40, y, steps=5)
    page.mouse.up()
    frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=\"stCode\"] code'); if (!c) return false;"
        " const f = JSON.parse(c.innerText).features.find(f => f.properties.zone_id === 'Z-1');"
        " return f && f.geometry.coordinates[0].some(p => p[0] > 106.8512); }", timeout=30_000)
    features = _returned(page)
    changes = split_drawings(features, zone_features([STORED]))
    assert list(changes.changed) == ["Z-1"] and len(changes.new) == 1 and not changes.deleted
    moved = changes.changed["Z-1"]
    assert moved["properties"]["name"] == STORED["name"]
    east = max(p[0] for p in moved["geometry"]["coordinates"][0])
    # 40 px at zoom 16 is about 0.00021 degrees of longitude
    assert east == pytest.approx(106.8510 + 40 * 360 / (256 * 2**16), abs=4e-5)
    assert blocked == [], blocked
