"""Reading the files users hand over: bounded in size, never unpacked blindly, CSV as Excel writes it.

Every file a user gives mgg_geo (an initiative register, a KWB or RIVM
download, a boundary file) is checked *before* it is parsed, against the
limits of its kind (:class:`Limits`, from :mod:`mgg_geo.settings`):

* its size on disk;
* for a gzip-compressed file (allowed for imports only: a register is never
  compressed), its size once unpacked, read in a stream that stops at the
  limit;
* for an Excel workbook (a zip of XML parts), the unpacked size of its parts
  as the zip declares them and as they really inflate, and whether any part
  declares a DTD or XML entities (a workbook saved by Excel never does; such
  a part is how "billion laughs" attacks are built);
* its number of rows, counted before the rows are parsed where the format
  allows (CSV) and after reading otherwise.

A refused file gives one :class:`~mgg_geo.errors.DataError` that names the
file, the limit and the setting that raises it.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mgg_geo import settings
from mgg_geo.errors import DataError
from mgg_geo.text import has_invisible, visible

#: File suffixes read as Excel workbooks.
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
#: Leading bytes of compressed formats: gzip (unpacked for imports), and the rest (always refused).
GZIP_MAGIC = b"\x1f\x8b"
OTHER_COMPRESSED = {b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"7z\xbc\xaf\x27\x1c": "7-zip", b"(\xb5/\xfd": "zstd"}
_ENTITY = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How large a file of one kind may be.

    Attributes
    ----------
    what
        The kind, as messages name it ("initiative register", "imported file").
    max_bytes
        Bytes on disk, and bytes once unpacked (gzip, the parts of a workbook).
    max_rows
        Data rows (None: no limit beyond the size).
    compressed
        Whether a gzip-compressed file is accepted (unpacked in a bounded stream).
    settings
        The environment variables that raise the limits (named in every refusal).
    """

    what: str
    max_bytes: int
    max_rows: int | None
    compressed: bool
    settings: str

    def refuse(self, path: Path, why: str) -> DataError:
        """The one error for a file beyond these limits."""
        return DataError(f"{path}: {why}; refused (limits of an {self.what}: {_mb(self.max_bytes)}"
                         + (f" and {self.max_rows:,} rows" if self.max_rows else "")
                         + f", set by {self.settings}).")


def register_limits() -> Limits:
    """The limits of an initiative register (read at call time from :mod:`mgg_geo.settings`)."""
    return Limits("initiative register", settings.MAX_REGISTER_BYTES, settings.MAX_REGISTER_ROWS, False,
                  "MGG_MAX_REGISTER_BYTES / MGG_MAX_REGISTER_ROWS")


def import_limits() -> Limits:
    """The limits of a file for the offline route (KWB, RIVM, boundaries)."""
    return Limits("imported file", settings.MAX_IMPORT_BYTES, None, True, "MGG_MAX_IMPORT_BYTES")


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{n:,.0f} bytes"


def check_size(path: str | Path, limits: Limits) -> int:
    """The size of ``path`` in bytes, after checking that it is a file within ``limits.max_bytes``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise limits.refuse(path, f"the file is {_mb(size)}")
    return size


def read_bytes(path: str | Path, limits: Limits) -> bytes:
    """The bytes of a text file, unpacked when gzip-compressed (imports only), never beyond the limits."""
    path = Path(path)
    check_size(path, limits)
    with open(path, "rb") as fh:
        head = fh.read(8)
    for magic, name in OTHER_COMPRESSED.items():
        if head.startswith(magic):
            raise limits.refuse(path, f"this is a {name}-compressed file; unpack it first")
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() not in EXCEL_SUFFIXES:
        raise limits.refuse(path, "this is a zip archive, not a CSV file; unpack it (or give the .xlsx name)")
    if not head.startswith(GZIP_MAGIC):
        return path.read_bytes()
    if not limits.compressed:
        raise limits.refuse(path, "this is a gzip-compressed file; save it as a plain CSV")
    out = io.BytesIO()
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                if out.tell() + len(chunk) > limits.max_bytes:
                    raise limits.refuse(path, f"it unpacks to more than {_mb(limits.max_bytes)}")
                out.write(chunk)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: the gzip data is damaged ({exc}).") from None
    return out.getvalue()


def check_workbook(path: str | Path, limits: Limits) -> None:
    """Refuse a workbook that unpacks beyond the limits or whose XML declares a DTD or entities.

    Old ``.xls`` workbooks are not zip files: only their size is checked.
    """
    path = Path(path)
    check_size(path, limits)
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".xls":
            return
        raise DataError(f"{path}: cannot be read as an Excel workbook (an .xlsx file is a zip archive, this is not); "
                        "save it again from Excel.")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            declared = sum(p.file_size for p in parts)
            if len(parts) > 10_000 or declared > limits.max_bytes:
                raise limits.refuse(path, f"the workbook unpacks to {_mb(declared)} in {len(parts):,} parts")
            total = 0
            for part in parts:
                tail = b""
                with archive.open(part) as fh:
                    while chunk := fh.read(_CHUNK):
                        total += len(chunk)
                        if total > limits.max_bytes:  # a part that inflates beyond what it declares
                            raise limits.refuse(path, f"the workbook unpacks to more than {_mb(limits.max_bytes)}")
                        if part.filename.endswith((".xml", ".rels", ".vml")) and _ENTITY.search(tail + chunk):
                            raise limits.refuse(path, f"its part {part.filename} declares a DTD or XML entities, "
                                                      "which no workbook saved by Excel does")
                        tail = chunk[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
        raise DataError(f"{path}: the workbook is damaged ({exc}); save it again from Excel.") from None


def check_rows(path: str | Path, frame: pd.DataFrame, limits: Limits) -> pd.DataFrame:
    """``frame`` when it has at most ``limits.max_rows`` rows."""
    if limits.max_rows and len(frame) > limits.max_rows:
        raise limits.refuse(Path(path), f"it has {len(frame):,} rows")
    return frame


def read_table(path: str | Path, limits: Limits | None = None) -> pd.DataFrame:
    """Read a CSV (any common delimiter and encoding; gzipped for imports) or Excel file as text, bounded.

    Raises
    ------
    DataError
        For a missing, empty, binary, oversized or unreadable file; the message names it.
    """
    path = Path(path)
    limits = limits or import_limits()
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            check_workbook(path, limits)
            frame = pd.read_excel(path, dtype=str, sheet_name=0, keep_default_na=False)  # markers parsed later
        else:
            frame = read_csv_bytes(read_bytes(path, limits), path, limits)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear message
        raise DataError(f"{path}: cannot be read as a CSV or Excel table ({type(exc).__name__}: {exc}).") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError(f"{path}: the table has a header but no rows.")
    return visible_frame(check_rows(path, frame, limits), path)


def visible_frame(frame: pd.DataFrame, path: str | Path = "") -> pd.DataFrame:
    """``frame`` with the invisible characters (:data:`mgg_geo.text.INVISIBLE`) removed from its column names and
    text cells; the cells changed are listed in ``attrs["invisible"]`` as ``(index, column)`` (column: the cleaned
    name; index None for a column name), so that a reader can name them.

    Raises
    ------
    DataError
        When two columns have one name (once cleaned): which of them holds the value is not for mgg_geo to guess
        (a header ``naam;naam;...`` stopped the register check with an internal error: attack on the readers).
    """
    changed = [(None, visible(str(c))) for c in frame.columns if has_invisible(str(c))]
    frame = frame.rename(columns={c: visible(str(c)) for c in frame.columns if has_invisible(str(c))})
    twice = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if twice:
        raise DataError(f"{path}: the header names the column(s) {', '.join(repr(c) for c in twice)} more than "
                        "once; keep one column of each name.")
    for column in frame.columns:
        if frame[column].dtype != object and not pd.api.types.is_string_dtype(frame[column]):
            continue
        hit = frame[column].map(has_invisible).to_numpy(dtype=bool)
        if hit.any():
            frame.loc[hit, column] = frame.loc[hit, column].map(visible)
            changed += [(i, column) for i in frame.index[hit]]
    frame.attrs["invisible"] = changed
    return frame


def read_excel_sheets(path: str | Path, limits: Limits) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook as text (a cell reading "NA" or "NULL" stays text), bounded."""
    path = Path(path)
    check_workbook(path, limits)
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"{path}: cannot be read as an Excel workbook ({type(exc).__name__}: {exc}).") from exc
    return {name: visible_frame(check_rows(path, frame, limits), path) for name, frame in sheets.items()}


#: File suffixes read as geodata, and what each must be (:func:`check_geo`).
GEO_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage"}
#: The first bytes of every GeoPackage (an SQLite database).
SQLITE_MAGIC = b"SQLite format 3\x00"


def check_geo(path: Path) -> None:
    """Refuse a geodata file that is not what its name says, before GDAL opens it.

    GDAL chooses a driver from a file's content, not its name: a few hundred bytes of OGR VRT XML named
    ``.geojson`` made it read any local file into a report, fetch a URL despite ``--offline`` (``/vsicurl/``) and
    read past the size limit, and a GeoPackage layer that is a recursive SQL view ran without end (attack on the
    register and boundary readers). So a ``.geojson``/``.json`` file must be JSON (its first character ``{``) and a
    ``.gpkg`` file an SQLite database whose tables are data: no view, and no virtual table but the R-tree of a
    spatial index.
    """
    kind = GEO_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path}: give a GeoJSON (.geojson) or GeoPackage (.gpkg) file.")
    with open(path, "rb") as fh:
        head = fh.read(64)
    if kind == "GeoJSON":
        if not head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
            raise DataError(f"{path}: this is not a GeoJSON file (GeoJSON starts with '{{'); save it as GeoJSON or "
                            "give it the name of its format.")
        return
    if not head.startswith(SQLITE_MAGIC):
        raise DataError(f"{path}: this is not a GeoPackage (an SQLite database); save it as GeoPackage or give it "
                        "the name of its format.")
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)) as db:
            schema = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    except sqlite3.Error as exc:
        raise DataError(f"{path}: the GeoPackage is damaged ({exc}).") from None
    odd = [str(name) for kind_, name, sql in schema if kind_ == "view" or (
        kind_ == "table" and re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE\b", str(sql or ""), re.I)
        and not re.search(r"\bUSING\s+rtree\s*\(", str(sql), re.I))]
    if odd:
        raise DataError(f"{path}: the GeoPackage holds views or virtual tables ({', '.join(odd[:5])}), which are "
                        "not read; save the layer as a plain table (e.g. QGIS: Export, Save Features As).")


def read_geo(path: str | Path, limits: Limits):
    """A GeoJSON or GeoPackage file as a GeoDataFrame, after the size and format checks (:func:`check_geo`)."""
    import geopandas as gpd

    path = Path(path)
    check_size(path, limits)
    check_geo(path)
    try:
        frame = gpd.read_file(path, engine="pyogrio",
                              **({"max_features": limits.max_rows + 1} if limits.max_rows else {}))
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"{path}: cannot be read as GeoJSON or GeoPackage ({type(exc).__name__}: {exc}).") from exc
    return visible_frame(frame, path)  # area and initiative names as text a reader sees


def delimiter_of(header: str) -> str:
    """The delimiter of a CSV file, judged from its header line alone: the one of ``;``, tab and ``,`` that
    splits it into the most fields (``;`` first on a tie: Dutch Excel), so that quoted commas or ``""`` in the
    data rows never mislead it.

    >>> delimiter_of('naam;programma;opmerkingen')
    ';'
    >>> delimiter_of('name,programme')
    ','
    """
    widths = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", "\t", ",")}
    return max(widths, key=lambda d: (widths[d], d == ";", d == "\t"))


def read_csv_bytes(raw: bytes, path: Path, limits: Limits | None = None) -> pd.DataFrame:
    """Parse CSV bytes as text cells: encoding (UTF-8 with or without BOM, UTF-16, cp1252) and delimiter (from
    the header line) are detected; a row with more cells than the header is an error naming the row."""
    if not raw.strip():
        raise DataError(f"{path}: the file is empty.")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        raw = raw.decode("utf-16").encode("utf-8")
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path}: this is a binary file, not a CSV or Excel table.")
    lines = raw.count(b"\n")
    if limits is not None and limits.max_rows and lines > 2 * limits.max_rows + 1:  # before parsing; generous,
        raise limits.refuse(path, f"it has {lines:,} lines")  # as a quoted value may hold line breaks
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("latin-1")
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = delimiter_of(header)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [r for r in reader if any(c.strip() for c in r)]
    except csv.Error as exc:  # a cell over the csv module's limit, or a stray NUL: name the line
        raise DataError(f"{path}, line {reader.line_num}: cannot be read ({exc}). A cell longer than "
                        f"{csv.field_size_limit():,} characters (or a quote left open before it) is the usual "
                        "cause: shorten the cell or close the quote.") from None
    if not rows:
        raise DataError(f"{path}: the file is empty.")
    header, width = rows[0], len(rows[0])
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise DataError(
                f"{path}: row {number} has {len(cells)} cells but the header has {width}: a value contains the "
                f"delimiter {delimiter!r}. Put that value in double quotes (Excel does this when saving as CSV)."
            )
    body = [(cells + [""] * width)[:width] for cells in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=str)
