"""Single sign-on end to end in Chromium against a local mock OpenID provider (oidc-provider-mock, loopback).

The identity provider only says who the user is; the role shown comes from the grant an admin
recorded in geozones (``users grant EMAIL --role kpu_publisher --sso``). A second identity with no
grant logs in fine and is public.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.app.e2e.server import ROOT, free_port, streamlit_server

pytestmark = pytest.mark.e2e


def _wait(url: str, proc, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"server did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def sso_server(e2e_data_dir, tmp_path_factory):
    home = tmp_path_factory.mktemp("geozones-sso")
    env = {**os.environ, "GEOZONES_HOME": str(home), "GEOZONES_DATA_DIR": str(e2e_data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("GEOZONES_DATABASE_URL", None)
    cli = [sys.executable, "-m", "geozones", "users"]
    subprocess.run([*cli, "add", "root", "--role", "admin"], input="root-pass-1\n", text=True, env=env, check=True)
    subprocess.run([*cli, "grant", "kpu.pub@example.test", "--role", "kpu_publisher", "--sso"], text=True,
                   check=True, env={**env, "GEOZONES_USER": "root", "GEOZONES_PASSWORD": "root-pass-1"})
    idp_port, app_port = free_port(), free_port()
    idp_log, app_log = home / "idp.log", home / "app.log"
    claims = [json.dumps({"sub": "u1", "email": "kpu.pub@example.test"}),
              json.dumps({"sub": "u2", "email": "stranger@example.test"})]
    idp_cmd = [sys.executable, "-m", "oidc_provider_mock", "--port", str(idp_port)]
    for c in claims:
        idp_cmd += ["--user-claims", c]
    secrets = home / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{"s" * 48}"\n'
        'client_id = "geozones"\nclient_secret = "geozones-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{idp_port}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    with open(idp_log, "wb") as f1:
        idp = subprocess.Popen(idp_cmd, env=env, stdout=f1, stderr=subprocess.STDOUT)
        try:
            _wait(f"http://127.0.0.1:{idp_port}/.well-known/openid-configuration", idp, idp_log)
            with streamlit_server(app_log, env=env, port=app_port, options=("--secrets.files", str(secrets))) as url:
                yield url
        finally:
            idp.terminate()
            try:
                idp.wait(timeout=10)
            except subprocess.TimeoutExpired:
                idp.kill()


def _sso_login(page, base: str, sub: str) -> None:
    page.goto(f"{base}/masuk", wait_until="domcontentloaded")
    page.get_by_role("button", name="Masuk dengan SSO instansi").click(timeout=60_000)
    page.wait_for_url("**/oauth2/authorize**", timeout=60_000)
    page.get_by_role("button", name=sub).click(timeout=30_000)  # the mock's predefined user
    page.wait_for_url(f"{base}/**", timeout=60_000)  # back from the provider (Streamlit lands on the home page)
    page.goto(f"{base}/masuk", wait_until="domcontentloaded")


def test_sso_login_gets_its_role_only_from_geozones_grants(page, sso_server):
    _sso_login(page, sso_server, "u1")
    expect(page.get_by_text("Masuk sebagai").first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSidebarUserContent").get_by_text("kpu_publisher")).to_be_visible()
    page.reload(wait_until="domcontentloaded")  # a single sign-on login survives a reload
    expect(page.get_by_test_id("stSidebarUserContent").get_by_text("kpu_publisher")).to_be_visible(timeout=60_000)
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Keluar").click()
    # st.logout clears the login cookie, then visits the provider's end-session page
    expect(page.get_by_role("heading", name="End Session")).to_be_visible(timeout=60_000)
    page.goto(f"{sso_server}/masuk", wait_until="domcontentloaded")
    expect(page.get_by_role("button", name="Masuk dengan SSO instansi")).to_be_visible(timeout=60_000)
    _sso_login(page, sso_server, "u2")
    expect(page.get_by_text("publik (belum ada peran)")).to_be_visible(timeout=60_000)
