"""The report form's "use my phone's location" button in Chromium, with a granted and a refused permission."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.app.e2e.conftest import screenshot_dir

pytestmark = pytest.mark.e2e

# In front of Masjid Istiqlal (Pasar Baru), as the Bawaslu flow's photo.
LAT, LON = -6.170250, 106.831090


def test_the_phones_position_becomes_the_report_place(offline_page):
    page = offline_page
    page.context.grant_permissions(["geolocation"], origin=page.base)
    page.context.set_geolocation({"latitude": LAT, "longitude": LON, "accuracy": 12})
    page.goto(f"{page.base}/lapor", wait_until="domcontentloaded")
    page.get_by_role("button", name="Pakai lokasi ponsel saya").click(timeout=60_000)
    expect(page.get_by_label("Bujur (lon)")).to_have_value(f"{LON:.6f}", timeout=30_000)
    expect(page.get_by_label("Lintang (lat)")).to_have_value(f"{LAT:.6f}")
    expect(page.get_by_text("ketelitian ± 12 m", exact=False)).to_be_visible()
    # the map is centred on the pin, with the kelurahan outlines around it
    frame = page.locator('iframe[title="streamlit_folium.st_folium"]').first.element_handle(timeout=60_000)
    fr = frame.content_frame()
    fr.wait_for_function("() => typeof map_div !== 'undefined' && map_div._loaded", timeout=60_000)
    centre = fr.wait_for_function(
        f"() => {{ const c = map_div.getCenter(); return Math.abs(c.lat - ({LAT})) < 1e-4"
        f" && Math.abs(c.lng - {LON}) < 1e-4 && map_div.getZoom() === 16; }}", timeout=60_000)
    assert centre
    page.wait_for_timeout(1000)  # let the outlines paint before the screenshot
    page.screenshot(path=str(screenshot_dir() / "lapor-lokasi-ponsel.png"))
    assert page.blocked == [] and page.dialogs == []


def test_a_refused_permission_is_said_and_the_place_stays_empty(offline_page):
    page = offline_page
    page.context.clear_permissions()
    page.goto(f"{page.base}/lapor", wait_until="domcontentloaded")
    page.get_by_role("button", name="Pakai lokasi ponsel saya").click(timeout=60_000)
    expect(page.get_by_text("Izin lokasi ditolak", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_label("Bujur (lon)")).to_have_value("")
    assert page.blocked == []
