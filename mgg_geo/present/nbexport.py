"""The nbconvert exporter of the reports: an executed report notebook as the page the batch makes.

Registered as the nbconvert exporter ``rapport`` (entry point in ``pyproject.toml``), so the plain analyst route
gives the same page as ``mgg-geo reports``::

    papermill notebooks/gemeente_rapport.ipynb pekela.ipynb -p gemeente_code GM0765
    jupyter nbconvert --to rapport pekela.ipynb          # -> pekela.html

The page has no code, prompts, warnings or cells tagged ``remove-cell`` (the audit cell printing counts), its
``<title>`` names the municipality (from the notebook's parameters), it carries only the project's stylesheet
(screen and A4 print) and loads nothing from the internet (no require.js, MathJax or JupyterLab CSS).
"""

from __future__ import annotations

import ast
import copy

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import Bool, Unicode, default

from mgg_geo.data import regions
from mgg_geo.present import pages


def notebook_title(nb) -> str:
    """The report title of an executed notebook: its ``gemeente_code`` parameter (papermill's record of the
    parameters, else the parameters cells) names the municipality; without one it is the province overview."""
    from mgg_geo.present.folder import page_title

    parameters = dict(nb.metadata.get("papermill", {}).get("parameters") or {})
    if "gemeente_code" not in parameters:
        for cell in nb.cells:  # the notebook's defaults, then papermill's injected values
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.get("cell_type") == "code" and ("parameters" in tags or "injected-parameters" in tags):
                parameters.update(_literals(cell.source))
    code = parameters.get("gemeente_code")
    if not isinstance(code, str) or not code.strip():
        return page_title(None)
    try:
        return page_title(regions.resolve_municipality(code))
    except regions.RegionError:
        return page_title(None)


def _literals(source: str) -> dict:
    """The ``name = literal`` assignments of a parameters cell."""
    found = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return found
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return found


def prepared(nb, title: str):
    """A copy of ``nb`` ready to convert: titled, cell ids numbered (the same page for the same content; papermill's
    parameter cell id is random), warnings (stderr) dropped: they are for analysts, kept in the executed notebook."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    for number, cell in enumerate(nb.cells):
        if "id" in cell:
            cell["id"] = f"cel-{number}"
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


class ReportExporter(HTMLExporter):
    """``jupyter nbconvert --to rapport``: the report page of an executed report notebook, as the batch makes it."""

    export_from_notebook = "Rapport van Mentaal Gezond Groningen (HTML)"
    exclude_input = Bool(True, help="Reports show no code.").tag(config=True)
    exclude_input_prompt = Bool(True).tag(config=True)
    exclude_output_prompt = Bool(True).tag(config=True)
    #: The page title; empty: from the notebook's parameters (:func:`notebook_title`).
    title = Unicode("", help="The page title (default: from the notebook's gemeente_code).").tag(config=True)

    @default("template_name")
    def _template_name_default(self):
        return "rapport"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(pages.TEMPLATES)]

    def __init__(self, **kw):
        super().__init__(**kw)
        remove = TagRemovePreprocessor(remove_cell_tags={"remove-cell"}, enabled=True)
        self.register_preprocessor(remove, enabled=True)
        self.language_code = "nl"

    def from_notebook_node(self, nb, resources=None, **kw):
        """The page of ``nb``: titled, without code, remove-cell cells or warnings, with the one stylesheet."""
        nb = prepared(nb, self.title or notebook_title(nb))
        resources = dict(resources or {})
        resources["mgg_css"] = pages.stylesheet()
        return super().from_notebook_node(nb, resources, **kw)
