"""Test fixtures.

* Every test gets its own empty cache and has all service URLs pointed at a
  closed local port, so no test can reach the internet by accident.
* ``shared_data``: the real files of ``settings.SHARED_DATA``. Absent folder:
  skip with a reason, except under ``CI=true``, where it is a failure.
* ``replay``: the local CBS/PDOK replay server (tests/replay/server.py), with
  the settings pointed at it (short timeout, retries without back-off).
* ``imported_cache``: the shared example files imported once per run (under pytest-xdist: once for all workers,
  each worker reading its own copy).

``make test`` runs the suite on two processes (pytest-xdist, ``--dist loadfile``: a test file, and so the batch its
tests share, runs on one process; ../conftest.py keeps the notebooks together); :func:`pytest_collection_modifyitems`
puts the files with the longest tests first, so that they do not start last.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
from pathlib import Path

import pytest

from mgg_geo import settings

OUTPUT_DIR = Path(__file__).resolve().parents[1] / "test-output"
#: What makes a test slow (``make test-fast`` leaves these out; ``make test`` and CI run everything): it reads the
#: real shared data (marker ``shared``) or replays a live service, renders reports with the batch, starts a
#: browser, a hostile server or a process of the command line. The fast tier is the unit and property tests on
#: small synthetic fixtures.
SLOW_FIXTURES = {"rendered", "kernel_env", "hostile", "hostile_files", "private_cache", "cache_copy", "chromium",
                 "trickle", "listener", "pool", "imported_cache", "memo_cache", "shared_data", "replay"}
SLOW_MODULES = {"test_readme_route", "test_incremental", "test_console"}
SLOW_MARKERS = {"browser", "shared", "replay"}
#: The modules with the longest tests, longest first (``notebooks``: the three notebooks, which run together): they
#: run first (under pytest-xdist each file runs on one process, in this order), so that no long test is left to run
#: alone at the end; then the other files with slow tests, then the fast tier, which fills the gaps.
LONGEST_FIRST = ("test_hostile_input", "test_safety", "test_incremental", "test_reports", "test_readme_route",
                 "test_pdf", "test_import_subsets", "notebooks", "test_console", "test_cli", "test_statements")


def _module_name(item) -> str:
    module = getattr(item, "module", None)
    return module.__name__.rsplit(".", 1)[-1] if module is not None else ""


@pytest.hookimpl(tryfirst=True)  # the notebooks (../conftest.py) are ordered with the rest
def pytest_collection_modifyitems(config, items):
    """Mark the slow tests (see :data:`SLOW_FIXTURES`) ``slow``; order the files (see :data:`LONGEST_FIRST`)."""
    slow_files = set()
    for item in items:
        if str(getattr(item, "fspath", "")).endswith(".ipynb"):
            continue  # the notebooks: ../conftest.py
        name = _module_name(item)
        if name in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) \
                or any(m.name in SLOW_MARKERS for m in item.iter_markers()):
            item.add_marker(pytest.mark.slow)
            slow_files.add(str(item.fspath))

    def order(item) -> int:
        name = "notebooks" if str(getattr(item, "fspath", "")).endswith(".ipynb") else _module_name(item)
        if name in LONGEST_FIRST:
            return LONGEST_FIRST.index(name)
        return len(LONGEST_FIRST) + (0 if str(item.fspath) in slow_files else 1)

    items.sort(key=order)  # stable: a file's tests stay together, in their order


def pytest_collection_finish(session):
    """Put everything loaded so far (the libraries and the test modules) out of the garbage collector's reach
    (``gc.freeze``): a test process makes about 70 full collections, each of which would otherwise walk the
    whole heap again (about 16 s of CPU in a run of the suite). Collected first, so no garbage is frozen; a frozen
    object that is let go later is still freed, only a reference cycle among frozen objects would stay."""
    gc.collect()
    gc.freeze()


def shared_tmp(tmp_path_factory) -> Path:
    """The temporary folder of this run that every pytest-xdist worker sees (without xdist: the session's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(tmp_path_factory, name: str, make) -> Path:
    """``make(folder)`` run once per test run, also under pytest-xdist (the first worker makes it, under a file lock;
    the others wait and find it); returns the folder (read it, or copy it before changing anything)."""
    from filelock import FileLock

    root = shared_tmp(tmp_path_factory)
    folder, done = root / name, root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            done.touch()
    return folder


@contextlib.contextmanager
def cache_dir(folder: Path):
    """``settings.CACHE_DIR`` pointed at ``folder`` for the block (for session and module fixtures, which cannot use
    the function-scoped ``monkeypatch``)."""
    saved = settings.CACHE_DIR
    settings.CACHE_DIR = Path(folder)
    try:
        yield Path(folder)
    finally:
        settings.CACHE_DIR = saved


def kernel_environment(cache: Path) -> dict[str, str]:
    """What a notebook kernel of an offline report run needs: the cache and every service on a closed port."""
    return {"MGG_CACHE_DIR": str(cache), "MGG_HTTP_RETRIES": "0",
            **{n: "http://127.0.0.1:9" for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                                  "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")}}


@contextlib.contextmanager
def offline_kernels(cache: Path):
    """For the block, this process and the kernels it starts use ``cache`` and no service (the environment of
    :func:`kernel_environment` and ``settings.CACHE_DIR``), restored afterwards (for module fixtures)."""
    env = kernel_environment(cache)
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with cache_dir(cache):
            yield
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


SHARED = settings.SHARED_DATA


@pytest.fixture(autouse=True)
def isolate_settings(tmp_path, monkeypatch):
    """Own cache per test; services unreachable unless a test points them somewhere.

    Every setting (every upper-case name of :mod:`mgg_geo.settings`) is restored after the test, whatever it
    changed, and so is what a process remembers between calls (hosts found unreachable, the offline notice).
    """
    from mgg_geo.data import _http, sources

    for name in dir(settings):
        if name.isupper():
            monkeypatch.setattr(settings, name, getattr(settings, name))
    monkeypatch.setattr(_http, "_UNREACHABLE", {})
    monkeypatch.setattr(sources, "_NOTICE", [])
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    closed = "http://127.0.0.1:9"
    for name in ("CBS_OPENDATA_URL", "CBS_THIRD_PARTY_URL", "PDOK_SERVICE_URL", "PDOK_API_URL"):
        monkeypatch.setattr(settings, name, closed)
    monkeypatch.setattr(settings, "HTTP_RETRIES", 0)
    monkeypatch.setattr(settings, "HTTP_BACKOFF", 0.0)
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", 5.0)
    yield


def _shared_or_skip() -> Path:
    if SHARED.is_dir():
        return SHARED
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the shared data folder {SHARED} is missing (set MGG_SHARED_DATA).")
    pytest.skip(f"shared data folder {SHARED} not found (set MGG_SHARED_DATA); integration test skipped")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _shared_or_skip()


@pytest.fixture(scope="session")
def _replay_server():
    from tests.replay.server import ReplayServer

    server = ReplayServer(_shared_or_skip(), page_size=100).start()
    yield server
    server.stop()


@pytest.fixture
def replay(_replay_server, monkeypatch):
    server = _replay_server
    server.reset()
    monkeypatch.setattr(settings, "CBS_OPENDATA_URL", f"{server.url}/opendata")
    monkeypatch.setattr(settings, "CBS_THIRD_PARTY_URL", f"{server.url}/dataderden")
    monkeypatch.setattr(settings, "PDOK_SERVICE_URL", f"{server.url}/pdok-service")
    monkeypatch.setattr(settings, "PDOK_API_URL", f"{server.url}/pdok-api")
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", 1.0)
    monkeypatch.setattr(settings, "HTTP_RETRIES", 1)
    monkeypatch.setattr(settings, "WFS_PAGE_SIZE", 50)
    yield server
    server.reset()


#: The analysis of the shared data that the tests read (:func:`province_analysis`).
PROVINCE = {"draws": 100, "offline": True, "geocode": False, "reference_date": "2026-01-01"}


@pytest.fixture(scope="session")
def imported_cache(tmp_path_factory, shared_data):
    """A cache filled by importing the shared example files, with the crosswalks that the province analysis derives
    (read-only use). Made once per run (:func:`made_once`); each pytest-xdist worker reads its own copy."""
    from mgg_geo import analysis
    from mgg_geo.data import imports

    def make(folder):
        with cache_dir(folder):
            imports.import_shared(shared_data)
            analysis.run(**PROVINCE)  # stores the crosswalks in the cache, as any first analysis does

    canonical = made_once(tmp_path_factory, "shared-cache", make)
    own = tmp_path_factory.getbasetemp() / "shared-cache-copy"
    if not own.exists():
        shutil.copytree(canonical, own)
    return own


#: The parameters of the report runs whose tests are about what the batch or the command does with an analysis, not
#: about computing it (``mgg-geo reports --offline --draws 10 --reference-date 2026-01-01``): they find the analysis
#: in the memo of :func:`memo_cache`, as a second run of the command does.
REPORTS = {"offline": True, "reference_date": "2026-01-01", "draws": 10}


@pytest.fixture(scope="session")
def memo_cache(tmp_path_factory, imported_cache):
    """The imported cache with the analysis of :data:`REPORTS` (and the shipped register) in its memo, made once per
    run; copy it before use."""
    from mgg_geo import analysis
    from mgg_geo.analysis.parameters import ReportParameters

    def make(folder):
        shutil.copytree(shared_tmp(tmp_path_factory) / "shared-cache", folder, dirs_exist_ok=True)  # as imported
        with cache_dir(folder):
            analysis.run_cached(ReportParameters(**REPORTS))

    return made_once(tmp_path_factory, "memo-cache", make)


@pytest.fixture
def use_imported(imported_cache, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", imported_cache)
    return imported_cache


@pytest.fixture(scope="session")
def province_analysis(imported_cache):
    """The province analysis on the shared example data (wijk level, 100 draws), computed once per session."""
    from mgg_geo import analysis

    with cache_dir(imported_cache):
        return analysis.run(**PROVINCE)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium (Playwright), launched once; skipped when absent, a failure under CI=true."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing (.ci/run installs it)")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-quic"])
        yield browser
        browser.close()


def offline_context(browser, outside: list, **options):
    """A browser context without network: every request that is not a local file is recorded and refused."""
    context = browser.new_context(offline=True, **options)
    context.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
                  if not route.request.url.startswith("file:") else route.continue_())
    return context


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
