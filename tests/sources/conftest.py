"""Fixtures for the data tests: loopback HTTP servers only, never the internet."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import require_shared_data


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 with a free port, stopped at teardown."""

    def __init__(self, handler) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def serve_dir():
    """Start a static file server for a folder; returns its base URL."""
    servers: list[_Server] = []

    def start(folder: Path) -> str:
        srv = _Server(functools.partial(_QuietHandler, directory=str(folder)))
        servers.append(srv)
        return srv.url

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def upstream_dir() -> Path:
    """../shared/data/upstream: byte-for-byte copies of the pinned upstream files."""
    return require_shared_data() / "upstream"


@pytest.fixture
def upstream_url(serve_dir, upstream_dir) -> str:
    """Base URL of a loopback server for ../shared/data/upstream."""
    return serve_dir(upstream_dir)


@pytest.fixture
def flaky_server(upstream_dir):
    """A server that answers 503 to the first ``fail`` requests, then serves the upstream files."""
    servers: list[_Server] = []

    def start(fail: int) -> tuple[str, dict]:
        state = {"requests": 0, "fail": fail}

        class Handler(_QuietHandler):
            def do_GET(self):
                state["requests"] += 1
                if state["requests"] <= state["fail"]:
                    self.send_error(503, "busy")
                    return
                super().do_GET()

        srv = _Server(functools.partial(Handler, directory=str(upstream_dir)))
        servers.append(srv)
        return srv.url, state

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connection refused at once)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def data_dir(tmp_path, shared_data):
    """A data directory holding the Jakarta Pusat boundaries (copied at test time, never committed)."""
    d = tmp_path / "data"
    d.mkdir()
    for name in ("jakpus_kelurahan.geojson", "jakarta_kota.geojson"):
        shutil.copy(shared_data / name, d / name)
    return d
