"""``make lab`` starts JupyterLab on notebooks/, as root too, on the given port with the given token."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from mgg_geo import settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts JupyterLab
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_answers_on_its_port_with_its_token(tmp_path):
    port, token = _free_port(), "proef-token-19"
    command = ["make", "-o", ".venv/.installed", "-o", "assets/node_modules/.package-lock.json", "lab",
               f"PORT={port}", f"TOKEN={token}", "LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    lab = subprocess.Popen(command, cwd=settings.PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True, env=env)
    try:
        answer = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5) as r:
                    answer = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        output = "" if answer is not None else lab.stdout.read() if lab.poll() is not None else ""
        assert answer is not None, f"JupyterLab did not answer on port {port}: {output[-2000:]}"
        assert {"gemeente_rapport.ipynb", "provincie_overzicht.ipynb"} <= {f["name"] for f in answer["content"]}
        with pytest.raises(urllib.error.HTTPError):  # without the token: refused
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)  # the group of the make started here, and only it
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait()
