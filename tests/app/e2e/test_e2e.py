"""End to end in Debian chromium against `streamlit run`, with the internet blocked.

Each test aborts every non-loopback request in the browser context and asserts
none was attempted, so the map is proven to render offline.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.app.e2e.conftest import XSS, screenshot_dir

pytestmark = pytest.mark.e2e
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
ISTIQLAL = (-6.17025, 106.83109)


def _open(page, path=""):
    page.goto(f"{page.base}/{path}", wait_until="domcontentloaded")
    frame = page.frame_locator(MAP_FRAME).first
    return frame


COUNT_FEATURES = "() => { let n = 0; map_div.eachLayer(l => { if (l.feature) n++; }); return n; }"


def _wait_map(page, frame, min_features=1):
    """Leaflet loaded (from /app/static), the map mounted and data layers drawn (canvas renderer)."""
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
    expect(frame.locator("canvas").first).to_be_visible(timeout=60_000)
    fr = _map_frame(page)
    fr.wait_for_function(f"() => typeof map_div !== 'undefined' && ({COUNT_FEATURES})() >= {min_features}",
                         timeout=60_000)
    return fr.evaluate(COUNT_FEATURES)


def _map_frame(page):
    handle = page.locator(MAP_FRAME).first.element_handle(timeout=60_000)
    return handle.content_frame()


def _click_latlon(page, lat, lon, zoom=17):
    """Centre the Leaflet map on a spot, then click it with the real mouse."""
    fr = _map_frame(page)
    fr.wait_for_function("() => typeof map_div !== 'undefined' && map_div._loaded", timeout=30_000)
    fr.evaluate(f"() => {{ map_div.setView([{lat}, {lon}], {zoom}, {{animate: false}}); return 1; }}")
    page.wait_for_timeout(300)
    pt = fr.evaluate(f"() => {{ const p = map_div.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}")
    box = page.locator(MAP_FRAME).first.bounding_box()
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])


def test_map_renders_offline(offline_page):
    page = offline_page
    frame = _open(page)
    n = _wait_map(page, frame, min_features=45)
    assert n > 44  # the 44 kelurahan and the restricted places are drawn
    expect(frame.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap contributors")
    expect(frame.locator(".geozones-legend")).to_contain_text("Dilarang")
    expect(page.get_by_text("Klik sebuah titik di peta.")).to_be_visible()
    page.screenshot(path=str(screenshot_dir() / "peta.png"))
    assert page.blocked == [], page.blocked


def test_click_istiqlal_shows_forbidden_with_reason(offline_page):
    page = offline_page
    frame = _open(page)
    _wait_map(page, frame)
    _click_latlon(page, *ISTIQLAL)
    panel = page.locator('[data-testid="stAlertContentError"]').filter(has_text="FORBIDDEN")
    expect(panel).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"R01 Tempat ibadah: di dalam 'Masjid Istiqlal'"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Kel\. Pasar Baru \(31\.71\.02\.1001"))).to_be_visible()
    # The map keeps its zoomed view while the panel updates (no re-mount).
    fr = _map_frame(page)
    assert fr.evaluate("() => map_div.getZoom()") == 17
    assert fr.evaluate(COUNT_FEATURES) > 44
    page.screenshot(path=str(screenshot_dir() / "peta-istiqlal.png"))
    assert page.blocked == [], page.blocked


def test_advisory_radii_load_on_request_without_reloading_the_map(offline_page):
    page = offline_page
    frame = _open(page)
    n0 = _wait_map(page, frame, min_features=45)
    fr = _map_frame(page)
    fr.evaluate("() => { map_div.setView([-6.17025, 106.83109], 16, {animate: false}); return 1; }")
    page.get_by_text("Tampilkan radius anjuran").click()
    fr.wait_for_function(f"() => ({COUNT_FEATURES})() > {n0} + 400", timeout=30_000)
    assert fr.evaluate("() => map_div.getZoom()") == 16  # same map, same view: no re-mount
    assert page.blocked == [], page.blocked


def test_kelurahan_named_like_html_shows_as_text(offline_page):
    page = offline_page
    frame = _open(page)
    _wait_map(page, frame)
    fr = _map_frame(page)
    texts = fr.evaluate("""() => {
        const out = [];
        map_div.eachLayer(g => {
            if (!(g.getTooltip && g.getTooltip() && g.getLayers)) return;
            g.getLayers().forEach(sub => {
                if (!sub.getBounds || !sub.getBounds().isValid()) return;
                try {
                    // what a real hover does: the event propagates from the feature to its group
                    sub.fire("mouseover", {latlng: sub.getBounds().getCenter()}, true);
                    const el = g.getTooltip().getElement();
                    if (el) out.push(el.innerText);
                    g.closeTooltip();
                } catch (e) { out.push("error: " + e); }
            });
        });
        return out;
    }""")
    assert any(XSS in t for t in texts), texts[:5]
    assert fr.locator('img[src="x"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert page.blocked == [], page.blocked


def test_csv_upload_gives_table_and_download(offline_page, tmp_path):
    page = offline_page
    page.goto(f"{page.base}/cek-daftar", wait_until="domcontentloaded")
    csv = tmp_path / "lokasi.csv"
    csv.write_text("id,lon,lat,apk_type,paslon,installed_at\n"
                   "A1,106.83109,-6.17025,spanduk,1,2024-10-01T08:00\n"
                   f"{XSS},106.8550,-6.1870,spanduk,2,2024-10-01T08:00\n"
                   "A3,106.8290,-6.1800,baliho,1,2024-11-25T09:00\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    expect(page.get_by_text("3 lokasi diperiksa", exact=False)).to_be_visible(timeout=60_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_be_visible()
    frame = page.frame_locator(MAP_FRAME).first
    _wait_map(page, frame)
    # The payload site id appears as text in the marker tooltip, never as an element.
    fr = _map_frame(page)
    tips = fr.evaluate("""() => {
        const out = [];
        map_div.eachLayer(l => { if (l.getTooltip && l.getTooltip() && l.getLatLng) {
            l.openTooltip(); const el = l.getTooltip().getElement(); if (el) out.push(el.innerText); } });
        return out;
    }""")
    assert any(XSS in t for t in tips), tips
    assert fr.locator('img[src="x"]').count() == 0 and page.locator('img[src="x"]').count() == 0
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="CSV", exact=True).click()
    body = open(dl.value.path(), encoding="utf-8").read()
    # plain RFC 4180 (issue 8.12): header first; the attribution travels in the CSVW metadata
    # (geozones.io.exports.csv_export(...).metadata), offered beside the CSV
    assert body.startswith("site_id,") and "\n#" not in body
    assert "FORBIDDEN" in body and "OUT_OF_WINDOW" in body and "Masjid Istiqlal" in body
    page.screenshot(path=str(screenshot_dir() / "cek-daftar.png"), full_page=True)
    assert page.dialogs == []
    assert page.blocked == [], page.blocked


def test_where_and_rules_pages_render_offline(offline_page):
    page = offline_page
    frame = _open(page, "di-mana-boleh")
    _wait_map(page, frame)
    expect(page.get_by_text("Bagian luas per kecamatan (%)")).to_be_visible(timeout=60_000)
    expect(frame.locator(".geozones-legend")).to_contain_text("Perlu izin pemilik")
    page.screenshot(path=str(screenshot_dir() / "di-mana-boleh.png"))
    page.goto(f"{page.base}/aturan", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Aturan yang berlaku")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Tidak tersedia:", exact=False)).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"] canvas').first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)  # let the grids paint before the screenshot
    page.screenshot(path=str(screenshot_dir() / "aturan.png"))
    assert page.blocked == [], page.blocked


def test_language_toggle_in_browser(offline_page):
    page = offline_page
    frame = _open(page)
    _wait_map(page, frame)
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="Map: check a spot")).to_be_visible(timeout=30_000)
    _wait_map(page, page.frame_locator(MAP_FRAME).first)
    expect(page.frame_locator(MAP_FRAME).first.locator(".geozones-legend")).to_contain_text("Forbidden")
    assert page.blocked == [], page.blocked
