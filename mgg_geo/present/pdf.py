"""Reports as A4 PDF: the HTML pages printed by headless Chromium, with nothing from the network.

The PDF is the page as the stylesheet prints it (``templates/report.css``:
A4 portrait, "pagina n van m" in the bottom margin, every map kept with its
heading and caption). Chromium is Debian's ``chromium`` (``settings.CHROMIUM``,
``MGG_CHROMIUM``), driven through Playwright. Every request that is not a local
file is refused and counted: a report is one self-contained page, so the count
is 0 (a page that asked for more is named in :attr:`Printed.refused`).

Each PDF is written to a temporary file and renamed into place, so a PDF
that exists is complete.

Examples
--------
>>> with Printer() as printer:  # doctest: +SKIP
...     printer.print(Path("reports/GM0765-pekela.html"))
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mgg_geo import settings
from mgg_geo.data import cache
from mgg_geo.errors import OutputError, SettingsError

#: Chromium's switches for printing: no sandbox (the batch may run as root), nothing in the background.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage")
#: Seconds for one page to load and print.
TIMEOUT_S = 120.0
#: The printable area of an A4 page under ``templates/report.css`` (``@page`` margins 14 mm at the sides and top,
#: 16 mm at the bottom), in CSS pixels (96 per inch): page 1 is fitted into it.
PRINTABLE_PX = (round((210 - 2 * 14) * 96 / 25.4), round((297 - 14 - 16) * 96 / 25.4))
#: Page 1's text size in print (``report.css``, ``.mgg-pagina1``) and the smallest it may be set to so that page 1
#: stays one page; the room kept free at its foot (CSS pixels, about a line: the screen layout the fit measures and
#: the printed pages differ by a few pixels).
PAGE_ONE_PT, PAGE_ONE_MIN_PT, PAGE_ONE_SLACK_PX = 9.0, 8.0, 16
#: Laid out at the printed width, page 1's summary (``div.mgg-pagina1``) gets a smaller text size, a quarter point
#: at a time, while it ends below the printable height less a line of margin (a register with a few more rows
#: than the shared data pushed its last line onto page 2; nothing else of the page changes). Returns the size and
#: whether page 1 fits at it.
_FIT_PAGE_ONE = """([limit, start, least]) => {
  const box = document.querySelector('.mgg-pagina1');
  if (!box) { return [null, true]; }
  let size = start;
  while (box.getBoundingClientRect().bottom > limit && size - 0.25 >= least) {
    size -= 0.25;
    box.style.fontSize = size + 'pt';
  }
  return [size, box.getBoundingClientRect().bottom <= limit];
}"""


def chromium() -> Path:
    """The Chromium executable of ``settings.CHROMIUM``.

    Raises
    ------
    SettingsError
        When there is no executable at that path (the message names ``MGG_CHROMIUM`` and the package to install).
    """
    path = Path(settings.CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise SettingsError(f"MGG_CHROMIUM: no Chromium at {path}, needed to print PDFs; install it (Debian: apt-get "
                            "install chromium) or set MGG_CHROMIUM to the chromium executable.")
    return path


@dataclass
class Printed:
    """One printed PDF: where, from which HTML (its sha256), in how many seconds, and what the page asked for from
    the network (refused; empty for every report of mgg_geo)."""

    pdf: Path
    html_sha256: str
    seconds: float
    refused: list[str] = field(default_factory=list)
    page_one_pt: float | None = None  # the text size page 1 was printed at (None: the page has no page 1)
    page_one_fits: bool = True  # False: even at PAGE_ONE_MIN_PT page 1 runs onto page 2 (recorded, never hidden)


class Printer:
    """Headless Chromium, started once, printing one page after another (``with Printer() as p: p.print(html)``).

    Chromium is driven from a thread of its own (Playwright's synchronous API cannot run where an event loop
    runs, e.g. in a Jupyter kernel or beside another Playwright).
    """

    def __init__(self):
        self._pool: ThreadPoolExecutor | None = None
        self._playwright = None
        self._browser = None

    def __enter__(self) -> Printer:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mgg-pdf")
        try:
            self._pool.submit(self._start).result()
        except BaseException:
            self._pool.shutdown()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._pool.submit(self._stop).result()
        finally:
            self._pool.shutdown()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        executable = chromium()
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=str(executable), args=list(CHROMIUM_ARGS),
                                                             timeout=TIMEOUT_S * 1000)
        except Exception as exc:
            self._playwright.stop()
            raise SettingsError(f"MGG_CHROMIUM: Chromium at {executable} did not start ({str(exc).splitlines()[0]})."
                                ) from None

    def _stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()

    def print(self, html: Path, pdf: Path | None = None) -> Printed:
        """Print ``html`` to ``pdf`` (default: beside it, ``.pdf``) on A4 with page numbers; atomically.

        Raises
        ------
        OutputError
            When Chromium cannot load or print the page (the message names the file).
        """
        return self._pool.submit(self._print, Path(html), pdf).result()

    def _print(self, html: Path, pdf: Path | None) -> Printed:
        html = html.resolve()
        pdf = Path(pdf) if pdf is not None else html.with_suffix(".pdf")
        started = time.perf_counter()
        sha = cache.sha256(html)
        refused: list[str] = []
        context = self._browser.new_context(offline=True, java_script_enabled=True)
        try:
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                          else (refused.append(route.request.url), route.abort()))
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_S * 1000)
            page.set_viewport_size({"width": PRINTABLE_PX[0], "height": PRINTABLE_PX[1]})
            page.emulate_media(media="print")
            page.goto(html.as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            page_one, fits = page.evaluate(_FIT_PAGE_ONE, [PRINTABLE_PX[1] - PAGE_ONE_SLACK_PX, PAGE_ONE_PT,
                                                           PAGE_ONE_MIN_PT])
            with cache.atomic_file(pdf, suffix=".pdf") as tmp:
                # the page size, margins and page numbers come from the stylesheet (@page)
                page.pdf(path=str(tmp), prefer_css_page_size=True, print_background=True, tagged=True, outline=True)
        except OSError:
            raise
        except Exception as exc:  # Playwright's errors: a page that does not load or print
            raise OutputError(f"{html}: Chromium could not print it ({str(exc).splitlines()[0]}).") from None
        finally:
            context.close()
        return Printed(pdf, sha, time.perf_counter() - started, refused, page_one, bool(fits))


def print_pdf(html: str | Path, pdf: str | Path | None = None) -> Printed:
    """Print one HTML page to an A4 PDF (starts and stops Chromium; for many pages use :class:`Printer`)."""
    with Printer() as printer:
        return printer.print(Path(html), Path(pdf) if pdf is not None else None)
