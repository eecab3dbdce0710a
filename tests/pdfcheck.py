"""Reading a printed report back: the pages of a PDF (pypdf) set against the page's HTML.

* :func:`layout_problems`: pages that end with a heading or a table caption, and maps that are not on the page of
  their heading and caption;
* :func:`printed_figures`: every figure's legend text and narrowest map as printed, from the size each image is
  drawn at in the PDF and what the figure measured of itself (``data-legend-pt``, ``data-map-width-in``).
"""
from __future__ import annotations

import base64
import html
import io
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from mgg_geo.present import maps

FOOTER = re.compile(r"pagina (\d+) van (\d+)")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "").replace("¶", "")).strip()


@dataclass
class Page:
    """One printed page: its text lines (without the page number), its text, its images in drawing order as
    ``(pixel width, pixel height, printed width in points)``, and the page number it prints."""

    lines: list[str]
    text: str
    images: list[tuple[int, int, float]]
    footer: str


def pages(pdf: str | Path | bytes) -> list[Page]:
    """The pages of a PDF."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    out = []
    for page in reader.pages:
        drawn = []

        def visitor(op, args, cm, tm, drawn=drawn):  # noqa: ARG001 - pypdf's signature
            if op == b"Do":
                drawn.append((args[0], (cm[0] ** 2 + cm[1] ** 2) ** 0.5))

        text = page.extract_text(visitor_operand_before=visitor)
        xobjects = page["/Resources"].get("/XObject", {}) if "/Resources" in page else {}
        images = []
        for name, width_pt in drawn:
            obj = xobjects[name].get_object() if name in xobjects else None
            if obj is not None and obj.get("/Subtype") == "/Image":
                images.append((int(obj["/Width"]), int(obj["/Height"]), float(width_pt)))
        lines = [_norm(line) for line in text.splitlines() if _norm(line)]
        footer = next((line for line in lines if FOOTER.fullmatch(line)), "")
        lines = [line for line in lines if not FOOTER.fullmatch(line)]
        out.append(Page(lines, _norm(" ".join(lines)), images, footer))
    return out


def events(page_html: str) -> list[tuple[str, str]]:
    """The printed page's headings (``heading``), figures (``figure``, with their caption) and table captions
    (``caption``), in document order. Screen-only parts are left out."""
    body = re.sub(r'<(p|div) class="[^"]*mgg-(?:kaartlink|scherm)[^"]*">.*?</\1>', "", page_html, flags=re.S)
    found = []
    for m in re.finditer(r"<(h[123])[^>]*>(.*?)</\1>|<figure class=\"mgg-kaart\">(.*?)</figure>|<caption>(.*?)"
                         r"</caption>", body, flags=re.S):
        if m.group(1):
            found.append(("heading", _norm(html.unescape(re.sub(r"<[^>]+>", "", m.group(2))))))
        elif m.group(3) is not None:
            caption = re.search(r"<figcaption>(.*?)</figcaption>", m.group(3), flags=re.S)
            found.append(("figure", _norm(html.unescape(caption.group(1))) if caption else ""))
        else:
            found.append(("caption", _norm(html.unescape(re.sub(r"<[^>]+>", "", m.group(4))))))
    return found


def layout_problems(pdf, page_html: str) -> list[str]:
    """What keeps a printed report from reading well: a page ending with a heading or a table caption, a map not on
    the page of its caption, a section's first map not on the page of its heading."""
    printed = pages(pdf)
    found = events(page_html)
    titles = {text for kind, text in found if kind in ("heading", "caption")}
    problems = [f"page {i + 1} ends with {p.lines[-1]!r}" for i, p in enumerate(printed)
                if p.lines and p.lines[-1] in titles]
    image_pages = [i for i, p in enumerate(printed) for _ in p.images]
    figures = [j for j, (kind, _) in enumerate(found) if kind == "figure"]
    if len(image_pages) != len(figures):
        return problems + [f"{len(image_pages)} images printed for {len(figures)} figures"]
    for j, page in zip(figures, image_pages, strict=True):
        caption = found[j][1]
        if caption and caption[:50] not in printed[page].text:
            problems.append(f"the caption {caption[:50]!r} is not on page {page + 1}, with its map")
        before = found[j - 1] if j else None
        if before and before[0] == "heading" and before[1] not in printed[page].text:
            problems.append(f"the heading {before[1]!r} is not on page {page + 1}, with its map")
    return problems


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


@dataclass
class PrintedFigure:
    """A figure as printed: page, the scale it prints at (1 = the size it was drawn), its smallest legend text and its
    narrowest map in print."""

    page: int
    scale: float
    legend_pt: float
    map_cm: float


def printed_figures(pdf, page_html: str) -> list[PrintedFigure]:
    """Every figure of the page as printed (figures matched to the PDF's images in order, by their pixel size)."""
    figures = []
    for img in re.finditer(r"<figure class=\"mgg-kaart\"><img ([^>]*)>", page_html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', img.group(1)))
        data = base64.b64decode(attrs["src"].split(",", 1)[1][:64])
        figures.append((_png_size(data), float(attrs.get("data-legend-pt", 0)),
                        float(attrs.get("data-map-width-in", 0))))
    drawn = [(i, image) for i, p in enumerate(pages(pdf)) for image in p.images]
    assert len(drawn) == len(figures), (len(drawn), len(figures))
    out = []
    for ((width, height), legend_pt, map_in), (page, (pw, ph, printed_pt)) in zip(figures, drawn, strict=True):
        assert (pw, ph) == (width, height), "the PDF's images are not the page's figures, in order"
        scale = printed_pt / (width / maps.DPI * 72)
        out.append(PrintedFigure(page, scale, legend_pt * scale, map_in * scale * 2.54))
    return out
