"""Notebook tests (nbval): every notebook in notebooks/ runs on the real shared data at wijk level.

The kernels are separate processes, so their environment is set here, by the process that runs the notebooks,
before the first one starts: a temporary cache filled by importing the shared example files (``MGG_CACHE_DIR``),
every service URL pointed at a closed local port, so no notebook can reach the internet, and, while a notebook
runs, the id of one run (``MGG_RUN_ID``), so that the notebooks share their online analysis as the notebooks of
one batch do. (A run without
notebooks, ``make test-fast``, makes none.) Without the shared data folder the notebook tests are skipped with a
reason (a failure under ``CI=true``).

Under pytest-xdist the notebooks run one after another on one process (:func:`pytest_xdist_make_scheduler`), so
an analysis is computed once and found in the memo by the next notebook, as in the batch.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

CLOSED = "http://127.0.0.1:9"


def _notebook_environment(config) -> None:
    """The notebooks' cache and service URLs in this process's environment, which the kernels inherit (once)."""
    if getattr(config, "_mgg_nbval_cache", None):
        return
    from mgg_geo import settings
    from mgg_geo.data import imports

    cache = tempfile.mkdtemp(prefix="mgg-nbval-cache-")
    config._mgg_nbval_cache = cache  # removed when this process ends the run
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


@pytest.hookimpl(tryfirst=True)  # before nbval starts the notebook's kernel
def pytest_runtest_setup(item):
    if str(item.fspath).endswith(".ipynb"):
        _notebook_environment(item.config)
        from mgg_geo.analysis import memo  # the notebooks are one run, as those of a batch: one online analysis

        if not getattr(item.config, "_mgg_nbval_run", None):
            item.config._mgg_nbval_run = memo.new_run()
        os.environ[memo.RUN_ENV] = item.config._mgg_nbval_run


def pytest_runtest_teardown(item):
    """The run's id reaches the notebooks' kernels only: no later process of this one inherits it."""
    if str(item.fspath).endswith(".ipynb"):
        from mgg_geo.analysis import memo

        os.environ.pop(memo.RUN_ENV, None)


def pytest_unconfigure(config):
    cache = getattr(config, "_mgg_nbval_cache", None)
    if cache:
        shutil.rmtree(cache, ignore_errors=True)


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


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: plain pytest (without it) runs as well
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (``make test``): a test file runs on one process, so that its tests share their module
    fixtures (a rendered batch is made once), and the notebooks run one after another on one process (nbval runs a
    notebook's cells in order on one kernel; the three share one cache and its memo); the files are handed out in
    the order of the collection (tests/conftest.py puts the longest first)."""
    if config.getoption("dist") not in ("load", "loadfile", "loadscope"):
        return None  # another distribution asked for by name
    from xdist.scheduler import LoadFileScheduling

    class FilesAndNotebooks(LoadFileScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            config.option.loadscopereorder = False  # the collection's order, not the number of tests per file

        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "notebooks" if scope.endswith(".ipynb") else scope

    return FilesAndNotebooks(config, log)
