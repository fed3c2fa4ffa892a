"""The KPU workspace in Chromium (issue 10 "Done when"), offline.

An editor logs in, starts a draft, draws a polygon around a spot in Johar Baru with
the toolbar and the mouse, attaches it to the parks rule (R08) and submits; a
publisher logs in and publishes it under a decree effective from 15 October 2024;
the public map judges a point inside FORBIDDEN on 20 October and not on 10
October; the diff map shows the zone added and the audit CSV both actions.
Screenshots go to docs/screenshots/ when GEOZONES_SCREENSHOTS is set.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from geozones.rules.model import RULES_DIR
from tests.app.e2e.server import ROOT, streamlit_server
from tests.conftest import DEFAULT_RULES

pytestmark = pytest.mark.e2e
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
#: The page's map, not a stale zero-height frame left by the page before during a rerun.
MAP_SHOWN = MAP_FRAME + ":visible"
PARK = (-6.187064, 106.85493)  # lat, lon: a spot in Johar Baru no rule matched before
SHOTS = ROOT / "docs" / "screenshots"
ROAD = (-6.163501, 106.820072)  # lat, lon: on a candidate protocol road (R05-K, R15 ask for discretion)
LETTER = "123/PL.02.4-SD/3171/2024"


@pytest.fixture(scope="module")
def kpu_server(e2e_data_dir, tmp_path_factory):
    home = tmp_path_factory.mktemp("geozones-home")
    env = {**os.environ, "GEOZONES_HOME": str(home), "GEOZONES_DATA_DIR": str(e2e_data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("GEOZONES_DATABASE_URL", None)
    as_root = {**env, "GEOZONES_USER": "root", "GEOZONES_PASSWORD": "root-pass-1"}
    cli = [sys.executable, "-m", "geozones"]
    subprocess.run([*cli, "users", "add", "root", "--role", "admin"], input="root-pass-1\n", text=True, env=env,
                   check=True)
    for name, role in (("editor", "kpu_editor"), ("publisher", "kpu_publisher")):
        subprocess.run([*cli, "users", "add", name, "--role", role], input=f"{name}-pass-1\n", text=True,
                       env=as_root, check=True)
    for level in (RULES_DIR / "nasional-pilkada-2024.yaml", RULES_DIR / "dki-jakarta-pilkada-2024.yaml", DEFAULT_RULES):
        subprocess.run([*cli, "rules", "import", str(level), "--decree", "SK 135/2024", "--signed", "2024-09-20"],
                       env=as_root, check=True)
    with streamlit_server(home / "server.log", env=env) as url:
        yield url, home, env


def _offline(page) -> list[str]:
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    return blocked


def _login(page, name: str) -> None:
    page.get_by_role("link", name="Masuk").click()
    expect(page.get_by_label("Nama akun")).to_be_visible(timeout=60_000)
    page.get_by_label("Nama akun").fill(name)
    page.get_by_label("Kata sandi").fill(f"{name}-pass-1")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("Masuk sebagai").first).to_be_visible(timeout=30_000)


def _logout(page) -> None:
    page.get_by_role("link", name="Masuk").click()
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Keluar").click()
    expect(page.get_by_label("Nama akun")).to_be_visible(timeout=30_000)


def _shot(page, name: str) -> None:
    if os.environ.get("GEOZONES_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=False)


def _draw_polygon(page, ring) -> None:
    frame = page.frame_locator(MAP_FRAME).first
    toolbar = frame.locator("a.leaflet-draw-draw-polygon")
    expect(toolbar).to_be_visible(timeout=60_000)
    fr = page.locator(MAP_FRAME).first.element_handle().content_frame()
    fr.wait_for_function("() => typeof map_div !== 'undefined' && map_div._loaded", timeout=30_000)
    lat0, lon0 = PARK
    fr.evaluate(f"() => map_div.setView([{lat0}, {lon0}], 17, {{animate: false}})")
    page.wait_for_timeout(500)
    page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
    toolbar.click()
    expect(frame.locator(".leaflet-draw-tooltip")).to_be_visible()
    box = page.locator(MAP_FRAME).first.bounding_box()  # after the click: it may have scrolled the page
    pixels = []
    for lat, lon in ring:
        pt = fr.evaluate(f"() => {{ const p = map_div.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}")
        pixels.append((box["x"] + pt[0], box["y"] + pt[1]))
    for x, y in [*pixels, pixels[0]]:
        page.mouse.move(x, y, steps=4)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(250)


def _versions(env) -> str:
    out = subprocess.run([sys.executable, "-m", "geozones", "rules", "history", "dki-jakarta-pusat-pilkada-2024"],
                         env={**env, "GEOZONES_USER": "editor", "GEOZONES_PASSWORD": "editor-pass-1"}, text=True,
                         capture_output=True, check=True)
    return out.stdout


def _cli(env, user: str, *argv: str) -> str:
    out = subprocess.run([sys.executable, "-m", "geozones", *argv], text=True, capture_output=True,
                         env={**env, "GEOZONES_USER": user, "GEOZONES_PASSWORD": f"{user}-pass-1"})
    assert out.returncode == 0, out.stderr
    return out.stdout


def _verdict_at(page, day: str, point=None) -> str:
    page.get_by_role("link", name="Peta").click()
    date = page.get_by_role("textbox", name="Tanggal penilaian (WIB)")
    expect(date).to_be_visible(timeout=60_000)
    date.click()
    date.press("Control+a")
    page.keyboard.type(day)
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    coords = page.get_by_text("Atau masukkan koordinat")
    if not page.get_by_role("spinbutton", name="Lintang (lat)").is_visible():
        coords.click()
    lat, lon = point or PARK
    for name, value in (("Lintang (lat)", lat), ("Bujur (lon)", lon)):
        field = page.get_by_role("spinbutton", name=name)
        field.click()
        field.press("Control+a")
        page.keyboard.type(f"{value:.6f}")
    page.get_by_role("button", name="Periksa titik ini").click()
    expect(page.get_by_text(re.compile(r"Dinilai untuk: " + re.escape(day.replace("/", "-"))))).to_be_visible(
        timeout=60_000)
    page.wait_for_timeout(1000)
    return page.locator('[data-testid="stMain"]').inner_text()


def _grant_on_map(page) -> None:
    """The public map drawn with the grant in force (its circle; letter, window and conditions in its popup)."""
    fr, deadline = None, time.monotonic() + 120
    while fr is None and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        frames = [el.content_frame() for el in page.locator(MAP_FRAME).element_handles()]
        fr = next((f for f in frames if f and LETTER in f.content()), None)
    assert fr is not None, "no map shows the grant"
    fr.frame_element().scroll_into_view_if_needed()
    fr.wait_for_function("() => typeof map_div !== 'undefined' && map_div._loaded", timeout=30_000)
    lat, lon = ROAD
    opened = fr.evaluate(f"""() => {{ let n = 0; map_div.eachLayer(l => {{
        if (l instanceof L.Circle && l.getPopup() && l.getLatLng().distanceTo([{lat}, {lon}]) < 5) {{
            map_div.setView(l.getLatLng(), 17, {{animate: false}}); l.openPopup(); n += 1; }} }}); return n; }}""")
    assert opened == 1
    fr.wait_for_selector(".leaflet-popup-content", timeout=10_000)
    popup = fr.inner_text(".leaflet-popup-content")
    assert LETTER in popup and "maks. 2 baliho" in popup
    expect(page.locator(MAP_SHOWN).first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)  # let the canvas paint before the screenshot


def test_editor_draws_publisher_publishes_public_sees(page, kpu_server):
    url, _home, env = kpu_server
    blocked = _offline(page)
    msgs: list[str] = []
    page.on("console", lambda m: msgs.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: msgs.append(f"pageerror: {e}"))
    page.goto(url, wait_until="domcontentloaded")
    expect(page.get_by_role("link", name="Masuk")).to_be_visible(timeout=60_000)
    _login(page, "editor")
    page.get_by_role("link", name="KPU: draf").click()
    page.get_by_label("Alasan").first.fill("taman baru Johar Baru")
    page.get_by_role("button", name="Buat draf").click()
    expect(page.get_by_text("row 1")).to_be_visible(timeout=60_000)

    lat0, lon0 = PARK
    d = 0.0003
    _draw_polygon(page, [(lat0 + d, lon0 - d), (lat0 + d, lon0 + d), (lat0 - d, lon0 + d), (lat0 - d, lon0 - d)])
    expect(page.get_by_text("Zona baru dari peta: 1")).to_be_visible(timeout=30_000)
    page.get_by_label("Nama zona").fill("Taman Johar Baru (uji)")
    page.get_by_label("Alasan perubahan").first.fill("survei lapangan 12/10")
    _shot(page, "kpu-editor.png")
    page.get_by_role("button", name="Simpan zona").click()
    expect(page.get_by_text("row 2")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Tinjau & terbitkan").click()
    page.get_by_label("Alasan / komentar").fill("siap ditinjau")
    page.get_by_role("button", name="Ajukan untuk ditinjau").click()
    expect(page.get_by_text("status: in_review", exact=False)).to_be_visible(timeout=60_000)
    assert "2024.3\tin_review" in _versions(env)

    _logout(page)
    _login(page, "publisher")
    page.get_by_role("link", name="KPU: draf").click()
    expect(page.get_by_text("in_review", exact=False).first).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Tinjau & terbitkan").click()
    page.get_by_label("Nomor SK").fill("SK 200/2024")
    page.get_by_label("Tanggal tanda tangan").fill("14/10/2024")
    page.get_by_label("Berlaku sejak").fill("15/10/2024")
    page.get_by_label("Alasan", exact=True).last.fill("SK taman Johar Baru")
    page.get_by_role("button", name="Terbitkan", exact=True).click()
    expect(page.get_by_text("Diterbitkan")).to_be_visible(timeout=60_000)
    history = _versions(env)
    assert "2024.3\tpublished\tSK 200/2024\t2024-10-14\t15-10-2024 00:00 WIB" in history, history

    after = _verdict_at(page, "20/10/2024")
    assert "FORBIDDEN" in after or "Dilarang" in after
    assert "R08" in after
    before = _verdict_at(page, "10/10/2024")
    assert "FORBIDDEN" not in before and "v2024.2" in before  # the version in force then, without the park

    # a discretion grant on a candidate protocol road: ALLOWED inside its window only, citing the letter
    gid = _cli(env, "editor", "grants", "request", "--lon", str(ROAD[1]), "--lat", str(ROAD[0]), "--radius", "15 m",
               "--lifts", "R05-K,R15", "--from", "2024-10-10", "--to", "2024-11-01", "--addressee", "Satpol PP",
               "--reason", "permohonan paslon 2").strip().splitlines()[-1]
    _cli(env, "publisher", "grants", "decide", gid, "--grant", "--letter", LETTER, "--conditions",
         "maks. 2 baliho / at most 2 baliho", "--reason", "disetujui")
    road = _verdict_at(page, "20/10/2024", ROAD)
    assert "ALLOWED" in road and LETTER in road
    _grant_on_map(page)
    _shot(page, "kpu-grant-map.png")
    # folium's Popup needs jQuery, which the offline map never loads: one such line stopped the whole map
    assert not [m for m in msgs if m.startswith("pageerror")], msgs
    assert "NEEDS_DISCRETION" in _verdict_at(page, "05/11/2024", ROAD)

    page.get_by_role("link", name="KPU: riwayat & audit").click()
    expect(page.get_by_role("heading", name="Perbedaan", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(MAP_SHOWN).first).to_be_visible(timeout=60_000)
    # the previous page's map frame may linger for a moment: look at every map until the diff map is drawn
    html, deadline = "", time.monotonic() + 60
    # the page's default rule is R08 (parks, the DKI level's): the drawn park is a KPU overlay feature of its layer
    while "R08/kpu-1" not in html and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        frames = [el.content_frame() for el in page.locator(MAP_SHOWN).element_handles()]
        html = next((h for h in (f.content() for f in frames if f) if "R08/kpu-1" in h), html)
    assert "R08/kpu-1" in html and "#1a9850" in html  # the zone, added, in green
    diff_map = next(el for el in page.locator(MAP_SHOWN).element_handles()
                    if el.content_frame() and "R08/kpu-1" in el.content_frame().content())
    diff_map.evaluate("e => e.scrollIntoView({block: 'end'})")  # the exports section pushed it down
    page.wait_for_timeout(800)
    _shot(page, "kpu-diff-map.png")
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
    by_action = {r["action"]: r for r in rows}
    assert by_action["draft.add_zone"]["actor"] == "editor"
    assert by_action["draft.add_zone"]["reason"] == "survei lapangan 12/10"
    assert by_action["ruleset.publish"]["actor"] == "publisher"
    assert by_action["ruleset.publish"]["reason"] == "SK taman Johar Baru"
    # exports for publication: the published version's YAML (default format), its decree in the header
    page.get_by_role("button", name="Siapkan berkas").click()
    with page.expect_download() as dl:
        page.get_by_role("button", name=re.compile(r"^Unduh .*2024\.3\.yaml$")).click(timeout=60_000)
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    head = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert dl.value.suggested_filename == "dki-jakarta-pusat-pilkada-2024-2024.3.yaml"
    assert "SK 200/2024" in head and "2024.3" in head
    assert yaml.safe_load(text)["version"] == "2024.3"
    assert blocked == [], blocked


def test_editor_reshapes_a_stored_zone_with_the_edit_tool(page, kpu_server, tmp_path):
    """A park zone stored on a draft (through the CLI) is reshaped in the browser: the edit toolbar, a corner dragged
    with the mouse, leaflet-draw's Save, then the page's reason and "Simpan bentuk"; the store has the new outline
    and the audit trail the reason and changed area."""
    import json

    url, _home, env = kpu_server
    blocked = _offline(page)
    lat0, lon0, d = PARK[0], PARK[1] + 0.0016, 0.0003  # east of the first test's park, still in Johar Baru
    draft = _cli(env, "editor", "draft", "new", "dki-jakarta-pusat-pilkada-2024", "--reason",
                 "bentuk taman").strip().splitlines()[-1]
    park = tmp_path / "taman.geojson"
    park.write_text(json.dumps({"type": "Feature", "properties": {"name": "Taman Bentuk"}, "geometry": {
        "type": "Polygon", "coordinates": [[[lon0 - d, lat0 - d], [lon0 + d, lat0 - d], [lon0 + d, lat0 + d],
                                            [lon0 - d, lat0 + d], [lon0 - d, lat0 - d]]]}}), encoding="utf-8")
    out = _cli(env, "editor", "draft", "add-zone", draft, str(park), "--rule", "R08", "--reason", "survei")
    zid = out.strip().rsplit(": ", 1)[-1]
    try:
        page.goto(url, wait_until="domcontentloaded")
        expect(page.get_by_role("link", name="Masuk")).to_be_visible(timeout=60_000)
        _login(page, "editor")
        page.get_by_role("link", name="KPU: draf").click()
        expect(page.get_by_text("row 2")).to_be_visible(timeout=60_000)
        frame = page.frame_locator(MAP_FRAME).first
        edit = frame.locator("a.leaflet-draw-edit-edit")
        expect(edit).to_be_visible(timeout=60_000)
        fr = page.locator(MAP_FRAME).first.element_handle().content_frame()
        fr.wait_for_function("() => typeof map_div !== 'undefined' && map_div._loaded", timeout=30_000)
        fr.wait_for_function("() => typeof drawnItems !== 'undefined' && drawnItems.getLayers().some("
                             f"l => l.feature && l.feature.properties.zone_id === '{zid}')", timeout=30_000)
        fr.evaluate(f"() => map_div.setView([{lat0}, {lon0}], 18, {{animate: false}})")
        page.wait_for_timeout(500)
        page.locator(MAP_FRAME).first.scroll_into_view_if_needed()
        edit.click()
        expect(frame.locator(".leaflet-editing-icon").first).to_be_visible()
        box = page.locator(MAP_FRAME).first.bounding_box()
        pt = fr.evaluate(f"() => {{ const p = map_div.latLngToContainerPoint([{lat0 + d}, {lon0 + d}]);"
                         " return [p.x, p.y]; }")
        x, y = box["x"] + pt[0], box["y"] + pt[1]
        page.mouse.move(x, y, steps=3)
        page.mouse.down()
        page.mouse.move(x + 20, y - 20, steps=5)
        page.mouse.move(x + 40, y - 40, steps=5)
        page.mouse.up()
        frame.locator(".leaflet-draw-actions a", has_text="Save").first.click()
        expect(page.get_by_text("Bentuk zona diubah di peta")).to_be_visible(timeout=60_000)
        page.get_by_label("Alasan perubahan bentuk").fill("sudut timur laut digeser")
        _shot(page, "kpu-reshape.png")
        page.get_by_role("button", name="Simpan bentuk").click()
        expect(page.get_by_text("Bentuk disimpan", exact=False)).to_be_visible(timeout=60_000)
        expect(page.get_by_text("row 3")).to_be_visible(timeout=60_000)

        gj = tmp_path / "zones.geojson"
        _cli(env, "editor", "rules", "export", draft, "--format", "geojson", "--out", str(gj))
        feats = {f["properties"]["zone_id"]: f for f in json.loads(gj.read_text(encoding="utf-8"))["features"]}
        ring = feats[zid]["geometry"]["coordinates"][0]
        # 40 px at zoom 18 is about 0.000054 degrees; the other three corners did not move
        east, north = max(p[0] for p in ring), max(p[1] for p in ring)
        assert east == pytest.approx(lon0 + d + 40 * 360 / (256 * 2**18), abs=1.5e-5)
        assert north > lat0 + d + 3e-5
        assert [lon0 - d, lat0 - d] in [[round(a, 7), round(b, 7)] for a, b in ring] or any(
            abs(a - (lon0 - d)) < 1e-6 and abs(b - (lat0 - d)) < 1e-6 for a, b in ring)
        audit = list(csv.DictReader(io.StringIO(_cli(env, "publisher", "audit", "list", "--format", "csv"))))
        [ev] = [r for r in audit if r["action"] == "draft.reshape_zone" and zid in r["before"]
                and draft in r["entity_id"]]
        assert ev["actor"] == "editor" and ev["reason"] == "sudut timur laut digeser" and "changed_m2" in ev["after"]
        assert blocked == [], blocked
    finally:  # leave no open draft behind for the other tests of this server
        subprocess.run([sys.executable, "-m", "geozones", "draft", "withdraw", draft, "--reason", "uji selesai"],
                       env={**env, "GEOZONES_USER": "editor", "GEOZONES_PASSWORD": "editor-pass-1"},
                       capture_output=True, text=True)
