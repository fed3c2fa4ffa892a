"""One way to start a real `streamlit run` server for the browser tests, and to stop it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(**extra: str) -> dict[str, str]:
    """The test process's environment with this checkout importable and ``extra`` set."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@contextlib.contextmanager
def streamlit_server(log: Path, *, env: dict[str, str], script: Path | None = None, cwd: Path | None = None,
                     port: int | None = None, options: tuple[str, ...] = (), timeout: float = 90.0) -> Iterator[str]:
    """Run ``streamlit run script`` (default the app) on loopback until the block ends; yield its base URL.

    ``options`` are more ``streamlit run`` options (``--server.enableStaticServing true``).

    Fails the test with the server log's tail when the server exits early or is
    not healthy within ``timeout`` seconds (a loaded CI machine starts slowly).
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *options]
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd or ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(proc, url, log, timeout)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(proc: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not become healthy in {timeout:g} s:\n{log.read_text(errors='replace')[-3000:]}")
