"""Bawaslu in Chromium (offline): the Istiqlal photo → Pasar Baru, FORBIDDEN, R01 → confirm → recommendation →
KPU order with a 24 h deadline → overdue on the dashboard → evidence bundle whose manifest verifies.
A public user sends an informasi awal without logging in and sees no report or case.

The server's clock is fixed through ``GEOZONES_NOW=@file`` and moved by rewriting the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from playwright.sync_api import expect

from tests.app.e2e.conftest import screenshot_dir
from tests.app.e2e.server import ROOT, streamlit_server
from tests.io.photo_builders import make_photo

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bawaslu_server(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("bawaslu-home")
    clock = home / "now.txt"
    clock.write_text("2024-10-11T09:00+07:00\n", encoding="utf-8")
    from geozones.io.sealing import new_key

    env = {**os.environ, "GEOZONES_HOME": str(home), "GEOZONES_DATA_DIR": str(shared_data),
           "PYTHONPATH": str(ROOT), "GEOZONES_NOW": f"@{clock}", "GEOZONES_SECRET_KEY": new_key()}
    env.pop("GEOZONES_DATABASE_URL", None)
    cli = [sys.executable, "-m", "geozones", "users", "add"]
    subprocess.run([*cli, "root", "--role", "admin"], input="root-pass-1\n", text=True, env=env, check=True)
    subprocess.run([*cli, "siti", "--role", "bawaslu"], input="siti-pass-12\n", text=True, check=True,
                   env={**env, "GEOZONES_USER": "root", "GEOZONES_PASSWORD": "root-pass-1"})
    with streamlit_server(home / "server.log", env=env) as url:
        yield url, clock, home


def _offline(page):
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    return blocked


def _nav(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()


def test_bawaslu_flow_in_chromium(page, bawaslu_server, tmp_path):
    url, clock, _ = bawaslu_server
    blocked = _offline(page)
    page.goto(f"{url}/masuk", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible(timeout=60_000)
    page.get_by_label("Nama akun").fill("siti")
    page.get_by_label("Kata sandi").fill("siti-pass-12")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("Masuk sebagai").first).to_be_visible(timeout=30_000)
    side = page.get_by_test_id("stSidebar")
    expect(side.get_by_text("Masuk sebagai siti (bawaslu)")).to_be_visible(timeout=30_000)
    expect(side.get_by_role("button", name="Keluar")).to_be_visible()

    _nav(page, "Lapor APK")
    expect(page.get_by_role("heading", name="Laporkan APK")).to_be_visible(timeout=30_000)
    photo = tmp_path / "istiqlal.jpg"
    photo.write_bytes(make_photo())
    page.locator("input[type=file]").first.set_input_files(str(photo))
    expect(page.get_by_text("106.831100, -6.170000")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Pakai tempat dan waktu dari EXIF").click()
    expect(page.get_by_label("Bujur (lon)")).to_have_value("106.831100", timeout=30_000)
    page.get_by_label("Paslon (nomor urut)").fill("2")
    page.screenshot(path=str(screenshot_dir() / "bawaslu-lapor.png"), full_page=True)
    page.get_by_role("button", name="Kirim laporan").click()
    done = page.get_by_text("Kasus #1 dibuka")
    expect(done).to_be_visible(timeout=60_000)
    expect(done).to_contain_text("Pasar Baru")
    expect(done).to_contain_text("FORBIDDEN")
    expect(done).to_contain_text("R01")

    _nav(page, "Kasus")
    expect(page.get_by_role("button", name="Konfirmasi saran mesin")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Konfirmasi saran mesin").click()
    expect(page.get_by_text("Tersimpan: confirmed")).to_be_visible(timeout=30_000)
    advance = page.get_by_test_id("stForm").nth(1)
    steps = (("dalam kajian", {}), ("rekomendasi ke KPU", {"Nomor surat rekomendasi": "012/PM.00.02/10/2024"}),
             ("perintah KPU untuk menurunkan", {"Nomor surat perintah KPU": "KPU-JP/77",
                                                 "Batas waktu dalam surat perintah (mis. 2024-10-12 09:00)":
                                                     "2024-10-12 09:00"}))
    for label, extra in steps:
        advance = page.get_by_test_id("stForm").nth(1)
        advance.get_by_label("Alasan").fill(f"langkah: {label}")
        for field, value in extra.items():
            advance.get_by_label(field).fill(value)
        advance.get_by_role("button", name="Simpan langkah").click()
        expect(page.get_by_role("heading", name=f"#1 · {label}", exact=False)).to_be_visible(timeout=30_000)

    clock.write_text("2024-10-12T10:00+07:00\n", encoding="utf-8")
    _nav(page, "Dasbor Bawaslu")
    expect(page.get_by_role("heading", name="Terlambat dan jatuh tempo dalam 24 jam")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Tidak ada kasus terlambat")).to_have_count(0)
    frame = page.frame_locator(MAP_FRAME).first
    legend = frame.locator(".geozones-legend")
    expect(legend).to_contain_text("Status kasus", timeout=60_000)
    expect(legend).to_contain_text("perintah KPU untuk menurunkan")
    expect(legend).not_to_contain_text("#f0ad4e")
    # the kelurahan outlines come with the boundaries' attribution (canvas-drawn, so not countable as paths)
    expect(frame.locator(".leaflet-control-attribution")).to_contain_text("BPS", timeout=30_000)
    expect(page.get_by_role("tab", name="Hari")).to_be_visible()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir() / "bawaslu-dasbor.png"), full_page=True)

    _nav(page, "Kasus")
    expect(page.get_by_text("TERLAMBAT").first).to_be_attached(timeout=30_000)
    page.get_by_role("button", name="Buat bundel bukti (ZIP)").click()
    button = page.get_by_role("button", name="Unduh bundel bukti")
    expect(button).to_be_visible(timeout=120_000)
    with page.expect_download() as dl:
        button.click()
    bundle = tmp_path / "bundle.zip"
    dl.value.save_as(bundle)
    out = tmp_path / "bundle"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(out)
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") >= 2, check.stdout + check.stderr
    pdf = next(out.glob("*.pdf"))
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf),
                    "-singlefile", str(screenshot_dir() / "bawaslu-bukti")], check=True)

    side.get_by_role("button", name="Keluar").click()
    expect(side.get_by_text("Masuk sebagai")).to_have_count(0, timeout=30_000)
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Kasus", exact=True)).to_have_count(0)
    assert blocked == []


def test_public_informasi_awal_in_chromium(browser, bawaslu_server):
    url, _, _ = bawaslu_server
    page = browser.new_page()
    blocked = _offline(page)
    page.goto(f"{url}/lapor", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Laporkan APK")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Anda belum masuk")).to_be_visible()
    page.get_by_label("Bujur (lon)").fill("106.8311")
    page.get_by_label("Lintang (lat)").fill("-6.1700")
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page.get_by_text("Informasi awal diterima")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Pasar Baru")).to_have_count(0)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Kasus", exact=True)).to_have_count(0)
    expect(nav.get_by_text("Dasbor Bawaslu", exact=True)).to_have_count(0)
    for path in ("kasus", "dasbor"):
        page.goto(f"{url}/{path}", wait_until="domcontentloaded")
        page.wait_for_timeout(3000)
        expect(page.get_by_text("Pasar Baru")).to_have_count(0)
        expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    assert blocked == []
    page.close()
