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


JOHAR_BARU = (-6.186935, 106.854146)


def _judged_for(page, text):
    expect(page.get_by_text(re.compile(r"Dinilai untuk: " + re.escape(text)))).to_be_visible(timeout=30_000)


def _type_date(page, text, enter=True):
    field = page.get_by_role("textbox", name="Tanggal penilaian (WIB)")
    field.click()
    field.press("Control+a")
    page.keyboard.type(text)
    if enter:
        page.keyboard.press("Enter")


def test_typed_date_is_the_date_the_next_map_click_is_judged_for(offline_page):
    page = offline_page
    frame = _open(page)
    _wait_map(page, frame)
    _type_date(page, "15/10/2024")
    _click_latlon(page, *JOHAR_BARU)  # straight after Enter: no click elsewhere first
    _judged_for(page, "15-10-2024")
    # Typed without Enter, then a click into the map (an iframe): still the date shown.
    _type_date(page, "16/10/2024", enter=False)
    _click_latlon(page, *ISTIQLAL)
    _judged_for(page, "16-10-2024")
    expect(page.get_by_role("textbox", name="Tanggal penilaian (WIB)")).to_have_value("16/10/2024")
    assert page.blocked == [], page.blocked


def test_default_date_is_inside_the_campaign_and_after_the_election_is_said_plainly(offline_page):
    page = offline_page
    frame = _open(page)
    _wait_map(page, frame)
    # Today (2026) is after the 2024 election: the default lies in the campaign and says so.
    expect(page.get_by_text("Tanggal bawaan di dalam masa kampanye", exact=False)).to_be_visible()
    _click_latlon(page, *JOHAR_BARU)
    _judged_for(page, "09-10-2024 12:00 WIB")
    expect(page.get_by_text(re.compile("R18"))).to_have_count(0)  # judged in the campaign, not the quiet period
    _type_date(page, "01/12/2026")
    expect(page.get_by_text("Tanggal ini setelah hari pemungutan suara", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Putusan mesin aturan untuk tanggal ini")).to_be_visible()
    expect(page.get_by_text(re.compile("R18 Masa tenang"))).to_be_hidden()  # folded away, not the headline
    page.screenshot(path=str(screenshot_dir() / "peta-setelah-pemilihan.png"))
    assert page.blocked == [], page.blocked


def test_language_is_kept_in_the_url(offline_page):
    page = offline_page
    frame = _open(page, "cek-daftar")
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="Check a list of APK sites")).to_be_visible(timeout=30_000)
    page.wait_for_url(re.compile(r"/cek-daftar\?lang=en$"), timeout=30_000)
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Check a list of APK sites")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", name="Active rule set")).to_be_visible(timeout=60_000)
    page.wait_for_url(re.compile(r"/aturan\?lang=en$"), timeout=30_000)
    shared = page.context.new_page()
    shared.goto(f"{page.base}/?lang=en", wait_until="domcontentloaded")
    expect(shared.get_by_role("heading", name="Map: check a spot")).to_be_visible(timeout=60_000)
    del frame
    assert page.blocked == [], page.blocked


def test_list_chips_table_and_csv_match_the_cli(offline_page, tmp_path, e2e_data_dir):
    import csv as csvmod
    import io
    import os
    import subprocess
    import sys

    from tests.app.e2e.conftest import ROOT

    page = offline_page
    page.goto(f"{page.base}/cek-daftar?lang=en", wait_until="domcontentloaded")
    src = tmp_path / "lokasi.csv"
    src.write_text("id,lon,lat,apk_type,paslon,installed_at\n"
                   "A1,106.83109,-6.17025,spanduk,1,2024-10-01T08:00\n"
                   "A2,106.8550,-6.1870,baliho,2,2024-10-01T08:00\n"
                   "A3,106.8290,-6.1800,,1,2024-10-02T09:00\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(src))
    expect(page.get_by_text("3 sites checked", exact=False)).to_be_visible(timeout=60_000)
    # three rows: the table is as tall as its rows, with no empty rows under them
    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_be_visible()
    assert grid.bounding_box()["height"] < 35 * 6, grid.bounding_box()
    # a chosen chip is named in English, and stays English-named when chosen before the switch
    page.locator('[data-testid="stMultiSelect"]').nth(3).click()
    page.get_by_role("option", name="Spanduk (banner)").click()
    page.keyboard.press("Escape")
    expect(page.get_by_text("Showing 1 of 3 sites.")).to_be_visible(timeout=30_000)
    page.get_by_text("Bahasa Indonesia", exact=True).click()
    expect(page.get_by_text("Ditampilkan 1 dari 3 lokasi.")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stMultiSelect"]').nth(3)).to_contain_text("Spanduk")
    page.get_by_text("English", exact=True).click()
    expect(page.locator('[data-testid="stMultiSelect"]').nth(3)).to_contain_text("Spanduk (banner)",
                                                                                 timeout=30_000)
    page.locator('[data-testid="stMultiSelect"]').nth(3).get_by_role("button").first.click()  # clear the chip
    expect(page.get_by_text("Showing 3 of 3 sites.")).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="CSV", exact=True).click()
    app_csv = open(dl.value.path(), encoding="utf-8-sig").read()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GEOZONES_DATA_DIR": str(e2e_data_dir)}
    env.pop("GEOZONES_RULES", None)
    cli = subprocess.run([sys.executable, "-c", "import sys; from geozones.cli import main; sys.exit(main())",
                          "check", str(src), "--lang", "en", "--reasons", "full"], env=env, capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert cli.returncode == 0, cli.stderr

    def rows(text):
        body = [line for line in text.splitlines() if not line.startswith("#")]
        return list(csvmod.DictReader(io.StringIO("\n".join(body))))

    a, c = rows(app_csv), rows(cli.stdout)
    assert list(a[0]) == list(c[0])  # the same columns, in the same order
    assert [(r["site_id"], r["verdict"], r["reasons"]) for r in a] == \
        [(r["site_id"], r["verdict"], r["reasons"]) for r in c]
    assert page.blocked == [], page.blocked


def test_a_link_to_peta_opens_the_map_with_its_query(offline_page):
    """The map is served at "/"; /peta (in shared links) lands there, keeping ?lang, with no "Page not found"."""
    page = offline_page
    page.goto(f"{page.base}/peta?lang=en", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Map: check a spot")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1000)  # a "Page not found" dialog would open after the first run
    assert page.get_by_text("Page not found").count() == 0
    assert "lang=en" in page.url
    assert page.blocked == []
