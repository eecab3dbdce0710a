"""A generated corpus of malformed register files: each gives the right message, row and column, never a traceback."""
import json

import pandas as pd
import pytest

from mgg_geo import cli
from mgg_geo.errors import RegisterError
from mgg_geo.supply import initiatives
from tests import register_world as world

H = ("naam;programma;x;y;capaciteit;startdatum;einddatum;preventieniveau;gebiedscode;plaats;postcode;huisnummer;"
     "leeftijd_min;leeftijd_max")
OK = "Goed;STORM;232000;577000;10;2024-01-01;2030-01-01;universeel;;;;;12;18"


def row(**kw):
    cells = dict(zip(H.split(";"), OK.split(";"), strict=True))
    cells.update(kw)
    return ";".join(cells.values())


def csv_bytes(*lines, encoding="utf-8"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx(sheets: dict[str, pd.DataFrame]):
    def write(path):
        with pd.ExcelWriter(path) as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
    return write


GOOD = pd.DataFrame({"naam": ["A"], "programma": ["STORM"], "x": [232000], "y": [577000]})

# (id, file name, content bytes or writer, expected fragment, expected (row, column) of the first error or None)
CORPUS = [
    ("empty", "r.csv", b"", "empty", None),
    ("whitespace-only", "r.csv", b"   \r\n  \r\n", "empty", None),
    ("header-only", "r.csv", csv_bytes(H), "no rows", None),
    ("binary-garbage", "r.csv", bytes(range(256)) * 4, "binary", None),
    ("png-renamed", "r.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50, "binary", None),
    ("no-name-column", "r.csv", csv_bytes("programma;x;y", "STORM;232000;577000"), "lacks name", None),
    ("no-programme-column", "r.csv", csv_bytes("naam;x;y", "A;232000;577000"), "lacks programme", None),
    ("name-missing", "r.csv", csv_bytes(H, row(naam="")), "missing required field: the initiative's name",
     (2, "naam")),
    ("programme-missing", "r.csv", csv_bytes(H, OK, row(programma="")), "missing required field: programme",
     (3, "programma")),
    ("no-location", "r.csv", csv_bytes(H, row(x="", y="")), "no location", (2, None)),
    ("x-not-number", "r.csv", csv_bytes(H, row(x="twee")), "'twee' is not a coordinate", (2, "x")),
    ("only-x", "r.csv", csv_bytes(H, row(y="")), "must both be given", (2, "y")),
    ("xy-swapped", "r.csv", csv_bytes(H, row(x="577000", y="232000")), "look swapped", (2, "x")),
    ("latlon-swapped", "r.csv", csv_bytes("naam;programma;lat;lon", "A;STORM;6,56;53,21"), "look swapped",
     (2, "lat")),
    ("lat-out-of-range", "r.csv", csv_bytes("naam;programma;lat;lon", "A;STORM;95;6,5"), "not WGS84", (2, "lat")),
    ("outside-province", "r.csv", csv_bytes(H, row(x="121000", y="487000")), "outside the province", (2, "x, y")),
    ("unknown-area-code", "r.csv", csv_bytes(H, row(x="", y="", gebiedscode="BU00149999")),
     "unknown area code BU00149999", (2, "gebiedscode")),
    ("area-code-other-province", "r.csv", csv_bytes(H, row(x="", y="", gebiedscode="GM0363")),
     "unknown area code GM0363", (2, "gebiedscode")),
    ("malformed-area-code", "r.csv", csv_bytes(H, row(x="", y="", gebiedscode="wijk 3")), "not a BU/WK/GM code",
     (2, "gebiedscode")),
    ("end-before-start", "r.csv", csv_bytes(H, row(startdatum="2025-05-01", einddatum="2024-01-01")),
     "lies before start date", (2, "einddatum")),
    ("negative-capacity", "r.csv", csv_bytes(H, row(capaciteit="-5")), "negative capacity", (2, "capaciteit")),
    ("capacity-text", "r.csv", csv_bytes(H, row(capaciteit="veel")), "'veel' is not a number", (2, "capaciteit")),
    ("bad-date", "r.csv", csv_bytes(H, row(startdatum="31-31-2024")), "not a date", (2, "startdatum")),
    ("unquoted-delimiter", "r.csv", csv_bytes(H, row(preventieniveau="universeel; selectief", huisnummer="5")),
     "row 2 has 15 cells but the header has 14", None),
    ("unknown-level", "r.csv", csv_bytes(H, row(preventieniveau='"universeel; superpreventie"')),
     "unknown prevention level 'superpreventie'", (2, "preventieniveau")),
    ("bad-postcode", "r.csv", csv_bytes(H, row(x="", y="", postcode="ABCD 12", huisnummer="3")),
     "not a Dutch postcode", (2, "postcode")),
    ("town-unplaceable", "r.csv", csv_bytes(H, row(x="", y="", plaats="Nergenshuizen")), "could not place",
     (2, "plaats")),
    ("age-range-inverted", "r.csv", csv_bytes("naam;programma;x;y;leeftijd_min;leeftijd_max",
                                               "A;STORM;232000;577000;18;12"), "below age_min", (2, "leeftijd_max")),
    ("error-on-row-40", "r.csv", csv_bytes(H, *[OK] * 38, row(naam="")), "missing required field", (40, "naam")),
    ("tab-delimited-missing-name", "r.tsv", csv_bytes(H.replace(";", "\t"), row(naam="").replace(";", "\t")),
     "missing required field", (2, "naam")),
    ("cp1252-missing-programme", "r.csv", csv_bytes(H, row(naam="Café", programma=""), encoding="cp1252"),
     "missing required field: programme", (2, "programma")),
    ("utf16-excel-unicode-text", "r.txt", "\r\n".join([H.replace(";", "\t"),
                                                        row(naam="").replace(";", "\t")]).encode("utf-16"),
     "missing required field", (2, "naam")),
    ("english-headers", "r.csv", csv_bytes("name,programme,x,y,capacity", "A,STORM,232000,577000,-1"),
     "negative capacity", (2, "capacity")),
    ("xlsx-wrong-sheet", "r.xlsx", xlsx({"Toelichting": pd.DataFrame({"tekst": ["lees mij"]})}),
     "no sheet has the columns", None),
    ("xlsx-row-error", "r.xlsx", xlsx({"Toelichting": pd.DataFrame({"tekst": ["x"]}),
                                       "Register": GOOD.assign(capaciteit=[-3])}), "negative capacity",
     (2, "capaciteit")),
    ("xlsx-garbage", "r.xlsx", b"PK\x03\x04 this is not really a zip", "cannot be read as an Excel", None),
    ("geojson-no-features", "r.geojson", json.dumps({"type": "FeatureCollection", "features": []}).encode(),
     "no features", None),
    ("geojson-garbage", "r.geojson", b"{ not json", "cannot be read as GeoJSON", None),
    ("geojson-feature-outside", "r.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"naam": "A", "programma": "STORM"},
         "geometry": {"type": "Point", "coordinates": [4.89, 52.37]}}]}).encode(),
     "outside the province", (1, "geometry")),
]


def _write(tmp_path, name, content):
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    return path


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("case, name, content, fragment, where", CORPUS, ids=[c[0] for c in CORPUS])
def test_malformed_file_is_refused_with_message(tmp_path, case, name, content, fragment, where):
    path = _write(tmp_path, name, content)
    with pytest.raises(RegisterError) as err:
        initiatives.load(path, boundaries=world.layers(), geocode=False)
    problems = [p for p in err.value.problems if p.severity == "error"]
    assert problems, "an error must be listed"
    assert any(fragment in p.message or fragment in str(err.value) for p in problems), str(err.value)
    assert str(path) in str(err.value)
    if where is not None:
        hit = next(p for p in problems if fragment in p.message)
        assert (hit.row, hit.column) == where


def test_all_problems_are_gathered_before_raising(tmp_path):
    path = _write(tmp_path, "r.csv", csv_bytes(H, row(naam=""), OK, row(capaciteit="-1"), row(x="1", y="2")))
    with pytest.raises(RegisterError) as err:
        initiatives.load(path, boundaries=world.layers(), geocode=False)
    rows = sorted(p.row for p in err.value.problems if p.severity == "error")
    assert rows == [2, 4, 5]


def test_duplicates_are_warnings_not_errors(tmp_path):
    path = _write(tmp_path, "r.csv", csv_bytes(H, OK, OK))
    reg = initiatives.load(path, boundaries=world.layers(), geocode=False)
    assert len(reg.initiatives) == 2 and not reg.errors
    assert [p.row for p in reg.warnings] == [3]


@pytest.mark.parametrize("case", ["name-missing", "binary-garbage", "xlsx-wrong-sheet"])
def test_cli_check_prints_table_and_exits_nonzero(tmp_path, capsys, monkeypatch, case):
    _, name, content, fragment, where = next(c for c in CORPUS if c[0] == case)
    path = _write(tmp_path, name, content)
    monkeypatch.setattr(initiatives, "boundary_layers", lambda **kw: world.layers())
    code = cli.main(["register", "check", str(path), "--no-geocode"])
    captured = capsys.readouterr()
    assert code in (1, 2) and "Traceback" not in captured.err + captured.out
    assert fragment in captured.out + captured.err
    if where is not None:
        assert f"error     {where[0]}" in captured.out
