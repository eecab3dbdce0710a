"""Notebook tests (nbval): every notebook in notebooks/ runs on the real shared data at wijk level.

The kernels are separate processes, so their environment is set here, once:
a temporary cache filled by importing the shared example files
(``MGG_CACHE_DIR``), and every service URL pointed at a closed local port, so
no notebook can reach the internet. Without the shared data folder the
notebook tests are skipped with a reason (a failure under ``CI=true``).
"""

from __future__ import annotations

import os
import tempfile

import pytest

CLOSED = "http://127.0.0.1:9"


def pytest_configure(config):
    if not getattr(config.option, "nbval_lax", False):
        return
    from mgg_geo import settings
    from mgg_geo.data import imports

    if not settings.SHARED_DATA.is_dir():
        return
    cache = tempfile.mkdtemp(prefix="mgg-nbval-cache-")
    os.environ["MGG_CACHE_DIR"] = cache
    for name in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL", "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL"):
        os.environ[name] = CLOSED
    os.environ["MGG_HTTP_RETRIES"] = "0"
    saved = settings.CACHE_DIR
    settings.CACHE_DIR = settings.Path(cache)
    try:
        imports.import_shared(settings.SHARED_DATA)
    finally:
        settings.CACHE_DIR = saved


def pytest_collection_modifyitems(config, items):
    from mgg_geo import settings

    if settings.SHARED_DATA.is_dir():
        return
    notebooks = [item for item in items if str(item.fspath).endswith(".ipynb")]
    if not notebooks:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but the shared data folder {settings.SHARED_DATA} is missing")
    skip = pytest.mark.skip(reason=f"shared data folder {settings.SHARED_DATA} not found: notebooks need real data")
    for item in notebooks:
        item.add_marker(skip)
