"""HTML from templates: report sections, the index page, and an executed report notebook as an offline page.

Templates live in ``mgg_geo/present/templates``:

* ``*.html.j2``: Jinja templates of the report sections and the index page,
  rendered with autoescaping on, so every value from the data or the
  register (names, labels, messages) is escaped for HTML;
* ``rapport/``: the nbconvert template that turns an executed report
  notebook into a page without code and without anything from the internet
  (the exporter :class:`mgg_geo.present.nbexport.ReportExporter`, also
  ``jupyter nbconvert --to rapport``);
* ``report.css``: the one stylesheet of every page (screen and A4 print).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import jinja2

from mgg_geo.data import catalogue

#: The folder of the report and page templates.
TEMPLATES = Path(__file__).parent / "templates"
#: The one stylesheet.
STYLESHEET = TEMPLATES / "report.css"


class Html(str):
    """HTML that Jupyter (and so nbconvert) renders as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> Html:
    """Render ``templates/<template>`` with ``context`` (autoescaped: context values are text, never markup).

    Values that are already HTML built from a template (:class:`Html`) pass unescaped.
    """
    context = {k: _markup(v) for k, v in context.items()}
    return Html(_environment().get_template(template).render(**context))


def _markup(value):
    return jinja2.utils.markupsafe.Markup(value) if isinstance(value, Html) else value


@functools.lru_cache(maxsize=1)
def stylesheet() -> Html:
    """The text of the one stylesheet (``templates/report.css``): the project's own file, so markup (``Html``)
    that the templates place as it is (escaped, its quotes and ``>`` selectors would break the rules)."""
    return Html(STYLESHEET.read_text(encoding="utf-8"))


def index_html(table, failures: list[dict], *, overview: str | None, generated: str,
               overview_pdf: str | None = None) -> Html:
    """The index page: a table of the reports with their key figures, the failures, and the sources.

    Parameters
    ----------
    table
        A :class:`mgg_geo.present.reports.Table` of the reports.
    failures
        ``{"gemeente_code", "gemeente", "error"}`` per report that failed.
    overview, overview_pdf
        Relative links to the province overview and its PDF, if there are.
    generated
        When the batch ran (Dutch, with time zone).
    """
    return render("index.html.j2", table=table, failures=failures, overview=overview, overview_pdf=overview_pdf,
                  generated=generated, css=stylesheet(), boundaries=catalogue.BOUNDARY_HOLDER)


#: Report exporters not in use (:func:`notebook_html`): compiling the template is most of the conversion cost, so an
#: exporter is kept for the next conversion, by any thread (one conversion uses it at a time).
_EXPORTERS: list = []
_EXPORTERS_LOCK = threading.Lock()


def notebook_html(nb, title: str) -> str:
    """An executed report notebook as one offline page titled ``title``: no code, prompts or stderr.

    Cells tagged ``remove-cell`` are dropped; the page carries only :func:`stylesheet`. The same exporter is
    ``jupyter nbconvert --to rapport`` (:mod:`mgg_geo.present.nbexport`).
    """
    with _EXPORTERS_LOCK:
        exporter = _EXPORTERS.pop() if _EXPORTERS else None
    if exporter is None:
        from mgg_geo.present.nbexport import ReportExporter

        exporter = ReportExporter()
    try:
        exporter.title = title
        body, _ = exporter.from_notebook_node(nb)
    finally:
        with _EXPORTERS_LOCK:
            _EXPORTERS.append(exporter)
    return body
