"""End to end in Chromium: a KPU editor account made from the CLI logs in to the app; public pages need none."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.app.e2e.server import ROOT, streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def login_server(e2e_data_dir, tmp_path_factory):
    home = tmp_path_factory.mktemp("geozones-home")
    env = {**os.environ, "GEOZONES_HOME": str(home), "GEOZONES_DATA_DIR": str(e2e_data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("GEOZONES_DATABASE_URL", None)
    cli = [sys.executable, "-m", "geozones", "users", "add"]
    subprocess.run([*cli, "root", "--role", "admin"], input="root-pass-1\n", text=True, env=env, check=True)
    subprocess.run([*cli, "editor", "--role", "kpu_editor"], input="editor-pass-1\n", text=True, check=True,
                   env={**env, "GEOZONES_USER": "root", "GEOZONES_PASSWORD": "root-pass-1"})
    with streamlit_server(home / "server.log", env=env) as url:
        yield url


def test_builtin_login_in_chromium_lasts_for_the_tab(page, login_server):
    page.goto(f"{login_server}/masuk", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible(timeout=60_000)
    page.get_by_label("Nama akun").fill("editor")
    page.get_by_label("Kata sandi").fill("wrong-password")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("wrong account name or password")).to_be_visible(timeout=30_000)
    page.get_by_label("Nama akun").fill("editor")
    page.get_by_label("Kata sandi").fill("editor-pass-1")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("Masuk sebagai").first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stSidebarUserContent").get_by_text("kpu_editor")).to_be_visible()
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Keluar").click()
    expect(page.get_by_label("Nama akun")).to_be_visible(timeout=30_000)
    # log in again, then reload: a built-in login lasts for the tab's session only
    page.get_by_label("Nama akun").fill("editor")
    page.get_by_label("Kata sandi").fill("editor-pass-1")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("Masuk sebagai").first).to_be_visible(timeout=30_000)
    page.reload(wait_until="domcontentloaded")
    expect(page.get_by_label("Nama akun")).to_be_visible(timeout=60_000)
