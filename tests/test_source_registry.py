"""The source registry (mgg_geo/data/kinds.py): every source kind declared once, named nowhere else.

* No module outside the data layer (nor a notebook) spells a kind's name: they look kinds up in the registry.
* The import commands, the cache status and the report's sources section follow the registry: a kind added to
  it (here a made-up one) gets its import command, its row in the sources table and its attribution line.
* The young-adult monitor went in that way: ``mgg-geo import youth FILE``.
"""
import ast
import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

import mgg_geo
from mgg_geo import cli, settings
from mgg_geo.data import cache, kinds, sources

PACKAGE = Path(mgg_geo.__file__).resolve().parent
ROOT = PACKAGE.parent
NAMES = {k.name for k in kinds.ALL} | {k.cache_kind for k in kinds.ALL}
OUTSIDE = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "data")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _strings(source: str) -> list[tuple[int, str]]:
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("path", OUTSIDE, ids=[str(p.relative_to(PACKAGE)) for p in OUTSIDE])
def test_no_module_outside_the_data_layer_names_a_source_kind(path):
    named = [(line, text) for line, text in _strings(path.read_text(encoding="utf-8")) if text in NAMES]
    assert not named, (f"{path.relative_to(ROOT)} names source kinds {named}: look them up in "
                       "mgg_geo.data.kinds (kinds.BOUNDARIES.of(sources), kinds.with_role(...), kinds.ALL)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_notebook_names_a_source_kind(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    assert not [text for _, text in _strings(code) if text in NAMES]


def test_the_grep_finds_only_the_registry_outside_the_data_layer():
    """The grep of issue 20: a quoted kind name outside mgg_geo/data/ is nowhere (look-ups use the registry)."""
    quoted = {f"{q}{name}{q}" for name in NAMES for q in "'\""}
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in OUTSIDE
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if any(q in line for q in quoted)]
    assert hits == []


def test_every_kind_is_declared_completely():
    assert len({k.name for k in kinds.ALL}) == len(kinds.ALL)
    assert kinds.names("areas") == (kinds.BOUNDARIES.name,)
    for kind in kinds.ALL:
        assert kind.title and kind.noun and kind.short and kind.attribution and kind.import_help
        assert callable(kinds._resolve(kind.load)) and callable(kinds._resolve(kind.importer))
        assert set(kind.options) <= set(kinds.IMPORT_OPTIONS)
    with pytest.raises(KeyError, match="unknown source kind 'nope'; known: kwb, health"):
        kinds.get("nope")


def test_the_import_commands_are_the_registry():
    parser = cli.build_parser()
    imp = next(a for a in parser._subparsers._group_actions[0].choices["import"]._actions
               if a.dest == "kind")
    assert list(imp.choices) == [*kinds.names(), cli.SHARED]
    for kind in kinds.ALL:
        options = {o.dest for o in imp.choices[kind.name]._actions} - {"help", "file", "func"}
        assert options == set(kind.options), kind.name


def test_import_command_texts_are_generated():
    assert kinds.KWB.import_command(year=2024) == "mgg-geo import kwb FILE --year 2024"
    assert kinds.BOUNDARIES.import_command(level="wijk", year=2021) == \
        "mgg-geo import boundaries FILE --level wijk --year 2021"
    assert kinds.YOUTH.import_command("BESTAND") == "mgg-geo import youth BESTAND"


def test_a_cache_manifest_finds_its_kind():
    assert kinds.of_manifest({"kind": "health", "table_id": "50090NED"}) is kinds.HEALTH
    assert kinds.of_manifest({"kind": "health", "table_id": "50140NED"}) is kinds.YOUTH
    assert kinds.of_manifest({"kind": "boundaries", "table_id": "import"}) is kinds.BOUNDARIES
    assert kinds.of_manifest({"kind": "crosswalk"}) is None


def test_boundaries_are_cited_by_their_dataset_and_tables_by_their_id():
    assert kinds.BOUNDARIES.cite({"table_id": "import", "year": 2024}) == \
        "PDOK gebiedsindelingen / CBS Wijk- en buurtkaart 2024"
    assert kinds.KWB.cite({"table_id": "85984NED"}) == "85984NED"
    assert kinds.HEALTH.cite({}) == "onbekende tabel"


def _youth_file(folder: Path) -> Path:
    path = folder / "jongvolwassenen.csv"
    path.write_text("ID;Persoonskenmerken;Marges;RegioS;GoedErvarenMentaleGezondheid_12\n"
                    "0;T009002;MW00000;NL01  ;50.9\n"
                    "1;T009002;MW00000;GM0014;48.5\n", encoding="utf-8")
    return path


def test_the_young_adult_monitor_is_imported_as_its_own_kind(tmp_path, capsys):
    """``mgg-geo import youth FILE``: stored as the RIVM table 50140NED, read back by the registry's loader."""
    assert cli.main(["import", "youth", str(_youth_file(tmp_path)), "--year", "2024"]) == cli.OK
    assert "imported health 2024 (50140NED)" in capsys.readouterr().out
    data = kinds.YOUTH.fetch()
    assert data.manifest["table_id"] == "50140NED"
    assert kinds.of_manifest(data.manifest) is kinds.YOUTH
    assert cli.main(["data", "status"]) == cli.OK
    assert "youth" in capsys.readouterr().out.split("\n")[4]


def _demo_kind():
    return kinds.SourceKind(
        name="demo", cache_kind="demo", role="region", title="Demobron per gemeente", noun="de democijfers",
        short="Demo", attribution="Bron: Demobureau, {title} (tabel {table}, {year}).",
        load="tests.test_source_registry:_load_demo", importer="tests.test_source_registry:_import_demo",
        import_help="a made-up source", options={"year": "the year"}, table_id="99999NED")


def _load_demo():
    entry = cache.find("demo")
    return None if entry is None else sources.Dataset(entry.load(), entry.manifest)


def _import_demo(path, *, year=None):
    frame = pd.DataFrame({"code": ["GM0014"], "gemeente_code": ["GM0014"], "level": ["gemeente"],
                          "name": ["Groningen"], "demo": [1.0]})
    return cache.store(frame, {"kind": "demo", "year": year or 2025, "table_id": "99999NED", "origin": "import",
                               "source_file": str(path), "retrieved_at": cache.now_utc(), "columns": {},
                               "levels": {"gemeente": 1}, "rows": 1, "municipalities": ["GM0014"]})


def test_a_kind_added_to_the_registry_gets_its_import_command(monkeypatch, tmp_path, capsys):
    demo = _demo_kind()
    monkeypatch.setattr(kinds, "ALL", (*kinds.ALL, demo))
    monkeypatch.setattr(kinds, "_BY_NAME", {k.name: k for k in kinds.ALL})
    path = tmp_path / "demo.csv"
    path.write_text("x\n1\n", encoding="utf-8")
    assert cli.main(["import", "demo", str(path), "--year", "2025"]) == cli.OK
    assert "imported demo 2025 (99999NED)" in capsys.readouterr().out
    assert demo.fetch().manifest["year"] == 2025
    assert settings.CACHE_DIR.is_dir()


def test_a_kind_added_to_the_registry_appears_in_the_sources_section(monkeypatch, province_analysis):
    from mgg_geo.present import sections

    demo = _demo_kind()
    monkeypatch.setattr(kinds, "ALL", (*kinds.ALL, demo))
    manifest = {"kind": "demo", "year": 2025, "table_id": "99999NED", "origin": "import",
                "source_file": "/tmp/demo.csv", "retrieved_at": "2026-01-02T03:04:05Z"}
    result = dataclasses.replace(province_analysis, sources={**province_analysis.sources, "demo": manifest})
    blocks = sections.sources_blocks(result)
    table = blocks[0].table
    assert ["Demobron per gemeente", "99999NED", "2025", "2025"] == table.rows[-1][:4]
    assert [row[0] for row in table.rows[:-1]] == [k.title for k, _ in kinds.present(province_analysis.sources)]
    assert "Bron: Demobureau, Demobron per gemeente (tabel 99999NED, 2025)." in blocks[-1].items
    # the kinds the run used, each with its attribution line, in the registry's order
    for kind, m in kinds.present(province_analysis.sources):
        assert any(line.startswith(kind.attribution_line(m)[:40]) for line in blocks[-1].items), kind.name
