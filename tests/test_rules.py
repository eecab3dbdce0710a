"""One home per rule: the domain rules live in mgg_geo/rules.py, and every text that states one formats it from there.

(a) The values are typed nowhere else: no other module assigns a rule's name, and no code, comment, template or
notebook of the package writes the reach as a number (3000 m, "3 km") or the coverage bounds as text ("33%").
(b) A rule changed in one place changes the computation and the texts that state it (legends, tooltips, tables).
"""
from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import mgg_geo
from mgg_geo import rules
from mgg_geo.analysis import coverage
from mgg_geo.present import export, fmt, mapclasses, sections, webmap
from tests import grid_world as grid

PACKAGE = Path(mgg_geo.__file__).resolve().parent
NOTEBOOKS = PACKAGE.parent / "notebooks"
RULES = PACKAGE / "rules.py"
#: A rule's value written as text: the reach, the radii listed, the coverage bounds, the minimum population.
TEXT = re.compile(r"(?<![\w.,])3(?:\s|\u00a0)?km\b|1, 3 (?:en|and) 5 km|(?<![\d,.])(?:33|67)\s?%"
                  r"|(?<![\d,.])100 inwoners")
#: A rule's value written as a number (metres): the reach and the largest radius.
NUMBERS = {rules.REACH_M, max(rules.RADII_M)}
#: The rules' names: no other module assigns them.
NAMES = {n for n in vars(rules) if n.isupper()}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != RULES)


def _docstrings(source: str) -> set[int]:
    """The first lines of the docstrings of a module (fmt's doctests show what the formatter makes of a rule)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                found.add(first.lineno)
    return found


def test_rules_are_typed_once_in_the_code():
    found = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        examples = _docstrings(source) if path.name == "fmt.py" else set()
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            where = f"{path.relative_to(PACKAGE.parent)}:{token.start[0]}"
            if token.type in (tokenize.STRING, tokenize.COMMENT) and token.start[0] not in examples \
                    and TEXT.search(token.string):
                found.append(f"{where}: {TEXT.search(token.string)[0]!r}")
            elif token.type == tokenize.NUMBER and ast.literal_eval(token.string) in NUMBERS:
                found.append(f"{where}: {token.string}")
        for node in ast.parse(source).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AnnAssign) else []
            found += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {t.id} = ..." for t in targets
                      if isinstance(t, ast.Name) and t.id in NAMES]
    assert found == [], "rules typed outside mgg_geo/rules.py (format them from the constant):\n" + "\n".join(found)


def test_rules_are_typed_once_in_templates_and_notebooks():
    found = []
    for path in sorted((PACKAGE / "present" / "templates").glob("*.j2")):
        found += [f"{path.name}: {m[0]!r}" for m in TEXT.finditer(path.read_text(encoding="utf-8"))]
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            found += [f"{path.name}: {m[0]!r}" for m in TEXT.finditer("".join(cell["source"]))]
    assert found == []


def test_the_pattern_finds_what_it_looks_for():
    """The scan above is only as good as its pattern: it finds the forms a rule was written in, not code names."""
    assert all(TEXT.search(t) for t in ("binnen 3 km", "3\u00a0km", "1, 3 en 5 km", "(33–67%)", "< 33%",
                                        "minder dan 100 inwoners"))
    assert not any(TEXT.search(t) for t in ("n_3km", "13 km", "2,3 km", "133%", "1.000 inwoners"))


@pytest.fixture
def reach_2km(monkeypatch):
    """The reach at 2 km and the radii at 1, 2 and 5 km: set once, in the rules."""
    monkeypatch.setattr(rules, "REACH_M", 2000.0)
    monkeypatch.setattr(rules, "RADII_M", (1000.0, 2000.0, 5000.0))


def _no_three(text: str) -> str:
    assert "3 km" not in text and "3\u00a0km" not in text, text
    return text


def test_a_changed_reach_reaches_every_text(reach_2km):
    reach = pd.Series([0.1, 0.5, 0.9])
    assert "binnen 2 km" in _no_three(mapclasses.coverage_classes(reach).title)
    assert "binnen 2 km" in _no_three(mapclasses.bivariate_key())
    assert "binnen 2 km" in _no_three(mapclasses.gain_classes(reach).title)
    assert [t for _, t in mapclasses.distance_classes(pd.Series([0.5, 1.5, 3.0])).legend] == \
        ["tot 1 km", "1 tot 2 km", "2 tot 5 km", "meer dan 5 km"]
    assert webmap.tooltip_rows()["reach"][0] == "Dekking (binnen 2 km)"
    assert "Doelgroep binnen 2 km" in sections.index_table([]).header
    result = SimpleNamespace(parameters={"target_group": "jongeren", "reach_m": rules.REACH_M},
                             areas=pd.DataFrame())
    headers = [c.header for c in export.workbook_columns(result)]
    assert "Dekking: % van de doelgroep binnen 2 km" in headers and "Locaties binnen 2 km" in headers
    assert not [h for h in headers if "3 km" in h]


def test_a_changed_reach_changes_the_computation(reach_2km):
    """Within 2 km of the centre of (0, 0): i² + j² <= 4, six areas; the count column follows the radius."""
    out = coverage.coverage(grid.areas(), grid.sites([grid.centre(0, 0)]))
    assert int((out["reach"] == 1.0).sum()) == 6
    assert rules.count_columns() == ["n_1km", "n_2km", "n_5km"] and "n_2km" in out and "n_3km" not in out


def test_changed_class_bounds_reach_the_legends(monkeypatch):
    monkeypatch.setattr(rules, "COVERAGE_BREAKS", (0.25, 0.5))
    assert [t for _, t in mapclasses.coverage_legend()] == ["hoog: de helft of meer (50–100%)",
                                                     "midden: een kwart tot de helft (25–50%)",
                                                     "laag: minder dan een kwart (0–25%)"]
    assert mapclasses.bivariate_key().endswith("laag onder een kwart, hoog vanaf de helft.")


def test_the_default_texts_stay_as_they_were():
    assert [t for _, t in mapclasses.coverage_legend()] == ["hoog: twee derde of meer (67–100%)",
                                                     "midden: een tot twee derde (33–67%)",
                                                     "laag: minder dan een derde (0–33%)"]
    assert mapclasses.bivariate_key() == ("Behoefte: de gebieden van de provincie in drie even grote groepen. "
                                          "Dekking: deel van de doelgroep binnen 3 km; laag onder een derde, hoog "
                                          "vanaf twee derde.")  # not "≥ 67%": 4 of 6 buurten (66,7%) is hoog
    assert fmt.radius(rules.REACH_M) == "3 km" and fmt.radii(rules.RADII_M) == "1, 3 en 5 km"


def test_one_attribution_line_for_every_map():
    """The boundaries' holder is named in the catalogue only; every map, the sources and the index page take it from
    there, and the static and interactive maps draw the same line."""
    line = "Kaart: Kadaster / Centraal Bureau voor de Statistiek, 2024; vereenvoudigd voor weergave."
    assert mapclasses.attribution(2024) == line
    assert mapclasses.attribution(2024, background=True).startswith(line + " Achtergrond")
    # boundaries simplified by others (an imported cartomap/nl extract: its manifest says so) are credited too
    assert mapclasses.attribution({"year": 2024, "simplified_by": "cartomap/nl"}) == (
        "Kaart: Kadaster / Centraal Bureau voor de Statistiek, 2024; vereenvoudigd door cartomap/nl en voor weergave.")
    assert mapclasses.attribution({"year": 2024}) == line
    named = [p.relative_to(PACKAGE) for p in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.j2")]
             if "Centraal Bureau voor de Statistiek" in p.read_text(encoding="utf-8")]
    assert named == [Path("data/catalogue.py")]


def test_the_need_classes_are_described_once_for_either_scope():
    """With --class-breaks gemeente the page-1 caption said 'de gebieden van de provincie in drie even grote groepen'
    (an attack on this stop's change): the grid's key and the class note take the phrase of the run's scope."""
    for scope, phrase in mapclasses.NEED_GROUPS.items():
        assert f"Behoefte: {phrase}." in mapclasses.bivariate_key(3000, scope)
        breaks = {"scope": scope, "classes": [-0.4, 0.2], "classes_by_gemeente": {"GM0765": [-0.5, 0.1]}}
        assert f"in de tekst: {phrase}; hoog boven " in mapclasses.need_class_note(breaks, "GM0765")
    assert "even grote" not in mapclasses.NEED_GROUPS["gemeente"]
    # the workbook's column description takes it from the run's parameters too
    for scope, phrase in mapclasses.NEED_GROUPS.items():
        result = SimpleNamespace(parameters={"target_group": "jongeren", "reach_m": rules.REACH_M,
                                             "class_breaks": scope}, areas=pd.DataFrame())
        described = {c.key: c.means for c in export.workbook_columns(result)}
        assert described["need_class"] == f"laag, midden of hoog: {phrase}"


def test_figures_are_rounded_half_away_from_zero_as_written():
    """Groningen's Noordoost: 62,5% coverage printed "62%" (Python rounds half to even); a reader writes 63%."""
    from mgg_geo.present import fmt

    assert [fmt.percent(0.625), fmt.number(2.675, 2), fmt.number(-2.5), fmt.number(0.5), fmt.percent(0.285, 1)] == \
        ["63%", "2,68", "−3", "1", "28,5%"]
    assert fmt.signed(-0.4) == "0" and fmt.signed(2.5) == "+3" and fmt.measure(217.5, "x 1 000 euro") == "€ 218.000"
    # a share as written: 23/40 is 58% (100 x 0,575 is 57,4999... in floating point); infinity does not crash
    assert [fmt.percent(23 / 40), fmt.percent(0.145), fmt.percent(0.565)] == ["58%", "15%", "57%"]
    assert fmt.number(float("inf")) == "inf" and fmt.number(1e30).startswith("1.000.000")


def test_page_one_counts_long_register_names_instead_of_printing_them():
    """A register's names of 200 characters pushed page 1 onto page 2 (attack on stop 36's change): page 1 counts
    them and points to where they are named in full."""
    from mgg_geo.present import sections

    long = "Jongerencentrum " + "x" * 200
    assert sections.excluded_text({"excluded_names": [long]}) == \
        "1 locatie zonder leeftijdsbereik niet meegeteld: de naam staat onder Kerncijfers; vul dit aan in het register."
    assert sections.excluded_text({"excluded_names": ["A", "B"]}).startswith("2 locaties zonder leeftijdsbereik "
                                                                           "niet meegeteld: A en B;")
    assert sections.uncounted_text([long, "B"], "binnen die 3 km", page_one=True).startswith(
        "binnen die 3 km liggen al 2 plekken (zie Voorstel), niet meegeteld")
    assert long in sections.uncounted_text([long], "Binnen 3 km van stap 1")  # the proposal names it in full
