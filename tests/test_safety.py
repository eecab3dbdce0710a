"""Hostile input, damaged caches and parallel runs: nothing runs that should not, nothing is lost.

* hostile initiative names in every output, and a headless Chromium proving no injected code ran;
* a planted pickle and a damaged saved analysis: nothing executes, the analysis is recomputed;
* ``--offline`` makes no network connection at all (a listener records every attempt);
* two builds into one folder, and a killed build followed by a rerun, leave a complete, tidy folder.
"""
import csv
import html
import io
import os
import pickle
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from mgg_geo import analysis, batch, settings
from mgg_geo.analysis import memo
from mgg_geo.analysis.parameters import ReportParameters
from mgg_geo.data import cache
from mgg_geo.present import export, webmap
from tests.conftest import offline_context

pytestmark = pytest.mark.shared
#: A file that a name evaluated as a template would create.
MARKER = Path(tempfile.gettempdir()) / f"mgg-pwned-{os.getpid()}"
#: Each payload would set window.__pwned if it ever ran.
HOSTILE = [
    "${window.__pwned='template'}",
    "`;window.__pwned='backtick';`",
    "</script><script>window.__pwned='close'</script>",
    "\"'><img src=x onerror=\"window.__pwned='img'\">",
    "<svg onload=window.__pwned='svg'>",
    "=HYPERLINK(\"http://example.invalid\",\"klik\")",
    "Club;=1+1",
    "Proef {{7*7}}",
    "{% for x in range(3) %}lus{% endfor %} {# weg #}",
    "{{ cycler.__init__.__globals__.os.system('touch " + str(MARKER) + "') }}",
]
#: Template syntax in a name: each must appear literally in every output, never evaluated.
TEMPLATES = HOSTILE[-3:]
PARAMS = ReportParameters(offline=True, reference_date="2026-01-01", draws=50)


def hostile_register(path: Path, extra_rows: int = 0) -> Path:
    text = (settings.PROJECT_ROOT / "data/initiatives/register.csv").read_text(encoding="utf-8-sig")
    header = next(csv.reader([text.splitlines()[0]], delimiter=";"))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, delimiter=";", lineterminator="\r\n", restval="")
    for i, name in enumerate(HOSTILE):
        writer.writerow({"naam": name, "programma": "jongerenwerk", "organisatie": name,
                         "preventieniveau": "universeel", "leeftijd_min": 12, "leeftijd_max": 18,
                         "plaats": "Oude Pekela", "gemeente": "Pekela", "gebiedscode": f"WK07650{i % 2}",
                         "opmerkingen": "test"})
    path.write_text(text + buffer.getvalue(), encoding="utf-8-sig")
    return path


def hostile_schools(path: Path) -> Path:
    """A DUO school list written here: Pekela's schools named with the hostile names, one with a sound name."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["VESTIGINGSCODE", "VESTIGINGSNAAM", "STRAATNAAM", "HUISNUMMER-TOEVOEGING", "POSTCODE",
                     "PLAATSNAAM", "GEMEENTENUMMER", "PROVINCIE"])
    for i, name in enumerate(HOSTILE):
        writer.writerow([f"99ZZ{i:02d}", name, name, str(i + 1), "9665 AA", "OUDE PEKELA", "0765", "Groningen"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def env_for(cache_dir: Path, **extra) -> dict:
    return {**os.environ, "MGG_CACHE_DIR": str(cache_dir), "MGG_HTTP_RETRIES": "0",
            **{n: "http://127.0.0.1:9" for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                                  "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")}, **extra}


def cli(args, cwd, env, **kw):
    return subprocess.run([sys.executable, "-m", "mgg_geo", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, **kw)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, imported_cache):
    """A batch (Pekela with hostile names, plus the overview) and the exports of the same analysis."""
    root = tmp_path_factory.mktemp("hostile")
    cache_dir = root / "cache"
    shutil.copytree(imported_cache, cache_dir)
    register = hostile_register(root / "register.csv")
    schools = hostile_schools(root / "scholen.csv")
    saved_env = {k: os.environ.get(k) for k in ("MGG_CACHE_DIR", "MGG_SCHOOLS")}
    saved_cache, saved_schools = settings.CACHE_DIR, settings.SCHOOLS_PATH
    os.environ.update(MGG_CACHE_DIR=str(cache_dir), MGG_SCHOOLS=str(schools))
    settings.CACHE_DIR, settings.SCHOOLS_PATH = cache_dir, schools
    try:
        params = PARAMS.replace(register_path=register)
        result = batch.run(params, reports_for=["GM0765"], out_dir=root / "reports", workers=2, progress=False)
        exports = {}
        found = analysis.run_cached(params)
        for suffix in ("csv", "xlsx", "gpkg"):
            exports[suffix] = export.write(found, root / f"areas.{suffix}")
    finally:
        settings.CACHE_DIR, settings.SCHOOLS_PATH = saved_cache, saved_schools
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert result.exit_code == 0, [o.error for o in result.failures]
    return root / "reports", exports, found


def test_hostile_names_are_text_in_every_html_output(hostile):
    out, _, _ = hostile
    pages = [out / "GM0765-pekela.html", out / "provincie-groningen.html", out / "index.html",
             out / "kaarten" / "GM0765.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S)
        markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
        for raw in ("<script>window.__pwned", "<img src=x", "<svg onload"):
            assert raw not in markup, (page.name, raw)  # as markup, the names are escaped text
        for script in scripts:
            for raw in ("<svg onload", "<img src=x", "${window.__pwned='template'}`"):
                assert raw not in script, (page.name, raw)  # in scripts, only JSON-encoded
    report = (out / "GM0765-pekela.html").read_text(encoding="utf-8")
    assert "&lt;svg onload=window.__pwned=" in report  # listed, escaped
    page = (out / "kaarten" / "GM0765.html").read_text(encoding="utf-8")
    assert "\\u003c/script\\u003e\\u003cscript\\u003ewindow.__pwned" in page  # JSON-encoded in the script
    # the school list's names too: escaped in "Welke school als volgende?", JSON data on the map
    section = report[report.index("Welke school als volgende"):]
    assert "(99ZZ00)" in section and "&lt;/script&gt;&lt;script&gt;window.__pwned=" in section
    assert page.count("99ZZ0") == len(HOSTILE)


def test_template_syntax_in_names_is_never_evaluated(hostile):
    """Jinja syntax in a register name stays text in every output; nothing is evaluated or run."""
    out, exports, _ = hostile
    assert not MARKER.exists()
    pages = {p.name: p.read_text(encoding="utf-8") for p in (out / "GM0765-pekela.html", out / "index.html",
                                                             out / "provincie-groningen.html",
                                                             out / "kaarten" / "GM0765.html")}
    assert all("Proef 49" not in text and "luslusl" not in text for text in pages.values())
    for name in TEMPLATES:
        assert html.escape(name, quote=False) in pages["GM0765-pekela.html"], name  # listed, literally
        assert webmap.safe_json(name)[1:-1] in pages["GM0765.html"], name  # the map page's data, JSON-encoded
    sites = pd.read_excel(exports["xlsx"], sheet_name="Initiatieven")
    layer = gpd.read_file(exports["gpkg"], layer="initiatieven")
    csv_text = exports["csv"].with_name("areas_initiatieven.csv").read_text(encoding="utf-8-sig")
    for name in TEMPLATES:
        assert name in set(sites["Naam"]) and name in set(layer["name"]) and name in csv_text


def test_exports_keep_names_as_plain_data(hostile):
    _, exports, found = hostile
    sites = pd.read_excel(exports["xlsx"], sheet_name="Initiatieven")
    names = set(sites["Naam"])
    # the workbook's cells are typed: a formula-like name is a text cell spelled as in the register, and a real
    # name starting with @ has no apostrophe put before it (it read "'@ease Groningen")
    assert "=HYPERLINK(\"http://example.invalid\",\"klik\")" in names and "@ease Groningen" in names
    assert not any(str(n).startswith("'") for n in names)
    assert "<svg onload=window.__pwned='svg'>" in names
    from openpyxl import load_workbook

    for sheet in load_workbook(exports["xlsx"]).worksheets:  # no formula on any sheet of the workbook
        assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row), sheet.title
    with zipfile.ZipFile(exports["xlsx"]) as book:  # as Excel reads it: inline text, no <f> element anywhere
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                xml = book.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name
    csv_text = (exports["csv"].with_name("areas_initiatieven.csv")).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "\n=HYPERLINK" not in csv_text
    # opened as Dutch Excel opens a CSV (split on ";"), no cell is a formula: "Club;=1+1" gave a cell "=1+1"
    for separator in (",", ";"):
        cells = [c for row in csv.reader(io.StringIO(csv_text), delimiter=separator) for c in row]
        assert not [c for c in cells if c.lstrip(' "').startswith(("=", "+", "@"))], separator
    assert "Club;=1+1" in set(sites["Naam"])  # the workbook's cells are typed: spelled as in the register
    layer = gpd.read_file(exports["gpkg"], layer="initiatieven")
    assert "</script><script>window.__pwned='close'</script>" in set(layer["name"])
    assert "'=HYPERLINK(\"http://example.invalid\",\"klik\")" in set(layer["name"])  # GeoPackage too
    assert not any(str(v).startswith(("=", "+", "-", "@")) for column in layer.columns if column != "geometry"
                   for v in layer[column] if isinstance(v, str))


def test_markup_in_a_name_is_a_warning_that_names_the_row(hostile):
    _, _, found = hostile
    warned = [p for p in found.register.warnings if "markup, script or template-like" in p.message]
    assert {p.column for p in warned} >= {"naam", "organisatie"}
    assert {p.message.split(" contains")[0] for p in warned} >= {repr(name) for name in TEMPLATES}
    assert all(p.row and p.row > 20 for p in warned)


@pytest.mark.browser
def test_map_pages_run_no_injected_code_in_chromium(hostile, output_dir, chromium):
    out, _, _ = hostile
    outside, dialogs, errors = [], [], []
    with offline_context(chromium, outside, viewport={"width": 1200, "height": 900}) as context:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in sorted((out / "kaarten").glob("*.html")):
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            drawn = page.evaluate("""() => {
                const maps = Object.values(window).filter(v => v instanceof L.Map);
                let areas = 0, outlines = 0;
                maps.forEach(map => map.eachLayer(layer => {
                    if (layer.feature && layer.feature.properties && "v" in layer.feature.properties
                        && layer.getBounds && layer.getBounds().isValid()) { areas += 1; }
                    if (layer.feature && layer.feature.properties && "own" in layer.feature.properties) {
                        outlines += 1; }
                }));
                return [areas, outlines, mgg.data.features.length];
            }""")
            assert drawn[0] == drawn[2] > 0 and drawn[1] >= 2, drawn  # every area drawn on the map, and outlines
            assert page.locator(".leaflet-control-scale-line").inner_text().endswith(("km", "m"))
            # open every popup and tooltip the page has, so that any injected markup would be rendered
            shown = page.evaluate("""() => {
                const maps = Object.values(window).filter(v => v instanceof L.Map);
                let texts = [];
                maps.forEach(map => map.eachLayer(layer => {
                    if (layer.getLayers && layer.getAllChildMarkers === undefined && layer.getLayers().length) {
                        layer.getLayers().forEach(l => { if (l.openTooltip) { l.openTooltip(); } });
                    }
                    if (layer instanceof L.MarkerClusterGroup) {
                        layer.getLayers().forEach(m => {
                            m.addTo(map); m.openPopup(); texts.push(m.getPopup().getElement().innerText);
                            m.openTooltip();
                        });
                    }
                }));
                return texts;
            }""")
            assert any("<svg onload=window.__pwned='svg'>" in t for t in shown), shown
            assert sum("(99ZZ" in t for t in shown) == len(HOSTILE)  # every school's popup, as text
            assert all(any(name in t for t in shown) for name in TEMPLATES), shown  # literally, not evaluated
            assert page.evaluate("window.__pwned") is None
            assert page.locator("img[src='x'], svg[onload]").count() == 0
            page.screenshot(path=str(output_dir / f"chromium-map-{path.stem}.png"))
    assert dialogs == [] and errors == [] and outside == []


# ---------------------------------------------------------------- the cache: data, never code


def test_a_planted_pickle_never_runs_and_a_damaged_analysis_is_recomputed(use_imported, tmp_path, monkeypatch):
    private = tmp_path / "cache"
    shutil.copytree(use_imported, private)
    monkeypatch.setattr(settings, "CACHE_DIR", private)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.write_text, (marker, "ran"))

    params = PARAMS.replace(draws=10)
    key = memo.memo_key(params)
    folder = private / "analyses" / key
    folder.mkdir(parents=True)
    (private / "analyses" / f"{key}.pkl").write_bytes(pickle.dumps(Payload()))  # the old memo's name
    for name in ("areas.parquet", "analysis.json", "manifest.json"):
        (folder / name).write_bytes(pickle.dumps(Payload()))  # a hostile writer of the cache folder
    with pytest.warns(Warning, match="cannot be used"):
        result = analysis.run_cached(params)
    assert not marker.exists() and len(result.areas) == 123
    # the recomputed analysis was saved as data; damage one file and it is recomputed again, not fatal
    saved = next(p for p in folder.iterdir() if p.name == "areas.parquet")
    saved.write_bytes(saved.read_bytes()[:100])
    with pytest.warns(Warning, match="does not match its checksum"):
        again = analysis.run_cached(params)
    assert len(again.areas) == 123 and not marker.exists()
    assert not any(p.suffix == ".pkl" for p in folder.rglob("*"))


def test_a_code_change_invalidates_the_memo(use_imported, tmp_path, monkeypatch):
    """Same inputs, same code: served from the memo. Other code (tests/test_architecture.py shows an edited
    file changes ``code_version``): computed again."""
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    shutil.copytree(use_imported, tmp_path / "cache")
    params = PARAMS.replace(draws=10)
    calls, real = [], memo.run
    monkeypatch.setattr(memo, "run", lambda p: calls.append(p) or real(p))
    first = analysis.run_cached(params)
    analysis.run_cached(params)
    assert len(calls) == 1
    before = memo.memo_key(params)
    monkeypatch.setattr(memo, "code_version", lambda: "0.1.0+changed")
    assert memo.memo_key(params) != before
    again = analysis.run_cached(params)
    assert len(calls) == 2
    pd.testing.assert_frame_equal(pd.DataFrame(again.areas.drop(columns="geometry")),
                                  pd.DataFrame(first.areas.drop(columns="geometry")))


# ---------------------------------------------------------------- the network


class Listener(socketserver.ThreadingTCPServer):
    """Accepts every connection, records it, and never answers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.connections = []
        super().__init__(("127.0.0.1", 0), self._Handler)
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)  # shuts down in 0.05 s
        self.thread.start()

    class _Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.server.connections.append(time.time())
            self.request.settimeout(30)
            try:
                self.request.recv(65536)
                time.sleep(30)
            except OSError:
                pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.shutdown()
    server.server_close()


def test_offline_makes_no_network_attempt_at_all(listener, imported_cache, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    env = env_for(cache_dir, **{n: listener.url for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                                           "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")})
    started = time.time()
    saved = {}
    for args in (["analyse", "--offline", "--out", "areas.gpkg", "--draws", "10", "--reference-date", "2026-01-01"],
                 ["register", "check", str(settings.REGISTER_PATH), "--offline"],
                 ["data", "vintages", "--gemeente", "Het Hogeland", "--offline"],
                 ["reports", "--offline", "--gemeente", "Pekela", "--draws", "10", "--out", "reports",
                  "--no-progress", "--reference-date", "2026-01-01"]):
        proc = cli(args, tmp_path, env)
        assert proc.returncode == 0, (args, proc.stderr[-2000:])
        assert "warning" not in proc.stderr.lower() or "geocod" not in proc.stderr.lower(), proc.stderr
        if args[0] == "analyse":  # offline, analyse keeps its analysis in the memo ...
            saved = {p.name: p.stat().st_mtime_ns for p in (cache_dir / "analyses").iterdir()}
            assert len(saved) == 1, saved
    assert listener.connections == []
    assert time.time() - started < 240
    # ... and the report run (same parameters) loaded it: the one folder, not written again
    assert {p.name: p.stat().st_mtime_ns for p in (cache_dir / "analyses").iterdir()} == saved


def test_a_hanging_service_fails_fast_with_one_message(listener, imported_cache, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    env = env_for(cache_dir, MGG_PDOK_API_URL=listener.url, MGG_HTTP_TIMEOUT="0.5", MGG_HTTP_CONNECT_TIMEOUT="0.5",
                  MGG_HTTP_RETRIES="3")
    started = time.time()
    proc = cli(["register", "check", str(settings.REGISTER_PATH)], tmp_path, env)
    elapsed = time.time() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 30 and len(listener.connections) <= 2  # one attempt and at most one retry, then off
    assert proc.stdout.count("geocoding unavailable (PDOK Locatieserver: no answer within 0.5 s") == 1


# ---------------------------------------------------------------- parallel and killed builds


def test_two_builds_into_one_folder_are_both_listed(imported_cache, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)  # both compute the analysis and save it into the one cache
    env = env_for(cache_dir)
    args = ["reports", "--offline", "--draws", "10", "--out", "reports", "--no-progress", "--reference-date",
            "2026-01-01", "--workers", "1", "--gemeente"]
    builds = [subprocess.Popen([sys.executable, "-m", "mgg_geo", *args, code], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for code in ("Pekela", "Veendam")]
    for build in builds:
        _, err = build.communicate(timeout=600)
        assert build.returncode == 0, err[-2000:]
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="GM0765-pekela.html"' in index and 'href="GM0047-veendam.html"' in index
    assert not [p for p in (tmp_path / "reports").rglob(".*") if p.name not in (".index.lock", batch.MARKER)]


def test_a_killed_build_leaves_nothing_that_the_rerun_does_not_clean(memo_cache, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(memo_cache, cache_dir)  # its analysis saved, as after an earlier run: the kill hits a notebook
    env = env_for(cache_dir)
    out = tmp_path / "reports"
    args = [sys.executable, "-m", "mgg_geo", "reports", "--offline", "--draws", "10", "--out", "reports",
            "--no-progress", "--reference-date", "2026-01-01", "--workers", "1", "--gemeente", "Pekela", "Veendam"]
    build = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.time() + 300
    started = out / "notebooks" / cache.TEMP_DIR
    while time.time() < deadline and not list(started.glob("*.ipynb")):
        time.sleep(0.05)
    assert list(started.glob("*.ipynb")), "the build never started a notebook"
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    leftovers = list(out.rglob(cache.TEMP_DIR))
    assert leftovers  # the kill left a half-written notebook behind ...
    assert not list(out.glob("*.html")) or all(p.stat().st_size > 0 for p in out.glob("*.html"))
    proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not list(out.rglob(cache.TEMP_DIR))  # ... which the rerun removed
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="GM0765-pekela.html"' in index and 'href="GM0047-veendam.html"' in index


# ---------------------------------------------------------------- large registers


def test_a_20000_row_register_makes_a_small_map_page(province_analysis, tmp_path):
    result = province_analysis
    rng = np.random.default_rng(1)
    areas = result.areas
    minx, miny, maxx, maxy = areas[areas["gemeente_code"] == "GM0014"].total_bounds
    n = 20_000
    sites = gpd.GeoDataFrame({"name": [f"Initiatief nummer {i:05d} in de stad" for i in range(n)],
                              "programme": rng.choice(["STORM", "jongerenwerk", "Move aHead"], n),
                              "placement": rng.choice(["address", "area"], n), "area_wide": False},
                             geometry=[Point(x, y) for x, y in zip(rng.uniform(minx, maxx, n),
                                                                   rng.uniform(miny, maxy, n), strict=True)],
                             crs=settings.CRS_ANALYSIS)
    page = webmap.save_map(webmap.interactive(areas, "need_index", legend_title="Behoefte-index",
                                              tooltip={"need_index": ("Behoefte-index", 2, "")}, sites=sites),
                           tmp_path / "groot.html")
    assert page.stat().st_size < 2 * 1024 * 1024, page.stat().st_size
