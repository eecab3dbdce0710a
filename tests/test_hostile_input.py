"""No input can run code, delete a file, escape its folder, exhaust memory or hang.

Each test hands mgg_geo what a careless or hostile user could: a workbook that unpacks to a gigabyte, a
gzip bomb named ``.csv``, XML entities, a server that answers a byte a second, braces in a path, a
relative register beside another one, a cache manifest that points outside the cache, a symlink, hidden
files of the user's own in ``--out``, a full disk, a bad environment variable, a Dutch Excel CSV with
quoted quotes and commas. Every case ends in bounded time with one ``error:`` line (or does the right
thing), and nothing of the user's is touched.
"""
import datetime as dt
import errno
import gzip
import io
import json
import os
import re
import resource
import shutil
import socketserver
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import Workbook

from mgg_geo import settings
from mgg_geo.data import _http, cache, files
from mgg_geo.errors import CacheError, DataError, SourceError
from mgg_geo.supply import initiatives
from tests import register_world as world

ADDRESS_SPACE = 2 << 30  # 2 GB, as the issue asks


def run_cli(args, cwd, env, *, limit_memory=False, timeout=120):
    """``mgg-geo ARGS`` in a subprocess (optionally under a 2 GB address-space limit); returns (proc, seconds)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "mgg_geo", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit if limit_memory else None)
    return proc, time.monotonic() - started


def env_for(cache_dir: Path, **extra) -> dict:
    closed = "http://127.0.0.1:9"
    return {**os.environ, "MGG_CACHE_DIR": str(cache_dir), "MGG_HTTP_RETRIES": "0",
            **{n: closed for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL", "MGG_PDOK_SERVICE_URL",
                                   "MGG_PDOK_API_URL")}, **extra}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ---------------------------------------------------------------- hostile files


def workbook_bomb(path: Path, size: int = 1 << 30) -> Path:
    """A 5 MB .xlsx whose worksheet part unpacks to ``size`` bytes (the fastest deflate: 1 s instead of 3 s)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as fh:
            chunk = b" " * (1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
    return path


def gzip_bomb(path: Path, size: int = 1 << 30) -> Path:
    """A gzip stream of ``size`` bytes of CSV, under a name that says ``.csv`` (the fastest deflate)."""
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(b"naam;programma\n")
        chunk = b"a" * (1 << 20)
        for _ in range(size >> 20):
            fh.write(chunk)
    return path


def entity_workbook(path: Path) -> Path:
    """A real register workbook whose worksheet declares nested XML entities ("billion laughs")."""
    book = Workbook()
    book.active.append(["naam", "programma", "gebiedscode"])
    book.active.append(["&lol9;", "STORM", "WK001401"])
    buffer = io.BytesIO()
    book.save(buffer)
    laughs = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                prolog = b'<?xml version="1.0" encoding="UTF-8"?>'
                data = prolog + b"<!DOCTYPE lolz [" + "".join(laughs).encode() + b"]>" + data.removeprefix(prolog)
                assert b"<!ENTITY lol9" in data
            dst.writestr(item, data)
    return path


def sparse_csv(path: Path, size: int = 300_000_000) -> Path:
    """A 300 MB CSV (sparse on disk: made in an instant)."""
    with open(path, "wb") as fh:
        fh.write(b"naam;programma\n")
        fh.truncate(size)
    return path


HOSTILE_FILES = {"workbook bomb": (workbook_bomb, "bomb.xlsx"), "gzip named csv": (gzip_bomb, "register.csv"),
                 "xml entities": (entity_workbook, "entities.xlsx"), "300 MB csv": (sparse_csv, "huge.csv")}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-files")
    return {label: make(root / name) for label, (make, name) in HOSTILE_FILES.items()}


@pytest.mark.slow  # a process of its own
@pytest.mark.parametrize("label", HOSTILE_FILES)
def test_register_check_refuses_a_hostile_file_fast_and_small(label, hostile_files, tmp_path):
    proc, seconds = run_cli(["register", "check", str(hostile_files[label]), "--offline"], tmp_path,
                            env_for(tmp_path / "cache"), limit_memory=True)
    assert proc.returncode in (1, 2), proc.stderr[-2000:]
    assert seconds < 60, seconds
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert str(hostile_files[label]) in lines[0] and "refused" in lines[0]


@pytest.mark.shared
@pytest.mark.parametrize("label", ["workbook bomb", "gzip named csv", "xml entities"])
def test_reports_refuse_a_hostile_register_fast_and_small(label, hostile_files, imported_cache, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    proc, seconds = run_cli(["reports", "--offline", "--gemeente", "Pekela", "--draws", "10", "--no-progress",
                             "--register", str(hostile_files[label]), "--out", "reports"], tmp_path,
                            env_for(cache_dir), limit_memory=True)
    assert proc.returncode in (1, 2) and seconds < 60, (seconds, proc.stderr[-2000:])
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and str(hostile_files[label]) in lines[0], proc.stderr[-2000:]


@pytest.mark.slow  # a process of its own
def test_an_import_unpacks_a_gzip_bomb_only_up_to_its_limit(tmp_path):
    bomb = gzip_bomb(tmp_path / "kwb-2021.csv", 64 << 20)
    proc, seconds = run_cli(["import", "kwb", str(bomb)], tmp_path,
                            env_for(tmp_path / "cache", MGG_MAX_IMPORT_BYTES=str(16 << 20)), limit_memory=True)
    assert proc.returncode in (1, 2) and seconds < 60
    assert error_lines(proc.stderr) == [error_lines(proc.stderr)[0]]
    assert "unpacks to more than 17 MB" in proc.stderr and "MGG_MAX_IMPORT_BYTES" in proc.stderr


def test_a_workbook_that_inflates_beyond_what_it_declares_is_refused(tmp_path):
    """A zip whose central directory understates a part's size is caught while the part is read."""
    path = workbook_bomb(tmp_path / "liar.xlsx", 8 << 20)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    central = data.rfind(b"PK\x01\x02")  # the last central-directory record: the worksheet's
    data[central + 24:central + 28] = (100).to_bytes(4, "little")  # declared size: 100 bytes
    path.write_bytes(bytes(data))
    assert info.file_size == 8 << 20
    limits = files.Limits("initiative register", 1 << 20, 1000, False, "MGG_MAX_REGISTER_BYTES")
    with pytest.raises(DataError, match="unpacks to|damaged"):
        files.check_workbook(path, limits)


def test_too_many_rows_are_refused_before_placement(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "MAX_REGISTER_ROWS", 50)
    path = tmp_path / "register.csv"
    path.write_text("naam;programma;gebiedscode\n" + "".join(f"Plek {i};STORM;WK001401\n" for i in range(60)),
                    encoding="utf-8")
    with pytest.raises(initiatives.RegisterError, match=r"60 rows; refused .*50 rows"):
        initiatives.load(path, boundaries=world.layers(), geocode=False)


def test_a_cell_over_the_csv_limit_names_its_line(tmp_path):
    """A cell of 140,000 characters: "cannot be read as a CSV or Excel table (Error: field larger than field
    limit (131072))" named neither row nor what to do (attack on the register)."""
    path = tmp_path / "register.csv"
    path.write_text("naam;programma;x;y\nJeugdhonk;STORM;232000;577000\n" + "A" * 140_000 + ";STORM;1;2\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"register.csv, line 3: cannot be read .*A cell longer than 131,072 "
                                        r"characters .*shorten the cell"):
        files.read_table(path, files.register_limits())


def test_a_dutch_excel_csv_with_quoted_quotes_and_commas_is_read(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes('naam;programma;gebiedscode;opmerkingen\r\n'
                     '"Training ""Op Volle Kracht"", klas 2";STORM;WK001401;"a, b; c"\r\n'
                     'Buurtteam;KoPPeLing;WK001400;\r\n'.encode("cp1252"))
    reg = initiatives.load(path, boundaries=world.layers(), geocode=False)
    assert list(reg.initiatives["name"]) == ['Training "Op Volle Kracht", klas 2', "Buurtteam"]
    assert reg.initiatives["notes"].iloc[0] == "a, b; c" and not reg.errors


def test_a_header_naming_a_column_twice_is_one_clear_error(tmp_path):
    """``naam;naam;programma;gebiedscode`` ended in "unexpected AttributeError" (attack on the readers)."""
    path = tmp_path / "register.csv"
    path.write_text("naam;naam;programma;gebiedscode\nA;B;STORM;WK001401\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"register.csv: the header names the column\(s\) 'naam' more than once"):
        initiatives.load(path, boundaries=world.layers(), geocode=False)


class Listener(socketserver.ThreadingTCPServer):
    """Counts the connections made to it (and answers none)."""

    daemon_threads = True

    def __init__(self):
        self.hits = 0
        super().__init__(("127.0.0.1", 0), self._Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    class _Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.server.hits += 1


def _geopackage(path: Path, *, view: bool = False, geometry: bool = True) -> Path:
    frame = pd.DataFrame({"naam": ["Jeugdhonk"], "programma": ["STORM"], "gebiedscode": ["WK001401"]})
    if geometry:
        frame = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([232000], [577000]), crs="EPSG:28992")
        frame.to_file(path, driver="GPKG", layer="plekken")  # with its R-tree spatial index (a virtual table)
    else:
        import pyogrio

        pyogrio.write_dataframe(frame, path, driver="GPKG", layer="plekken")
    if view:
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE VIEW endless AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                       "SELECT i FROM n")
    return path


def test_a_geodata_file_is_what_its_name_says_or_it_is_not_opened(tmp_path):
    """GDAL picks its driver from the content: 300 bytes of OGR VRT named ``.geojson`` read a local file into the
    report, or fetched a URL despite --offline; a GeoPackage with a recursive view read without end (attack on the
    register and boundary readers). Such files are refused before GDAL opens them; real ones are read."""
    from mgg_geo.data import imports

    secret = tmp_path / "secret.csv"
    secret.write_text("naam,programma,gebiedscode\nGEHEIM-UIT-EEN-ANDER-BESTAND,STORM,WK001401\n", encoding="utf-8")
    listener = Listener()
    try:
        for name, source in (("local.geojson", str(secret)),
                             ("net.geojson", f"/vsicurl/http://127.0.0.1:{listener.server_address[1]}/x.csv")):
            vrt = tmp_path / name
            vrt.write_text(f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource>'
                           '</OGRVRTLayer></OGRVRTDataSource>', encoding="utf-8")
            with pytest.raises(DataError, match=rf"{name}: this is not a GeoJSON file") as refused:
                initiatives.load(vrt, boundaries=world.layers(), geocode=False)
            assert "GEHEIM" not in str(refused.value)
            with pytest.raises(DataError, match=rf"{name}: this is not a GeoJSON file"):
                imports.import_boundaries(vrt, level="wijk", year=2024)
        time.sleep(0.2)
        assert listener.hits == 0
    finally:
        listener.shutdown()
        listener.server_close()
    endless = _geopackage(tmp_path / "view.gpkg", view=True)
    started = time.monotonic()
    with pytest.raises(DataError, match=r"view.gpkg: the GeoPackage holds views or virtual tables \(endless\)"):
        initiatives.load(endless, boundaries=world.layers(), geocode=False)
    assert time.monotonic() - started < 5
    shutil.copy(endless, tmp_path / "package.geojson")
    with pytest.raises(DataError, match=r"package.geojson: this is not a GeoJSON file"):
        initiatives.load(tmp_path / "package.geojson", boundaries=world.layers(), geocode=False)
    (tmp_path / "json.gpkg").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(DataError, match=r"json.gpkg: this is not a GeoPackage"):
        initiatives.load(tmp_path / "json.gpkg", boundaries=world.layers(), geocode=False)
    with pytest.raises(DataError, match=r"shapes.shp: give a GeoJSON \(.geojson\) or GeoPackage"):
        (tmp_path / "shapes.shp").write_bytes(b"\x00\x00\x27\x0a")
        imports.import_boundaries(tmp_path / "shapes.shp", level="wijk", year=2024)
    # a GeoPackage as GDAL writes it (an R-tree index), and one without geometries (a table: placed by its codes)
    placed = initiatives.load(_geopackage(tmp_path / "plain.gpkg"), boundaries=world.layers(), geocode=False)
    assert placed.initiatives[["name", "placement"]].values.tolist() == [["Jeugdhonk", "exact"]]
    table = initiatives.load(_geopackage(tmp_path / "table.gpkg", geometry=False), boundaries=world.layers(),
                             geocode=False)
    assert table.initiatives[["name", "area_code"]].values.tolist() == [["Jeugdhonk", "WK001401"]]
    assert table.initiatives["placement"].iloc[0] != "exact" and not table.errors


# ---------------------------------------------------------------- servers that never finish


class Trickle(socketserver.ThreadingTCPServer):
    """Answers every request with a valid HTTP response, one byte per ``pause`` seconds."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, pause=0.5, body=b'{"value": []}', status=b"200 OK", headers=b""):
        self.pause, self.body, self.status, self.headers = pause, body, status, headers
        super().__init__(("127.0.0.1", 0), self._Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()  # shuts down in 0.05 s

    class _Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            body = self.server.body
            message = (b"HTTP/1.1 " + self.server.status + b"\r\n" + self.server.headers
                       + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                       + b"\r\n\r\n" + body)
            try:
                if not self.server.pause:
                    self.request.sendall(message)
                for i in range(len(message)) if self.server.pause else ():
                    self.request.sendall(message[i:i + 1])
                    time.sleep(self.server.pause)
            except OSError:
                pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def trickle():
    server = Trickle()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.slow  # a process of its own
def test_data_fetch_against_a_trickling_server_ends_on_its_own(trickle, tmp_path):
    env = env_for(tmp_path / "cache", MGG_HTTP_DEADLINE="1.5", MGG_HTTP_RETRIES="3",
                  **{n: trickle.url for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                              "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")})
    proc, seconds = run_cli(["data", "fetch"], tmp_path, env)
    assert proc.returncode == 2 and seconds < 30, (seconds, proc.stderr)
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and "within 1.5 s (MGG_HTTP_DEADLINE)" in lines[0] and trickle.url in lines[0]


def test_the_deadline_covers_the_whole_answer_not_each_read(trickle, monkeypatch):
    monkeypatch.setattr(settings, "HTTP_DEADLINE", 1.0)  # the server sends a byte each 0.5 s
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", 30.0)  # each byte arrives well within the read timeout
    started = time.monotonic()
    with pytest.raises(SourceError, match="within 1 s"):
        _http.get_json(trickle.url + "/x", None, _http.RequestLog(), "test")
    assert time.monotonic() - started < 6


def test_a_server_asking_to_wait_a_day_cannot_hold_a_request_past_its_deadline(monkeypatch):
    """503 with "Retry-After: 86400" on every answer: urllib3 slept what the server asked, three times, and the
    deadline (which shuts sockets) could not end a sleep (attack on the deadline: 103 s for a 5 s deadline)."""
    server = Trickle(pause=0.0, status=b"503 Service Unavailable", headers=b"Retry-After: 86400\r\n")
    try:
        monkeypatch.setattr(settings, "HTTP_DEADLINE", 1.5)
        monkeypatch.setattr(settings, "HTTP_RETRIES", 3)
        monkeypatch.setattr(settings, "HTTP_BACKOFF", 0.0)
        started = time.monotonic()
        with pytest.raises(SourceError):
            _http.get_json(server.url + "/x", None, _http.RequestLog(), "test")
        assert time.monotonic() - started < 6
    finally:
        server.shutdown()
        server.server_close()


def test_an_answer_over_the_size_limit_is_refused(monkeypatch):
    server = Trickle(pause=0.0, body=b'{"value": "' + b"x" * 200_000 + b'"}')
    try:
        monkeypatch.setattr(settings, "MAX_ANSWER_BYTES", 100_000)
        with pytest.raises(SourceError, match="MGG_MAX_ANSWER_BYTES"):
            _http.get_json(server.url + "/big", None, _http.RequestLog(), "test")
        monkeypatch.setattr(settings, "MAX_ANSWER_BYTES", 1_000_000)
        assert len(_http.get_json(server.url + "/big", None, _http.RequestLog(), "test")["value"]) == 200_000
    finally:
        server.shutdown()
        server.server_close()


def test_geocoding_a_register_has_one_deadline(trickle, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "PDOK_API_URL", trickle.url)
    monkeypatch.setattr(settings, "GEOCODE_DEADLINE", 1.5)  # for all five addresses together
    monkeypatch.setattr(settings, "HTTP_RETRIES", 3)
    path = tmp_path / "register.csv"
    path.write_text("naam;programma;postcode;huisnummer;gebiedscode\n"
                    + "".join(f"Plek {i};STORM;9711 A{chr(65 + i)};{i + 1};WK001401\n" for i in range(5)),
                    encoding="utf-8")
    started = time.monotonic()
    reg = initiatives.load(path, boundaries=world.layers(), geocode=True, reference_date=dt.date(2026, 1, 1))
    assert time.monotonic() - started < 15
    assert set(reg.initiatives["placement"]) == {"area"}  # placed on their area codes instead
    assert any("geocoding unavailable" in p.message for p in reg.warnings)


# ---------------------------------------------------------------- paths mean what they say


#: The user's own files in the output folder (hidden, or in folders of their own): a build never touches them.
USER_FILES = (".journal.2023-12-31", "2023/photos/.thumb.1234-a.jpg", "notebooks/.GM0765-pekela.1-abc.ipynb",
              "kaarten/.x.2-y")


@pytest.fixture(scope="module")
def user_build(imported_cache, tmp_path_factory):
    """One ``mgg-geo reports`` run in a user's folder ``werk``: its own register under the same relative path as
    the project's shipped one, an output path with braces, and the user's hidden files already in that folder."""
    root = tmp_path_factory.mktemp("user-build")
    cache_dir = root / "cache"
    shutil.copytree(imported_cache, cache_dir)
    here = root / "werk"
    (here / "data" / "initiatives").mkdir(parents=True)
    (here / "data" / "initiatives" / "register.csv").write_text(
        "naam;programma;leeftijd_min;leeftijd_max;x;y\nEigen plek Oude Pekela;jongerenwerk;12;24;264500;567000\n",
        encoding="utf-8")
    out = here / "out" / "{level}" / "{gemeente_code}"
    for name in USER_FILES:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("mine", encoding="utf-8")
    proc, _ = run_cli(["reports", "--offline", "--gemeente", "Pekela", "--draws", "10", "--no-progress",
                       "--register", "data/initiatives/register.csv", "--out", "out/{level}/{gemeente_code}",
                       "--reference-date", "2026-01-01", "--workers", "1"], here, env_for(cache_dir), timeout=600)
    return proc, here, out


@pytest.mark.shared
def test_out_and_register_are_taken_literally_from_the_current_folder(user_build):
    proc, here, out = user_build
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "GM0765-pekela.html").is_file() and (out / "notebooks" / "GM0765-pekela.ipynb").is_file()
    assert not (here / "out" / "wijk").exists() and not (here / "out" / "{level}" / "GM0765").exists()
    report = (out / "GM0765-pekela.html").read_text(encoding="utf-8")
    assert "In het register staat in Pekela 1 fysieke locatie" in report  # this folder's register (shipped: none)
    assert "het register register.csv, opgegeven bij het maken van dit rapport" in report


@pytest.mark.shared
def test_a_build_keeps_the_users_hidden_files(user_build):
    proc, _, out = user_build
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert all((out / name).read_text(encoding="utf-8") == "mine" for name in USER_FILES)
    assert not list(out.rglob(cache.TEMP_DIR))  # and nothing of its own left behind


def _manifest(cache_dir: Path, name: str) -> Path:
    return cache_dir / f"{name}.json"


@pytest.mark.shared
@pytest.mark.parametrize("data_file", ["../outside.parquet", "/tmp/outside.parquet", "sub/x.parquet"])
def test_a_manifest_pointing_outside_the_cache_is_refused(data_file, imported_cache, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    monkeypatch.setattr(settings, "CACHE_DIR", cache_dir)
    path = _manifest(cache_dir, "kwb_2021_85039NED")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    shutil.copy(cache_dir / manifest["data_file"], tmp_path / "outside.parquet")
    manifest["data_file"] = data_file
    path.write_text(json.dumps(manifest), encoding="utf-8")
    entry = cache.find("kwb", year=2021)
    with pytest.raises(CacheError, match=r"kwb_2021_85039NED .* is damaged: .*not a file name inside the cache"):
        entry.load()
    proc, _ = run_cli(["analyse", "--offline", "--out", "a.csv", "--draws", "10"], tmp_path, env_for(cache_dir))
    lines = error_lines(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1 and "kwb_2021_85039NED" in lines[0], proc.stderr[-2000:]
    assert "mgg-geo import kwb" in lines[0]  # and the command that repairs it


@pytest.mark.shared
def test_links_in_the_cache_are_never_followed(imported_cache, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    monkeypatch.setattr(settings, "CACHE_DIR", cache_dir)
    manifest = json.loads(_manifest(cache_dir, "kwb_2021_85039NED").read_text(encoding="utf-8"))
    data = cache_dir / manifest["data_file"]
    outside = tmp_path / "elsewhere.parquet"
    shutil.move(data, outside)
    data.symlink_to(outside)
    with pytest.raises(CacheError, match="is a link"):
        cache.find("kwb", year=2021).load()
    boundaries = _manifest(cache_dir, "boundaries_2024_gemeente")
    shutil.move(boundaries, tmp_path / "elsewhere.json")
    boundaries.symlink_to(tmp_path / "elsewhere.json")
    assert not [e for e in cache.entries(warn=False) if e.name == "boundaries_2024_gemeente"]
    assert any("boundaries_2024_gemeente.json" in m and "link" in m for m in cache.damaged())


def test_a_fifo_or_a_huge_file_in_the_cache_is_named_not_read(tmp_path, monkeypatch):
    """A FIFO named like a manifest held every command forever (reading it never ends), and a 3 GB sparse one
    took 25 s and 6 GB to be called damaged (attack on the cache scan): neither is read now, both are named; the
    geocoding cache the same."""
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)
    os.mkfifo(tmp_path / "zz_planted.json")
    with open(tmp_path / "zz_huge.json", "wb") as fh:
        fh.truncate(settings.MAX_MANIFEST_BYTES + 1)  # sparse: no disk used
    started = time.monotonic()
    problems = cache.damaged()
    assert time.monotonic() - started < 5
    assert any("zz_planted.json" in m and "not a regular file" in m for m in problems), problems
    assert any("zz_huge.json" in m and "larger than 1.000.000 bytes" in m for m in problems), problems
    os.mkfifo(tmp_path / "geocode.json")
    from mgg_geo.data.pdok import Geocoder

    with pytest.warns(Warning, match="geocoding cache .* is damaged .*not a regular file"):
        assert Geocoder().answers == {}


def test_a_fifo_in_a_saved_analysis_or_the_reports_folder_is_never_read(tmp_path):
    """A FIFO as a saved analysis' manifest held ``analyse`` (its checksum was read to the end, which a FIFO
    never reaches), and one as a failure record in the reports folder held the index (attack on this stop's
    fix, which covered the cache's own manifests only): both are refused at once."""
    from mgg_geo import batch
    from mgg_geo.analysis import memo

    saved = tmp_path / "analyses" / "0123456789abcdef0123"
    saved.mkdir(parents=True)
    os.mkfifo(saved / "manifest.json")
    started = time.monotonic()
    with pytest.raises(OSError, match="not a regular file"):
        memo._load_once(saved)
    with pytest.raises(ValueError, match="not a regular file"):
        memo.load(saved)
    out = tmp_path / "reports"
    (out / "data").mkdir(parents=True)
    os.mkfifo(out / "data" / "GM0014.error.json")
    batch.write_index(out)
    assert time.monotonic() - started < 5 and (out / "index.html").is_file()


# ---------------------------------------------------------------- clean-up touches only its own files


def test_a_linked_subfolder_of_the_reports_folder_is_refused_before_anything_is_written(tmp_path):
    """``reports/kaarten`` a link to another folder: the batch wrote the map page there, replacing a file outside
    the reports folder (attack on --out). It is refused with one line that says what to do; nothing is written."""
    from mgg_geo import batch
    from mgg_geo.errors import ParameterError

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "GM0765.html").write_text("mine", encoding="utf-8")
    for name in batch.SUBFOLDERS:
        out = tmp_path / f"reports-{name}"
        out.mkdir()
        (out / name).symlink_to(victim, target_is_directory=True)
        with pytest.raises(ParameterError, match=rf"--out: .*{name} is a link .*Remove the link"):
            batch.prepare_output(out)
        assert sorted(p.name for p in out.iterdir()) == [name]
    file_there = tmp_path / "reports-file"
    file_there.mkdir()
    (file_there / "data").write_text("", encoding="utf-8")
    with pytest.raises(ParameterError, match="data is a file"):
        batch.prepare_output(file_there)
    assert (victim / "GM0765.html").read_text(encoding="utf-8") == "mine"


def test_a_folder_of_the_users_own_files_is_never_written_over(tmp_path):
    """``--out`` at a folder with the user's own ``index.html`` and ``data/GM0765.json``: a build replaced both
    without a word (attack on --out). A folder that is not a reports folder of mgg_geo and holds files a build
    would replace is refused before anything is written; a new folder, one with other files of the user's, one
    marked by an earlier build or one of a version before the mark are used."""
    from mgg_geo import batch
    from mgg_geo.errors import ParameterError

    album = tmp_path / "album"
    for name in ("index.html", "data/GM0765.json", "notebooks/vakantie.ipynb", "GM0014-groningen.pdf"):
        (album / name).parent.mkdir(parents=True, exist_ok=True)
        (album / name).write_text("mine", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"--out: .*album holds files that mgg_geo did not write and a build "
                                             r"would replace \(GM0014-groningen.pdf, data/GM0765.json, index.html "
                                             r"and 1 more\); choose a new or empty folder"):
        batch.prepare_output(album)
    assert sorted(str(p.relative_to(album)) for p in album.rglob("*") if p.is_file()) == [
        "GM0014-groningen.pdf", "data/GM0765.json", "index.html", "notebooks/vakantie.ipynb"]
    assert all(p.read_text(encoding="utf-8") == "mine" for p in album.rglob("*") if p.is_file())
    other = tmp_path / "other"  # the user's files that no build writes: the folder is used, and marked
    (other / "kaarten").mkdir(parents=True)
    (other / "README.md").write_text("mine", encoding="utf-8")
    (other / "kaarten" / ".thumbs").write_text("mine", encoding="utf-8")
    for out in (tmp_path / "new", other):
        assert batch.prepare_output(out) == out and (out / batch.MARKER).is_file()
    (other / "index.html").write_text("<html>an index of a build</html>", encoding="utf-8")
    assert batch.prepare_output(other) == other  # marked: its index is the batch's to replace
    earlier = tmp_path / "earlier"  # the reports of a version before the mark: build records in data/
    (earlier / "data").mkdir(parents=True)
    (earlier / "index.html").write_text("<html></html>", encoding="utf-8")
    (earlier / "data" / "GM0765.build.json").write_text("{}", encoding="utf-8")
    assert batch.prepare_output(earlier) == earlier


def test_ctrl_c_leaves_an_index_that_links_only_what_is_there(tmp_path, monkeypatch):
    """Ctrl-C during a --pdf run: the PDFs of the reports being rendered again were removed (no PDF older than its
    report stays), but index.html still linked them (attack on the batch). The index is written again on the way
    out; the interrupt still ends the run."""
    from mgg_geo import batch
    from mgg_geo.analysis.parameters import ReportParameters

    out = batch.prepare_output(tmp_path / "reports")
    (out / "index.html").write_text('<a href="GM0765-pekela.pdf">PDF</a>', encoding="utf-8")  # as before the run
    monkeypatch.setattr(batch.analysis, "run_cached", lambda params: None)
    monkeypatch.setattr(batch, "build_key", lambda found, job: "key")

    def interrupted(jobs, out, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "_run_jobs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        batch._run_batch(ReportParameters(offline=True), ["GM0765"], out, {}, workers=1, overview=False,
                         progress=False, retries=0, force=True, warm=True, pdf=True)
    assert "GM0765-pekela.pdf" not in (out / "index.html").read_text(encoding="utf-8")


def test_a_damaged_or_foreign_sidecar_leaves_its_report_out_of_a_new_index(tmp_path):
    """A sidecar with ``"population": "<b>x</b>"`` stopped the index with "unexpected ValueError" after the reports
    were rendered, and left the old index in place (attack on the reports folder). The report it belongs to is left
    out, as when its sidecar cannot be read; the others are listed."""
    from mgg_geo import batch

    out = batch.prepare_output(tmp_path / "reports")
    (out / "index.html").write_text("oude index", encoding="utf-8")
    (out / "data").mkdir(exist_ok=True)
    good = {"gemeente": "Pekela", "population": 10_000.0, "target_population": 2_500.0, "areas": 4,
            "sites_physical": 2, "area_wide_offers": ["KoPPeLing"], "areas_target_cell": 1,
            "target_within_reach_share": 0.5, "reach_km": 3.0, "level": "wijk", "target_group": "jongeren",
            "population_year": 2021}
    bad = [{"population": "<b>x</b>"}, {"areas": 2.5}, {"target_within_reach_share": float("inf")},
           {"area_wide_offers": [{"a": 1}]}, {"sites_physical": True}, ["not", "a", "dict"]]
    codes = ["GM0765", "GM0047", "GM0014", "GM0037", "GM1895", "GM1950", "GM1952"]
    for code, figures in zip(codes, [good, *({**good, **b} if isinstance(b, dict) else b for b in bad)], strict=True):
        (out / "data" / f"{code}.json").write_text(json.dumps(figures), encoding="utf-8")
        (out / f"{batch.report_name(code)}.html").write_text("<html></html>", encoding="utf-8")
    batch.write_index(out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="GM0765-pekela.html"' in index and "KoPPeLing" in index
    assert not [c for c in codes[1:] if f'href="{batch.report_name(c)}.html"' in index]
    assert "<b>x</b>" not in index


def test_clean_up_removes_only_the_leftovers_of_dead_runs(tmp_path):
    out = tmp_path / "reports"
    user = [out / ".journal.2023-12-31", out / "2023" / "photos" / ".thumb.1234-a.jpg",
            out / "notebooks" / ".GM0765-pekela.4242-abc.ipynb", out / ".mgg-tmp-not-ours" / "9999-x",
            out / "data" / "9999-notes.txt"]
    for path in user:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine", encoding="utf-8")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    leftovers = [out / cache.TEMP_DIR / f"{pid}-abc.index.html", out / "notebooks" / cache.TEMP_DIR / f"{pid}-x.ipynb"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half", encoding="utf-8")
    alive = out / cache.TEMP_DIR / f"{os.getpid()}-busy.html"
    alive.write_text("being written", encoding="utf-8")
    removed = cache.remove_stale(out)
    assert sorted(removed) == sorted(leftovers)
    assert all(p.read_text(encoding="utf-8") == "mine" for p in user) and alive.exists()
    assert not (out / "notebooks" / cache.TEMP_DIR).exists()


def test_an_interrupted_write_leaves_neither_a_final_nor_a_temporary_file(tmp_path):
    target = tmp_path / "out" / "rapport.html"
    with pytest.raises(OSError) as caught:
        with cache.atomic_file(target, suffix=".html") as tmp:
            tmp.write_text("half a rep", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.errno == errno.ENOSPC
    assert not target.exists() and list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- a full disk


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.mark.shared
def test_a_full_disk_gives_one_line_and_no_truncated_report(memo_cache, tmp_path):
    out = tmp_path / "klein"
    if not _mount_tmpfs(out, "1500k"):
        pytest.skip("a full disk is simulated with a 1.5 MB tmpfs, which needs root (mount -t tmpfs)")
    try:
        cache_dir = tmp_path / "cache"
        shutil.copytree(memo_cache, cache_dir)  # its analysis saved (on another disk), as after an earlier run
        proc, _ = run_cli(["reports", "--offline", "--gemeente", "Pekela", "Veendam", "--draws", "10",
                           "--no-progress", "--out", str(out), "--reference-date", "2026-01-01"], tmp_path,
                          env_for(cache_dir), timeout=600)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
        problems = [line for line in proc.stderr.splitlines() if line.startswith(("failed:", "error:"))]
        assert problems and all(f"no space left on the disk of {out}" in line for line in problems), problems
        import nbformat

        for notebook in (out / "notebooks").glob("*.ipynb"):
            nbformat.validate(nbformat.read(notebook, as_version=4))  # complete, or not there at all
        for page in out.rglob("*.html"):
            assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
        for sidecar in (out / "data").glob("*.json"):
            json.loads(sidecar.read_text(encoding="utf-8"))
        if (out / "index.html").exists():
            index = (out / "index.html").read_text(encoding="utf-8")
            for code, name in (("GM0765", "GM0765-pekela"), ("GM0047", "GM0047-veendam")):
                assert (f'href="{name}.html"' in index) == (out / f"{name}.html").exists(), code
        assert not list(out.rglob(cache.TEMP_DIR))
    finally:
        subprocess.run(["umount", str(out)], check=False)


# ---------------------------------------------------------------- settings and cache defects


def test_retries_and_back_off_have_an_upper_bound(monkeypatch):
    """MGG_HTTP_RETRIES=1000000 and MGG_HTTP_BACKOFF=1e9 were accepted (attack on the settings): a run could
    retry a failing service a million times."""
    from mgg_geo.errors import SettingsError

    monkeypatch.setenv("MGG_HTTP_RETRIES", "1000000")
    with pytest.raises(SettingsError, match=r"MGG_HTTP_RETRIES: '1000000' is not allowed; give a number from 0 to 10"):
        settings._env_int("MGG_HTTP_RETRIES", 3, minimum=0, maximum=10)
    monkeypatch.setenv("MGG_HTTP_RETRIES", "10")
    assert settings._env_int("MGG_HTTP_RETRIES", 3, minimum=0, maximum=10) == 10
    source = (Path(settings.__file__)).read_text(encoding="utf-8")  # the settings use these bounds
    assert '_env_int("MGG_HTTP_RETRIES", 3, minimum=0, maximum=10)' in source
    assert '_env_float("MGG_HTTP_BACKOFF", 1.0, minimum=0.0, maximum=60.0)' in source
    for name in ("HTTP_CONNECT_TIMEOUT", "HTTP_TIMEOUT", "HTTP_DEADLINE", "GEOCODE_DEADLINE"):  # an hour at most
        assert re.search(rf'_env_float\("MGG_{name}", [\d.]+, maximum=3600.0\)', source), name


@pytest.mark.parametrize("variable, value", [("MGG_HTTP_TIMEOUT", "abc"), ("MGG_HTTP_RETRIES", "-1"),
                                             ("MGG_HTTP_BACKOFF", "1e9"), ("MGG_HTTP_DEADLINE", "nan"),
                                             ("MGG_MAX_REGISTER_ROWS", "1.5"),
                                             ("MGG_PDOK_API_URL", "file:///etc/passwd"),
                                             ("MGG_CACHE_DIR", "/etc/hostname")])
@pytest.mark.slow  # a process of its own
def test_a_bad_environment_setting_gives_one_line(variable, value, tmp_path):
    proc, _ = run_cli(["data", "status"], tmp_path, env_for(tmp_path / "cache", **{variable: value}))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert error_lines(proc.stderr) == [proc.stderr.strip()] and proc.stderr.startswith(f"error: {variable}: ")


@pytest.mark.shared
def test_cache_defects_are_named_with_the_command_that_repairs_them(imported_cache, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    (cache_dir / "kwb_2019_broken.json").write_text("{not json", encoding="utf-8")
    # a boundaries entry whose data has the wrong schema (no 'level' column), with a matching checksum
    manifest_path = _manifest(cache_dir, "boundaries_2024_wijk")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    data = cache_dir / manifest["data_file"]
    gpd.read_parquet(data).drop(columns=["level"]).to_parquet(data)
    manifest["sha256"] = cache.sha256(data)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    env = env_for(cache_dir)
    status, _ = run_cli(["data", "status"], tmp_path, env)
    assert status.returncode == 0, status.stderr
    assert "damaged: Cache entry kwb_2019_broken.json is damaged: not valid JSON" in status.stdout
    assert "boundaries_2024_wijk" in status.stdout and "lacks the column(s) level" in status.stdout
    assert "mgg-geo import boundaries" in status.stdout
    proc, _ = run_cli(["analyse", "--offline", "--out", "a.csv", "--draws", "10"], tmp_path, env)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
    assert "boundaries_2024_wijk" in lines[0] and "lacks the column(s) level" in lines[0]
    assert "warning: Cache entry kwb_2019_broken.json is damaged" in proc.stderr


def test_a_damaged_geocoding_cache_is_ignored_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)
    (tmp_path / "geocode.json").write_text("[1, 2", encoding="utf-8")
    from mgg_geo.data.pdok import Geocoder

    with pytest.warns(Warning, match="geocoding cache .* is damaged"):
        assert Geocoder().answers == {}


# ---------------------------------------------------------------- fully covered municipalities


def covering_register(path: Path, cache_dir: Path) -> Path:
    """The shipped register plus a youth site on every buurt of Pekela: the whole municipality within reach."""
    buurten = next(e for e in cache.entries(warn=False) if e.name == "boundaries_2024_buurt").load()
    rows = [f"Jongerenplek {code};jongerenwerk;10;24;{g.representative_point().x:.0f};"
            f"{g.representative_point().y:.0f}"
            for code, g in zip(buurten["code"], buurten.geometry, strict=True) if code.startswith("BU0765")]
    shipped = pd.read_csv(settings.REGISTER_PATH, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    extra = pd.DataFrame([dict(zip(["naam", "programma", "leeftijd_min", "leeftijd_max", "x", "y"],
                                   r.split(";"), strict=True)) for r in rows])
    pd.concat([shipped, extra], ignore_index=True).fillna("").to_csv(path, sep=";", index=False,
                                                                      encoding="utf-8-sig")
    return path


@pytest.mark.shared
def test_every_report_renders_when_one_municipality_is_fully_covered(imported_cache, tmp_path, monkeypatch):
    from mgg_geo import batch
    from mgg_geo.analysis.parameters import ReportParameters

    cache_dir = tmp_path / "cache"
    shutil.copytree(imported_cache, cache_dir)
    monkeypatch.setattr(settings, "CACHE_DIR", cache_dir)
    monkeypatch.setenv("MGG_CACHE_DIR", str(cache_dir))
    register = covering_register(tmp_path / "register.csv", cache_dir)
    params = ReportParameters(offline=True, reference_date="2026-01-01", draws=20, register_path=register)
    # rendered: the covered municipality, another one and the overview (which ranks them all) ...
    result = batch.run(params, reports_for=["Pekela", "Groningen"], out_dir=tmp_path / "reports", progress=False)
    assert result.exit_code == 0, [o.error for o in result.failures]
    assert len(result.outcomes) == 3
    from mgg_geo import analysis
    from mgg_geo.data import regions
    from mgg_geo.present import reports

    saved = analysis.run_cached(params)  # the saved analysis, as the notebooks read it
    for code in regions.MUNICIPALITIES:  # ... and every section of every municipality's report, from it
        report = reports.MunicipalityReport(saved, code)
        for section in ("title", "summary", "key_figures", "register", "priorities", "comparison", "young_adults",
                        "what_if", "next_school", "trends", "quality", "method", "sources", "parameters"):
            assert getattr(report, section)(), (code, section)
    assert saved.whatif.loc["GM0765", "reason"] == "covered"
    assert saved.figures.loc["GM0765", "target_within_reach_share"] == pytest.approx(1.0)
    page = (tmp_path / "reports" / "GM0765-pekela.html").read_text(encoding="utf-8")
    assert "Er is geen nieuwe locatie voorgesteld: alle jongeren" in page
    figures = json.loads((tmp_path / "reports" / "data" / "GM0765.json").read_text(encoding="utf-8"))
    assert figures["whatif_reason"] == "covered"
    others = json.loads((tmp_path / "reports" / "data" / "GM0014.json").read_text(encoding="utf-8"))
    assert others["whatif_reason"] is None
