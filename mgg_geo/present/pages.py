"""HTML pages: an executed report notebook as an offline page, and the pages built from templates.

Templates live in ``mgg_geo/present/templates``: ``rapport/`` is the
nbconvert template of the reports, the ``*.html.j2`` files are Jinja
templates with autoescaping on, so every value from the data or the register
is escaped for HTML.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

#: The folder of the report and page templates.
TEMPLATES = Path(__file__).parent / "templates"


_LOCAL = threading.local()


def _exporter():
    """One HTML exporter per thread: compiling the template is most of the conversion cost."""
    exporter = getattr(_LOCAL, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor
        from traitlets.config import Config

        config = Config()
        config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
        config.TagRemovePreprocessor.enabled = True
        exporter = HTMLExporter(config=config, template_name="rapport", extra_template_basedirs=[str(TEMPLATES)],
                                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
        exporter.language_code = "nl"
        _LOCAL.exporter = exporter
    return exporter


def notebook_html(nb) -> str:
    """Report HTML without code, prompts or stderr; cells tagged ``remove-cell`` are dropped."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # warnings are for analysts (kept in the executed notebook), not for readers
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    body, _ = _exporter().from_notebook_node(nb)
    return body
