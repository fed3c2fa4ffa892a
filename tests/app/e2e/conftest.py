"""Fixtures for the app tests: a real `streamlit run` server and an offline Chromium.

The e2e tests use Debian's chromium (Playwright cannot download browsers here)
and serve a copy of the shared layers in which one kelurahan is renamed to an
HTML payload, so escaping is proven on real drawing code. The copy lives in a
temp folder and is never committed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.app.e2e.server import ROOT, app_env, streamlit_server

XSS = "<img src=x onerror=alert(1)>"
#: Kelurahan renamed to the payload in the e2e data copy (not Pasar Baru, where Istiqlal is).
XSS_KELURAHAN = "Gelora"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Debian chromium is required for the e2e tests (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian chromium, without sandbox or background network chatter."""
    return {**browser_type_launch_args, "executable_path": _chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A desktop viewport and downloads allowed."""
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}, "accept_downloads": True,
            "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


@pytest.fixture(scope="session")
def e2e_data_dir(shared_data, tmp_path_factory) -> Path:
    """A copy of the shared layers with one kelurahan named like an XSS payload."""
    import geopandas as gpd

    out = tmp_path_factory.mktemp("e2e-data")
    for f in shared_data.glob("*.geojson"):
        shutil.copy(f, out / f.name)
    kel = gpd.read_file(shared_data / "jakpus_kelurahan.geojson")
    assert (kel["kelurahan"] == XSS_KELURAHAN).sum() == 1
    kel.loc[kel["kelurahan"] == XSS_KELURAHAN, "kelurahan"] = XSS
    (out / "jakpus_kelurahan.geojson").unlink()
    kel.to_file(out / "jakpus_kelurahan.geojson", driver="GeoJSON")
    return out


@pytest.fixture(scope="session")
def app_server(e2e_data_dir, tmp_path_factory):
    """`streamlit run app.py` on a free loopback port; yields its base URL."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(log, env=app_env(GEOZONES_DATA_DIR=str(e2e_data_dir))) as url:
        yield url


@pytest.fixture
def offline_page(page, app_server):
    """A page whose context aborts every request that is not to the loopback server.

    ``page.blocked`` lists what was blocked; the tests assert it stays empty.
    """
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.context.route("**/*", route)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.blocked = blocked
    page.dialogs = dialogs
    page.base = app_server
    return page


def screenshot_dir() -> Path:
    """Where e2e screenshots go (``GEOZONES_SCREENSHOT_DIR``, default tests/screenshots)."""
    d = Path(os.environ.get("GEOZONES_SCREENSHOT_DIR") or ROOT / "tests" / "screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d
