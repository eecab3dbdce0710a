"""``mgg-geo register build``: the register from a facts file, the age ranges, a school list and the project's
curated file; statuses and source dates; what changed; the real build from the shared files."""
from __future__ import annotations

import csv
import datetime as dt
import io

import geopandas as gpd
import pandas as pd
import pytest

from mgg_geo import cli, settings
from mgg_geo.analysis.parameters import ReportParameters
from mgg_geo.errors import DataError, ParameterError
from mgg_geo.supply import initiatives, registry, schools
from tests import register_world as world

FACTS_HEADER = ["name", "programme", "organisation", "setting", "target_group", "prevention_level", "municipality",
                "town", "address", "source", "kind"]
FACTS = [
    ["Jeugdsoos A, Ulrum (2020)", "jeugdsoos (volunteer-run)", "Bestuur A", "youth club", "young people",
     "universal (inferred)", "Groningen", "Ulrum", "",
     "https://news.example/nieuws/1 ; https://paper.example/2021/03/04/jeugdsoos-a/", "prevention"],
    ["Club B (opened c. January 2026)", "creative youth place", "Club B", "youth place", "children and young people",
     "universal (inferred)", "Groningen", "Oosterhoek", "De Helling 57, Oosterhoek (postcode not given)",
     "https://paper.example/2026/01/26/club-b/", "prevention"],
    ["School C", "STORM", "GGD", "school (VO)", "pupils VO year 2 and 4",
     "universal (lessons) + selective/indicated (screening)", "Groningen", "Oosterhoek", "",
     "https://storm.example/", "prevention"],
    ["Centre D (undated; building sold, current status unverified)", "jongerenwerk", "Welzijn D", "youth centre",
     "young people", "universal (inferred)", "Groningen", "Kloosterburen", "Dorpsstraat (house number not given)",
     "https://old.example/d", "prevention"],
    ["Clinic E", "provider site", "GGZ E", "clinic", "adults", "", "Groningen", "Ulrum", "", "https://e.example/",
     "provider"],
    ["Wijkteam F (KoPPeLing partner)", "KoPPeLing", "Wijkteam F", "home", "parents and children", "selective",
     "Groningen", "Groningen", "", "https://koppeling.example/", "prevention"],
]
AGES = [["Jeugdsoos A, Ulrum (2020)", "12", "23", "https://ages.example/a"]]
CURATED_HEADER = ["bronnaam", "actie", "naam", "programma", "status", "brondatum", "leeftijd_min", "leeftijd_max",
                  "plaats", "gemeente", "gebiedscode", "gebiedsbreed", "vestigingscode", "opmerkingen", "reden"]
CURATED = [
    ["Jeugdsoos A, Ulrum (2020)", "", "Jeugdsoos A, Ulrum", "jeugdsoos (vrijwilligers)", "gedateerd", "", "", "", "",
     "", "", "", "", "in 2020 tijdelijk dicht", "bron van 2020"],
    ["School C", "", "", "", "", "", "13", "16", "", "", "", "", "11AA00", "", "STORM-school"],
    ["Wijkteam F (KoPPeLing partner)", "", "", "", "", "", "0", "17", "", "", "", "ja", "", "", "gemeentebreed"],
    ["", "toevoegen", "Eigen plek", "jongerenwerk", "", "2025", "10", "18", "Kloosterburen", "Groningen", "", "", "",
     "door het project toegevoegd", "eigen waarneming"],
]
SCHOOLS = [["vestigingscode", "vestigingsnaam", "straatnaam", "huisnummer_toevoeging", "postcode", "plaatsnaam",
            "gemeentenummer"],
           ["11AA00", "Scholengemeenschap C", "Schoolstraat", "3", "9999 ZZ", "OOSTERHOEK", "0014"],
           ["11AA01", "Scholengemeenschap C", "Schoolstraat", "5", "9999 ZZ", "OOSTERHOEK", "0014"],
           ["22BB00", "Elders College", "Kade", "1", "1011 AA", "AMSTERDAM", "0363"]]


def layers() -> dict[str, gpd.GeoDataFrame]:
    """The register world with village names: Ulrum, Kloosterburen, Oosterhoek Centrum and its buitengebied."""
    out = world.layers()
    out["buurt"] = out["buurt"].assign(name=["Ulrum", "Kloosterburen", "Oosterhoek Centrum",
                                             "Buitengebied Oosterhoek"])
    return out


def _write(path, rows, delimiter=",", bom=False):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    monkeypatch.setattr(initiatives, "boundary_layers", lambda **kw: layers())
    return {"facts": _write(tmp_path / "facts.csv", [FACTS_HEADER, *FACTS]),
            "ages": _write(tmp_path / "ages.csv", [["name", "age_min", "age_max", "source"], *AGES]),
            "curated": _write(tmp_path / "curated.csv", [CURATED_HEADER, *CURATED], ";", bom=True),
            "schools": _write(tmp_path / "scholen.csv", SCHOOLS, ";"), "out": tmp_path / "register.csv"}


def _build(inputs):
    return registry.build(inputs["facts"], inputs["ages"], inputs["curated"], inputs["schools"], layers=layers())


def test_every_row_keeps_its_sources_placement_precision_source_date_and_status(inputs):
    built = _build(inputs)
    rows = built.rows.set_index("bronnaam")
    assert list(built.rows.columns) == list(registry.REGISTER_COLUMNS)
    assert len(built.rows) == 6 and "Clinic E" not in rows.index  # a provider site is not prevention
    assert ("Clinic E", "kind provider") in built.left_out
    a = rows.loc["Jeugdsoos A, Ulrum (2020)"]
    assert a["naam"] == "Jeugdsoos A, Ulrum" and a["status"] == "gedateerd"  # curated
    assert a["brondatum"] == "2021-03-04"  # the newest date among its sources
    assert a["bron"] == ("https://news.example/nieuws/1 ; https://paper.example/2021/03/04/jeugdsoos-a/ ; "
                         "https://ages.example/a")  # the age range's page joins the sources
    assert (a["leeftijd_min"], a["leeftijd_max"]) == ("12", "23")
    assert (a["gebiedscode"], a["precisie"]) == ("BU00140000", "plaats")  # the buurt named Ulrum
    assert a["preventieniveau"] == "universeel" and "niveau afgeleid" in a["opmerkingen"]
    assert a["opmerkingen"].endswith("in 2020 tijdelijk dicht")
    b = rows.loc["Club B (opened c. January 2026)"]
    assert (b["straat"], b["huisnummer"], b["postcode"], b["precisie"]) == ("De Helling", "57", "", "adres")
    assert b["gebiedscode"] == "BU00140100" and b["brondatum"] == "2026-01-26" and b["status"] == "actief"
    c = rows.loc["School C"]
    assert (c["straat"], c["huisnummer"], c["postcode"], c["plaats"]) == ("Schoolstraat", "3", "9999 ZZ", "Oosterhoek")
    assert c["vestigingscode"] == "11AA00" and "adres van DUO-vestiging 11AA00" in c["opmerkingen"]
    assert c["preventieniveau"] == "universeel; selectief; geïndiceerd" and c["brondatum"] == ""
    d = rows.loc["Centre D (undated; building sold, current status unverified)"]
    assert d["status"] == "gesloten" and (d["straat"], d["precisie"]) == ("Dorpsstraat", "straat")
    f = rows.loc["Wijkteam F (KoPPeLing partner)"]
    assert (f["programma"], f["gebiedscode"], f["plaats"], f["precisie"]) == ("KoPPeLing", "GM0014", "", "gebied")
    own = built.rows[built.rows["naam"] == "Eigen plek"].iloc[0]
    assert own["bronnaam"] == "" and own["gebiedscode"] == "BU00140001" and own["brondatum"] == "2025"


def test_the_command_writes_a_register_that_checks_clean_and_prints_what_changed(inputs, capsys):
    args = ["register", "build", "--offline", *(f"--{k}={inputs[k]}" for k in ("facts", "ages", "curated",
                                                                               "schools", "out"))]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "6 row(s) (0 before): 6 added, 0 changed, 0 removed, 0 unchanged; status actief 4, gedateerd 1, " \
           "gesloten 1; 1 provider row(s) of the facts not in the register." in out
    assert "added: Jeugdsoos A, Ulrum" in out and "note: Centre D (undated; building sold, current status " \
                                                   "unverified): status gesloten from the row's own words" in out
    raw = inputs["out"].read_bytes()
    assert raw.startswith("\ufeffnaam;programma;".encode()) and b"\r\n" in raw
    assert raw not in {p.read_bytes() for k, p in inputs.items() if k != "out"}
    reg = initiatives.load(inputs["out"], boundaries=layers(), geocode=False, reference_date=dt.date(2026, 6, 1))
    assert not reg.errors and len(reg.initiatives) == 6
    frame = reg.initiatives.set_index("name")
    assert frame.loc["Jeugdsoos A, Ulrum", "status"] == "gedateerd" and not frame.loc["Jeugdsoos A, Ulrum", "active"]
    assert frame.loc["Jeugdsoos A, Ulrum", "source_date"] == "2021-03-04"
    assert frame["active"].sum() == 4 and bool(frame.loc["Wijkteam F (KoPPeLing partner)", "area_wide"])
    assert any(p.column == "status" and "count it with --include-status gedateerd" in p.message
               for p in reg.warnings)
    counted = initiatives.load(inputs["out"], boundaries=layers(), geocode=False, count_status=("gedateerd",))
    assert counted.initiatives["active"].sum() == 5  # asked for: the dated place counts, the closed one never
    assert cli.main(["register", "check", str(inputs["out"]), "--offline"]) == 0
    assert "per status: actief 4, gedateerd 1, gesloten 1 (counted for coverage: actief)" in capsys.readouterr().out
    # the same inputs again: nothing to do; a changed source: one change, named field by field
    assert cli.main(args) == 0
    assert f"{inputs['out']}: no change." in capsys.readouterr().out
    text = inputs["facts"].read_text(encoding="utf-8").replace("https://paper.example/2021/03/04/jeugdsoos-a/",
                                                               "https://paper.example/2022/05/jeugdsoos-a/")
    inputs["facts"].write_text(text, encoding="utf-8")
    assert cli.main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "changed: Jeugdsoos A, Ulrum: brondatum: 2021-03-04 -> 2022-05; bron: " in out
    assert "0 added, 1 changed, 0 removed, 5 unchanged" in out and "not written" in out
    assert "2021-03-04" in inputs["out"].read_text(encoding="utf-8-sig")  # a dry run writes nothing


def test_a_curated_row_for_a_name_the_facts_lack_is_named_with_file_row_and_column(inputs, capsys):
    rows = [CURATED_HEADER, *CURATED, ["Verdwenen plek", "", "", "", "gedateerd", "", "", "", "", "", "", "", "", "",
                                       "oud"]]
    _write(inputs["curated"], rows, ";")
    code = cli.main(["register", "build", "--offline", *(f"--{k}={inputs[k]}" for k in ("facts", "ages", "curated",
                                                                                        "schools", "out"))])
    err = capsys.readouterr().err
    assert code == 1 and not inputs["out"].exists()
    assert f"{inputs['curated']}, row 6, column bronnaam: 'Verdwenen plek' is not a name in facts.csv" in err


@pytest.mark.parametrize("row, message", [
    (["School C", "", "", "", "", "", "", "", "", "", "", "", "99XX00", "", ""], "vestigingscode 99XX00 is not in "
                                                                                "the school list"),
    (["School C", "", "", "", "misschien", "", "", "", "", "", "", "", "", "", ""], "status 'misschien' is not one"),
    (["School C", "", "", "", "", "2021-13", "", "", "", "", "", "", "", "", ""], "brondatum '2021-13' is not"),
    (["School C", "", "", "", "", "", "", "", "", "", "BU99999999", "", "", "", ""], "gebiedscode BU99999999 is not"),
    (["School C", "verwijder", "", "", "", "", "", "", "", "", "", "", "", "", ""], "column actie: 'verwijder'"),
])
def test_a_bad_curated_value_refuses_the_build(inputs, row, message):
    _write(inputs["curated"], [CURATED_HEADER, row], ";")
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        _build(inputs)


def test_a_town_that_is_no_area_name_needs_a_curated_area_code(inputs):
    text = inputs["facts"].read_text(encoding="utf-8").replace("Kloosterburen,Dorpsstraat", "Nergenshuizen,Dorpsstraat")
    inputs["facts"].write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="row 5 .*the town Nergenshuizen is not a buurt or wijk name of Groningen; "
                                        "give a gebiedscode in the curated file"):
        _build(inputs)


def test_town_area_prefers_the_buurt_that_names_the_town_and_its_centre():
    lay = layers()
    assert schools.town_area("Ulrum", "GM0014", lay) == ("BU00140000", "Ulrum")
    assert schools.town_area("Oosterhoek", "GM0014", lay) == ("BU00140100", "Oosterhoek Centrum")
    assert schools.town_area("OOSTERHOEK", "GM0014", lay) == ("BU00140100", "Oosterhoek Centrum")
    assert schools.town_area("Nergenshuizen", "GM0014", lay) is None
    lay["buurt"] = lay["buurt"].assign(name=["Buitengebied Zuid", "Noord", "Stadshart", "Oost"])
    lay["wijk"] = lay["wijk"].assign(name=["Westdorp", "Oosterhoek-Noord"])
    assert schools.town_area("Oosterhoek", "GM0014", lay) == ("BU00140100", "Stadshart")  # in the town's wijk


def test_statuses_are_validated_once_for_reports_and_the_command_line():
    assert ReportParameters(include_status="dated, gesloten").include_status == "gedateerd,gesloten"
    assert ReportParameters(include_status="alle").statuses == ("gedateerd", "gepland", "gesloten")
    assert ReportParameters().statuses == ()
    with pytest.raises(ParameterError, match="--include-status: 'actief' is not a status that can be counted"):
        ReportParameters(include_status="actief")
    assert cli.main(["analyse", "--out", "x.csv", "--include-status", "misschien"]) == 2


def test_a_school_list_is_read_as_duo_writes_it_and_kept_to_the_province(tmp_path):
    path = _write(tmp_path / "duo.csv", [["PROVINCIE", "VESTIGINGSCODE", "VESTIGINGSNAAM", "STRAATNAAM",
                                          "HUISNUMMER-TOEVOEGING", "POSTCODE", "PLAATSNAAM", "GEMEENTENUMMER"],
                                         ["Groningen", "11AA00", "School", "Laan", "1-A", "9999zz", "WINSUM GN",
                                          "1966"],
                                         ["Noord-Holland", "22BB00", "Elders", "Kade", "1", "1011 AA", "AMSTERDAM",
                                          "0363"]], ";")
    frame, outside = schools.read(path)
    assert outside == 1 and frame.loc[0, "town"] == "Winsum" and frame.loc[0, "postcode"] == "9999 ZZ"
    assert frame.loc[0, "gemeente_code"] == "GM1966"
    bad = _write(tmp_path / "bad.csv", [["vestigingscode", "vestigingsnaam"], ["11AA00", "School"]], ";")
    with pytest.raises(DataError, match="not a DUO list of school locations: the columns straatnaam"):
        schools.read(bad)


# ---------------------------------------------------------------- the real build


@pytest.mark.shared
def test_the_shipped_register_is_what_the_build_makes_of_the_shared_files(use_imported, shared_data, tmp_path,
                                                                           capsys):
    out = tmp_path / "register.csv"
    assert cli.main(["register", "build", "--offline", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "35 row(s) (0 before): 35 added" in printed
    assert "status actief 26, gedateerd 8, gesloten 1; 12 provider row(s) of the facts not in the register." in printed
    shipped = settings.REGISTER_PATH.read_bytes()
    assert out.read_bytes() == shipped  # reproducible: the committed register is the build's output
    assert shipped not in {p.read_bytes() for p in (shared_data / "initiatives").iterdir()}
    frame = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    facts = pd.read_csv(shared_data / "initiatives" / "facts.csv", dtype=str, keep_default_na=False)
    prevention = facts[facts["kind"] == "prevention"]
    assert sorted(frame["bronnaam"]) == sorted(prevention["name"])  # every prevention row, once
    for municipality in ("Het Hogeland", "Pekela"):
        assert (frame["gemeente"] == municipality).sum() == (prevention["municipality"] == municipality).sum() == 2
    assert frame["bron"].str.startswith("http").all() and (frame["precisie"] != "").all()
    assert set(frame.loc[frame["gemeente"] == "Het Hogeland", "status"]) == {"gedateerd"}
    # the DUO link of the STORM schools: the address of the one vestiging, the postcode where the facts had a number
    ubbo = frame[frame["vestigingscode"] == "02VJ00"].iloc[0]
    assert (ubbo["straat"], ubbo["huisnummer"], ubbo["postcode"]) == ("Stationslaan", "17", "9503 CA")
    assert cli.main(["register", "check", str(out), "--offline"]) == 0
    assert "35 initiative(s) placed" in capsys.readouterr().out


@pytest.fixture
def imported_copy(imported_cache, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "cache-copy"
    shutil.copytree(imported_cache, copy)
    monkeypatch.setattr(settings, "CACHE_DIR", copy)
    return copy


@pytest.mark.replay
@pytest.mark.shared
def test_schools_are_placed_by_address_through_the_locatieserver_and_cached(replay, imported_copy):
    layers_ = initiatives.boundary_layers(offline=True)
    centre = layers_["buurt"].geometry.loc["BU19661204"].representative_point()  # Uithuizen Centrum
    replay.gazetteer = [{"type": "adres", "weergavenaam": "Sportlaan 2, 9981JZ Uithuizen", "score": 15.2,
                         "centroide_rd": f"POINT({centre.x + 40:.1f} {centre.y + 25:.1f})",
                         "provincienaam": "Groningen"}]
    found = schools.load(layers=layers_, geocode=True)
    frame = found.frame.set_index("school_code")
    uithuizen = frame.loc["16ZK02"]
    assert uithuizen["placement"] == "address" and uithuizen["geocode_match"] == "Sportlaan 2, 9981JZ Uithuizen"
    assert uithuizen.geometry.x == pytest.approx(centre.x + 40) and uithuizen["buurt_code"] == "BU19661204"
    assert uithuizen["geocode_score"] == pytest.approx(15.2)
    warffum = frame.loc["16ZK00"]  # not in the gazetteer: on its town's buurt, approximately
    assert warffum["placement"] == "town" and warffum["placed_on"] == "BU19660902"
    request = next(r for r in replay.requests if "locatieserver" in r)
    assert "fq=type%3Aadres" in request and "provincienaam%3AGroningen" in request
    before = len(replay.requests)
    again = schools.load(layers=layers_, geocode=True)
    assert len(replay.requests) == before  # every answer, also "not found", came from the geocoding cache
    assert again.frame.set_index("school_code").loc["16ZK02", "placement"] == "address"
    offline = schools.load(layers=layers_, geocode=True, offline=True)
    assert set(offline.frame["placement"]) == {"town"} and len(replay.requests) == before


@pytest.mark.shared
def test_dated_places_count_only_when_asked_for(province_analysis, use_imported):
    from mgg_geo import analysis

    default = province_analysis.figures.loc["GM1966"]
    assert (default["register_places"], default["register_counted"]) == (2, 0)
    assert default["register_reasons"] == {"gedateerd": 2} and default["target_within_reach_share"] == 0
    asked = analysis.run(draws=0, offline=True, geocode=False, reference_date="2026-01-01",
                         include_status="gedateerd", include_unknown_ages=True, municipalities=["Het Hogeland"])
    figures = asked.figures.loc["GM1966"]
    assert figures["register_counted"] == 2 and figures["target_within_reach_share"] > 0
    assert asked.parameters["include_status"] == "gedateerd"
    closed = asked.register.initiatives.set_index("name").loc["Jongerencentrum 't Schienvat (Finsterwolde)"]
    assert closed["status"] == "gesloten" and not closed["active"]  # not asked for: never counted
