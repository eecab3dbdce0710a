"""The report folder: file names, page titles, the key-figure sidecars and the index page.

What the batch needs of the reports without drawing any: it names the files
(:func:`report_stem`), titles the pages (:func:`page_title`) and writes the
index (:func:`index_html`) from the key figures each notebook run left in its
sidecar (``reports/data/<code>.json``, :func:`write_sidecar`). This module
loads no plotting library, so neither does the process that runs the batch.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from mgg_geo.data import cache, regions
from mgg_geo.present import pages
from mgg_geo.present.sections import index_table


def page_title(code: str | None = None) -> str:
    """The ``<title>`` of a report page: the municipality's name, or the province overview."""
    if code is None:
        return "Preventie in de provincie Groningen – Mentaal Gezond Groningen"
    return f"Preventie in {regions.MUNICIPALITIES[code]} – Mentaal Gezond Groningen"


def slug(text: str) -> str:
    """A file-name-safe ASCII form of ``text``: "Het Hogeland" -> "het-hogeland"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def report_stem(code: str) -> str:
    """The file name (without ``.html``) of a municipality's report: ``GM0765-pekela``."""
    return f"{code}-{slug(regions.MUNICIPALITIES[code])}"


def write_sidecar(path: str | Path, figures: dict) -> Path:
    """Write key figures as JSON, atomically (the channel from a notebook run to the index)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.write_json_atomic(path, figures)
    return path


def index_html(entries: list[dict], failures: list[dict], *, overview: str | None, generated: str,
               overview_pdf: str | None = None) -> str:
    """The index page: one row per municipality report with its key figures (and its PDF when printed), and every
    failure."""
    return pages.index_html(index_table(entries), failures, overview=overview, overview_pdf=overview_pdf,
                            generated=generated)
