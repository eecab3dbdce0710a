"""A quiet, honest console: no network means one line, not a page of retries; kernels say nothing about transport."""
import logging
import os
import shutil
import subprocess
import sys

import pytest

from mgg_geo import settings
from mgg_geo.data import _http, sources
from mgg_geo.errors import SourceError

pytestmark = pytest.mark.shared


@pytest.fixture
def cache_copy(imported_cache, tmp_path):
    target = tmp_path / "cache"
    shutil.copytree(imported_cache, target)
    return target


def test_without_network_a_report_run_says_so_once(cache_copy, tmp_path):
    """Not --offline: the services are asked, cannot be reached, and the cache serves; one line says so (the whole
    command, kernel included; a host that does not resolve is the same failure, shown in process below)."""
    service = "http://127.0.0.1:9"
    env = {**os.environ, "MGG_CACHE_DIR": str(cache_copy), "MGG_HTTP_RETRIES": "3",
           **{n: service for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL", "MGG_PDOK_SERVICE_URL",
                                   "MGG_PDOK_API_URL")}}
    proc = subprocess.run([sys.executable, "-m", "mgg_geo", "reports", "--gemeente", "Pekela", "--draws", "10",
                           "--no-progress", "--out", "reports", "--reference-date", "2026-01-01"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    err = proc.stderr
    assert "Retrying" not in err and "urllib3" not in err, err
    assert "without encryption" not in err and "IPKernelApp" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: geen verbinding met PDOK/CBS ("), lines
    assert "gegevens uit de cache van 20" in lines[0]
    # the analysis of this online run served its notebooks (a kernel without the run's id would have saved its own,
    # under another run) and went with the run: the next run asks the services again
    assert not list((cache_copy / "analyses").rglob("*")), list((cache_copy / "analyses").rglob("*"))


@pytest.mark.parametrize("service, host", [("http://127.0.0.1:9", "127.0.0.1:9"),
                                           ("https://mgg-geo-unreachable.invalid", "mgg-geo-unreachable.invalid")])
def test_an_unreachable_host_is_asked_once_per_run(service, host, monkeypatch, use_imported, caplog):
    """Connection refused and a name that does not resolve: the first request fails (its connection retried once,
    with retries on), then the host is off for the run; no retry warning of urllib3 reaches the log."""
    monkeypatch.setattr(_http, "_UNREACHABLE", {})
    monkeypatch.setattr(sources, "_NOTICE", [])
    monkeypatch.setattr(settings, "HTTP_RETRIES", 3)
    messages = []
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        for _ in range(3):
            with pytest.raises(SourceError) as caught:
                _http.get_json(f"{service}/x", None, _http.RequestLog(), "test")
            assert caught.value.unreachable
            messages.append(str(caught.value))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "could not be asked" in messages[0]
    assert all("earlier in this run" in m and "was not asked" in m for m in messages[1:])  # no second attempt
    assert list(_http.unreachable_hosts()) == [host]
    with pytest.warns(Warning, match="geen verbinding met PDOK/CBS"):
        sources.offline_notice(caught.value)
    sources.offline_notice(caught.value)  # said once
    assert len(sources._NOTICE) == 1
