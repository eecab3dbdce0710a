"""The initiative register built from the facts, reproducibly (``mgg-geo register build``).

Inputs, all read in place:

* the facts file (``SHARED_DATA/initiatives/facts.csv``): one row per named
  place with its public source pages; ``kind = prevention`` rows become the
  register (``provider`` rows are provider sites, not prevention coverage);
* the age ranges public pages state (``age_ranges.csv``, joined on ``name``);
* the school list (:mod:`mgg_geo.supply.schools`), for rows linked to a DUO
  vestiging (their address, when the facts give none);
* the project's own curated file (``data/initiatives/curated.csv``): per facts
  row, the corrections and Dutch wording the project adds (``actie``
  ``corrigeer``), rows the project adds (``toevoegen``) or leaves out
  (``weglaten``), each with its reason.

What the build derives for every row (a curated value always wins):

===============  ==========================================================
column           from
===============  ==========================================================
programma        the facts' programme; a named programme (STORM, KoPPeLing,
                 Move aHead) by its name alone
preventieniveau  the levels named in the facts' prevention level; "(inferred)"
                 gives the note "niveau afgeleid"
leeftijd_min/max the age ranges file (its page is added to ``bron``)
status           "closed" or "building sold" in the name: gesloten;
                 "planned": gepland; "status unverified" or "undated":
                 gedateerd; else actief
brondatum        the newest date among the source addresses (``/2025/04/10/``)
                 and the years in the name ("(2020)"), to the precision given
straat ... plaats the facts' address and town (or the linked DUO vestiging)
precisie         what the source gives of the location: adres (street and
                 house number), straat, plaats, or gebied (area-wide)
gebiedscode      the buurt (or wijk) that holds the town's centre
                 (:func:`mgg_geo.supply.schools.town_area`): where the row is
                 placed without geocoding
bron             the facts' source pages and the age range's page
bronnaam         the facts' name (the key of the curated file)
===============  ==========================================================

:func:`build` returns the rows; :func:`changes` compares them with the
register there is; :func:`write` writes the register atomically (semicolon
CSV, UTF-8 with BOM, as Excel writes it).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import settings
from mgg_geo.data import files, regions
from mgg_geo.data.cache import atomic_file
from mgg_geo.errors import DataError, MggError
from mgg_geo.supply import initiatives, schools
from mgg_geo.text import cell

#: The register's columns, in order, with their Dutch headers.
REGISTER_COLUMNS = ("naam", "programma", "organisatie", "preventieniveau", "setting", "doelgroep", "leeftijd_min",
                    "leeftijd_max", "capaciteit", "startdatum", "einddatum", "status", "brondatum", "straat",
                    "huisnummer", "postcode", "plaats", "gemeente", "gebiedscode", "precisie", "vestigingscode",
                    "bron", "bronnaam", "opmerkingen")
#: The columns of the facts file and of the age ranges file.
FACTS_COLUMNS = ("name", "programme", "organisation", "setting", "target_group", "prevention_level",
                 "municipality", "town", "address", "source", "kind")
AGES_COLUMNS = ("name", "age_min", "age_max", "source")
#: The curated file: the register's columns plus the key, the action, area-wide and the reason.
CURATED_EXTRA = ("bronnaam", "actie", "gebiedsbreed", "reden")
ACTIONS = ("corrigeer", "toevoegen", "weglaten")
PRECISIONS = ("adres", "straat", "plaats", "gebied")
_LEVEL_WORDS = (("universeel", ("universal", "universeel")), ("selectief", ("selective", "selectief")),
                ("geïndiceerd", ("indicated", "geïndiceerd", "geindiceerd")),
                ("terugvalpreventie", ("relapse", "terugval")))
_STATUS_WORDS = (("gesloten", ("closed", "building sold", "gesloten")), ("gepland", ("planned", "gepland")),
                 ("gedateerd", ("status unverified", "undated", "niet geverifieerd")))
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(\d{2})(?:/(\d{2}))?(?=/|$)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_ADDRESS = re.compile(r"^(?P<street>[^\d,]+?)\s+(?P<number>\d+(?:\s*-?\s*[A-Za-z0-9]{1,3})?)"
                      r"(?:\s*,\s*(?P<postcode>\d{4}\s?[A-Za-z]{2}))?(?:\s*,?\s*(?P<town>[^\d,].*))?$")
_POSTCODE_IN = re.compile(r"\b(\d{4})\s?([A-Z]{2})\b")


@dataclass
class Built:
    """The outcome of :func:`build`.

    Attributes
    ----------
    rows
        The register as text, one row per place (:data:`REGISTER_COLUMNS`).
    notes
        What the build noticed per row (``(register name, message)``): a
        derived status, a placement it could not make, a row without ages.
    left_out
        Facts rows not in the register: ``(name, why)``.
    inputs
        The files read.
    """

    rows: pd.DataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)


def _read(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """A CSV file with (at least) ``columns``, as text; a DataError names the file and the missing columns."""
    frame = files.read_table(path, files.register_limits())
    frame.columns = [str(c).strip().lstrip("\ufeff").lower() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: not a {what}: the columns {', '.join(missing)} are missing "
                        f"(found: {', '.join(frame.columns)}).")
    return frame.map(cell, missing="", squeeze=True, literal=True)


def read_curated(path: Path) -> pd.DataFrame:
    """The project's curated file: the register's Dutch headers (any subset) plus ``bronnaam``, ``actie``,
    ``gebiedsbreed`` and ``reden``. Every problem is named by file, row (as Excel shows it) and column."""
    frame = files.read_table(path, files.register_limits())
    frame.columns = [str(c).strip().lstrip("\ufeff").lower() for c in frame.columns]
    frame = frame.map(cell, missing="", squeeze=True, literal=True)
    known = set(REGISTER_COLUMNS) | set(CURATED_EXTRA)
    problems = [f"column {c!r} is not a register column" for c in frame.columns if c not in known]
    for column in CURATED_EXTRA:
        if column not in frame:
            frame[column] = ""
    for i, row in frame.iterrows():
        where = f"row {i + 2}"
        action = row["actie"] or ("corrigeer" if row["bronnaam"] else "toevoegen")
        if action not in ACTIONS:
            problems.append(f"{where}, column actie: {row['actie']!r} is not one of {', '.join(ACTIONS)}")
        if action in ("corrigeer", "weglaten") and not row["bronnaam"]:
            problems.append(f"{where}, column bronnaam: {action} needs the row's name in the facts file")
        if action == "toevoegen" and not (row.get("naam") and row.get("programma")):
            problems.append(f"{where}: a row the project adds needs naam and programma")
        if action == "weglaten" and not row["reden"]:
            problems.append(f"{where}, column reden: say why the row is left out")
        if row["gebiedsbreed"] and row["gebiedsbreed"].lower() not in ("ja", "nee"):
            problems.append(f"{where}, column gebiedsbreed: write ja or nee")
        frame.at[i, "actie"] = action
    keys = frame.loc[frame["bronnaam"] != "", "bronnaam"]
    for name in keys[keys.duplicated()]:
        problems.append(f"bronnaam {name!r} appears more than once")
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems) + ".")
    return frame


# --------------------------------------------------------------------------- derivations


def programme_of(text: str) -> str:
    """A named programme by its name alone ("Move aHead (Groningen Moves aHead!)" -> "Move aHead"); other
    programmes as written."""
    for name in initiatives.NAMED_PROGRAMMES:
        if text.casefold().startswith(name.casefold()):
            return name
    return text


def levels_of(text: str) -> tuple[str, bool]:
    """The prevention levels named in ``text`` (the register's words, "; "-separated) and whether they are marked
    inferred.

    >>> levels_of("universal (lessons) + selective/indicated (screening)")
    ('universeel; selectief; geïndiceerd', False)
    >>> levels_of("universal/low-threshold (inferred)")
    ('universeel', True)
    """
    lowered = text.lower()
    found = [level for level, words in _LEVEL_WORDS if any(w in lowered for w in words)]
    return "; ".join(found), "inferred" in lowered or "afgeleid" in lowered


def status_from(*texts: str) -> str:
    """The status a row's own words give (see the module docstring); ``actief`` when they say nothing."""
    lowered = " ".join(texts).lower()
    for status, words in _STATUS_WORDS:
        if any(w in lowered for w in words):
            return status
    return "actief"


def source_date_from(sources: str, *texts: str) -> str:
    """The newest date in the source addresses and the years in ``texts``, to the precision found ('' if none).

    >>> source_date_from("https://a.nl/2025/04/10/x/ ; https://b.nl/nieuws/1", "Jeugdsoos (2020)")
    '2025-04-10'
    >>> source_date_from("https://www.rtvnoord.nl/nieuws/748566/x", "De Dump, Ulrum (2020)")
    '2020'
    """
    found = []
    for match in _URL_DATE.finditer(sources):
        year, month, day = match.groups()
        if 1 <= int(month) <= 12:
            found.append(f"{year}-{month}" + (f"-{day}" if day else ""))
    for text in texts:
        found += _YEAR.findall(re.sub(r"https?://\S+", "", text))
    if not found:
        return ""
    return max(found, key=lambda d: (d[:4], d[5:7] or "00", d[8:10] or "00", len(d)))


def parse_address(text: str) -> dict[str, str]:
    """Street, house number, postcode and town from an address as the facts write it, and what is left.

    >>> parse_address("Hendrik Westerstraat 24, 9791 CT Ten Boer")["postcode"]
    '9791 CT'
    >>> parse_address("Nieuweweg (house number not given)")["street"]
    'Nieuweweg'
    >>> parse_address("Buurthuis Mellenshorst (street not given)")["street"]
    ''
    """
    out = {"street": "", "number": "", "postcode": "", "town": "", "place": ""}
    if not text:
        return out
    remarks = " ".join(re.findall(r"\((.*?)\)", text)).lower()
    core = re.sub(r"\s*\(.*?\)", "", text).strip(" ,")
    match = _ADDRESS.match(core)
    if match:
        out.update({k: (match.group(k) or "").strip() for k in ("street", "number", "postcode", "town")})
        out["number"] = re.sub(r"\s+", "", out["number"])
        if out["postcode"]:
            out["postcode"] = "{} {}".format(*_POSTCODE_IN.search(out["postcode"].upper()).groups())
    elif re.search(r"house number|huisnummer|street taken", remarks) and not re.search(r"\d", core):
        out["street"] = core
    else:
        out["place"] = core
    return out


# --------------------------------------------------------------------------- the build


def build(facts: str | Path | None = None, ages: str | Path | None = None, curated: str | Path | None = None,
          school_list: str | Path | None = None, *, layers: dict[str, gpd.GeoDataFrame]) -> Built:
    """Build the register rows from the facts, the age ranges, the school list and the curated file.

    Parameters
    ----------
    facts, ages, school_list
        Default: ``facts.csv`` and ``age_ranges.csv`` in ``SHARED_DATA/initiatives`` and ``settings.SCHOOLS_PATH``.
    curated
        Default: ``DATA_DIR/initiatives/curated.csv`` (optional: without it the facts alone).
    layers
        Boundary layers (:func:`mgg_geo.supply.initiatives.boundary_layers`) for the offline area codes.

    Raises
    ------
    DataError
        An unreadable input, or a row that cannot be built (named by file and row).
    """
    shared = Path(settings.SHARED_DATA) / "initiatives"
    facts_path = Path(facts or shared / "facts.csv")
    ages_path = Path(ages or shared / "age_ranges.csv")
    curated_path = Path(curated) if curated else Path(settings.DATA_DIR) / "initiatives" / "curated.csv"
    schools_path = Path(school_list or settings.SCHOOLS_PATH)
    fact_rows = _read(facts_path, FACTS_COLUMNS, "facts file (initiatives/facts.csv)")
    age_rows = _read(ages_path, AGES_COLUMNS, "file of age ranges (initiatives/age_ranges.csv)")
    cur = read_curated(curated_path) if (curated or curated_path.is_file()) else read_curated_empty()
    duo = None
    if schools_path.is_file():
        duo, _ = schools.read(schools_path)
        duo = duo.set_index("school_code")
    inputs = {"facts": str(facts_path), "ages": str(ages_path), "curated": str(curated_path) if len(cur) or
              curated_path.is_file() else "", "schools": str(schools_path) if duo is not None else ""}
    problems: list[str] = []
    dup = fact_rows["name"][fact_rows["name"].duplicated()]
    problems += [f"{facts_path}: the name {n!r} appears more than once (it is the key of the curated file)"
                 for n in dup]
    age_by_name = {}
    for i, row in age_rows.iterrows():
        if row["name"] not in set(fact_rows["name"]):
            problems.append(f"{ages_path}, row {i + 2}: {row['name']!r} is not a name in {facts_path.name}")
        age_by_name[row["name"]] = row
    corrections = {r["bronnaam"]: r for _, r in cur.iterrows() if r["actie"] in ("corrigeer", "weglaten")}
    for name in corrections:
        if name not in set(fact_rows["name"]):
            row = int(cur.index[cur["bronnaam"] == name][0]) + 2
            problems.append(f"{curated_path}, row {row}, column bronnaam: {name!r} is not a name in "
                            f"{facts_path.name} (renamed there? correct the key)")
    if problems:
        raise DataError("; ".join(problems) + ".")
    out = Built(pd.DataFrame(columns=list(REGISTER_COLUMNS)), inputs=inputs)
    records = []
    for i, fact in fact_rows.iterrows():
        correction = corrections.get(fact["name"])
        if fact["kind"].lower() != "prevention":
            if correction is not None:
                out.notes.append((fact["name"], f"a curated row names a {fact['kind']} row; provider sites are not "
                                                "in the register"))
            out.left_out.append((fact["name"], f"kind {fact['kind']}"))
            continue
        if correction is not None and correction["actie"] == "weglaten":
            out.left_out.append((fact["name"], correction["reden"]))
            continue
        try:
            records.append(_from_fact(fact, age_by_name.get(fact["name"]), correction, layers, duo, out.notes))
        except DataError as exc:
            problems.append(f"{facts_path}, row {i + 2} ({fact['name']}): {exc}")
    for i, row in cur[cur["actie"] == "toevoegen"].iterrows():
        try:
            records.append(_from_fact(None, None, row, layers, duo, out.notes))
        except DataError as exc:
            problems.append(f"{curated_path}, row {i + 2} ({row.get('naam')}): {exc}")
    if problems:
        raise DataError("; ".join(problems))
    out.rows = pd.DataFrame(records, columns=list(REGISTER_COLUMNS)).fillna("")
    return out


def read_curated_empty() -> pd.DataFrame:
    """A curated file without rows (the build from the facts alone)."""
    return pd.DataFrame(columns=[*REGISTER_COLUMNS, *CURATED_EXTRA])


def _from_fact(fact, age, correction, layers, duo, notes: list) -> dict:
    """One register row: derived from a facts row (None for a row the project adds), then corrected."""
    fact = fact if fact is not None else pd.Series({c: "" for c in FACTS_COLUMNS})
    c = correction if correction is not None else pd.Series(dtype=object)

    def cur(column: str) -> str:
        return cell(c.get(column, ""), "", squeeze=True, literal=True)

    own_notes: list[str] = []
    levels, inferred = levels_of(fact["prevention_level"])
    if inferred:
        own_notes.append("niveau afgeleid")
    sources = [s.strip() for s in fact["source"].split(" ; ") if s.strip()]
    age_min = age_max = ""
    if age is not None:
        age_min, age_max = age["age_min"], age["age_max"]
        sources += [s.strip() for s in age["source"].split(" ; ") if s.strip() and s.strip() not in sources]
    address = parse_address(fact["address"])
    town = re.sub(r"\s*\(.*?\)", "", fact["town"]).strip()
    row = {
        "naam": fact["name"], "programma": programme_of(fact["programme"]), "organisatie": fact["organisation"],
        "preventieniveau": levels, "setting": fact["setting"], "doelgroep": fact["target_group"],
        "leeftijd_min": age_min, "leeftijd_max": age_max, "capaciteit": "", "startdatum": "", "einddatum": "",
        "status": status_from(fact["name"]), "brondatum": source_date_from(fact["source"], fact["name"]),
        "straat": address["street"], "huisnummer": address["number"], "postcode": address["postcode"],
        "plaats": address["town"] or town, "gemeente": fact["municipality"], "gebiedscode": "", "precisie": "",
        "vestigingscode": "", "bron": " ; ".join(sources), "bronnaam": fact["name"], "opmerkingen": "",
    }
    for column in REGISTER_COLUMNS:  # the curated values win
        if column not in ("bronnaam", "opmerkingen") and cur(column):
            row[column] = cur(column)
    if correction is not None and not fact["name"]:
        row["bronnaam"] = ""
    name = row["naam"]
    try:
        row["status"] = initiatives.status_of(row["status"])
    except ValueError:
        raise DataError(f"status {row['status']!r} is not one of {', '.join(initiatives.STATUSES)}") from None
    if row["status"] != "actief" and not cur("status"):
        notes.append((name, f"status {row['status']} from the row's own words"))
    codes = [x for x in re.split(r"[;,\s]+", row["vestigingscode"]) if x]
    if codes:
        unknown = [x for x in codes if duo is None or x.upper() not in duo.index]
        if unknown:
            raise DataError(f"vestigingscode {', '.join(unknown)} is not in the school list")
        row["vestigingscode"] = ";".join(x.upper() for x in codes)
        linked = [(x.upper(), duo.loc[x.upper()]) for x in codes]
        street = [(x, s) for x, s in linked if not row["straat"] or row["straat"].casefold() == s["street"].casefold()]
        if not row["huisnummer"] and len(linked) == 1 and street:  # one vestiging: its address
            x, school = street[0]
            row.update(straat=school["street"], huisnummer=school["number"], postcode=school["postcode"],
                       plaats=school["town"])
            own_notes.append(f"adres van DUO-vestiging {x}")
        elif row["huisnummer"] and not row["postcode"]:
            same = [(x, s) for x, s in street if re.sub(r"\s+", "", s["number"]) == row["huisnummer"]]
            if len(same) == 1:
                row["postcode"] = same[0][1]["postcode"]
                own_notes.append(f"postcode van DUO-vestiging {same[0][0]}")
    wide = cur("gebiedsbreed").lower() == "ja"
    gm = None
    try:
        gm = regions.resolve_municipality(row["gemeente"]) if row["gemeente"] else None
    except MggError:
        raise DataError(f"unknown municipality {row['gemeente']!r}") from None
    if wide:
        row.update(straat="", huisnummer="", postcode="", plaats="")
        row["gebiedscode"] = row["gebiedscode"] or (gm or "")
        if not row["gebiedscode"]:
            raise DataError("an area-wide offer needs a gebiedscode or a gemeente")
        _area_name(row["gebiedscode"], layers)
        row["precisie"] = "gebied"
    else:
        row["precisie"] = row["precisie"] or ("adres" if row["straat"] and row["huisnummer"] else "straat"
                                              if row["straat"] else "plaats" if row["plaats"] else "gebied")
        if not row["gebiedscode"]:
            found = schools.town_area(fact["town"] or row["plaats"], gm, layers) if gm and row["plaats"] else None
            if found is None:
                raise DataError(f"the town {row['plaats'] or '(none)'} is not a buurt or wijk name of "
                                f"{row['gemeente'] or 'its municipality'}; give a gebiedscode in the curated file")
            row["gebiedscode"], area_name = found
        else:
            area_name = _area_name(row["gebiedscode"], layers)
        own_notes.append(f"zonder geocodering geplaatst in {area_name} (benadering)")
    if row["brondatum"]:
        try:
            row["brondatum"] = initiatives.source_date_of(row["brondatum"])
        except ValueError:
            raise DataError(f"brondatum {row['brondatum']!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from None
    if row["precisie"] not in PRECISIONS:
        raise DataError(f"precisie {row['precisie']!r} is not one of {', '.join(PRECISIONS)}")
    if address["place"] and not cur("straat"):
        own_notes.append(f"plek: {address['place']}")
    if not row["leeftijd_min"] and not row["leeftijd_max"]:
        notes.append((name, "no age range (counts for no target group)"))
    if row["status"] == "gedateerd" and row["brondatum"]:
        own_notes.append(f"bron van {row['brondatum'][:4]}; huidige status niet geverifieerd")
    row["opmerkingen"] = "; ".join(dict.fromkeys([*(n for n in own_notes if n), *([cur("opmerkingen")]
                                                                                 if cur("opmerkingen") else [])]))
    for column in ("leeftijd_min", "leeftijd_max"):
        if row[column] and re.fullmatch(r"\d+\.0", row[column]):
            row[column] = row[column][:-2]
    return row


def _area_name(code: str, layers) -> str:
    """The name of area ``code`` in the boundaries used; DataError when it is not one of them."""
    code = regions.normalise_code(code)
    level = regions.level_of(code) if regions.is_area_code(code) else None
    layer = layers.get(level) if level else None
    if layer is None or code not in layer.index:
        raise DataError(f"gebiedscode {code} is not a buurt, wijk or gemeente of the boundaries used")
    return str(layer.at[code, "name"])


# --------------------------------------------------------------------------- changes and writing


@dataclass(frozen=True)
class Change:
    """One row's difference between the register there is and the one built: ``kind`` is added, removed or
    changed; ``fields`` lists ``(column, before, after)``."""

    kind: str
    name: str
    fields: tuple[tuple[str, str, str], ...] = ()

    def __str__(self) -> str:
        if self.kind != "changed":
            return f"{self.kind}: {self.name}"
        parts = "; ".join(f"{c}: {_short(a)} -> {_short(b)}" for c, a, b in self.fields)
        return f"changed: {self.name}: {parts}"


def _short(text: str, width: int = 60) -> str:
    text = text or "(leeg)"
    return text if len(text) <= width else text[:width - 1] + "…"


def read_register(path: str | Path) -> pd.DataFrame:
    """The register there is as text (Dutch headers as written); empty when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=list(REGISTER_COLUMNS))
    frame = files.read_table(path, files.register_limits())
    frame.columns = [str(c).strip().lstrip("\ufeff").lower() for c in frame.columns]
    return frame.map(cell, missing="", squeeze=True, literal=True)


def changes(before: pd.DataFrame, after: pd.DataFrame) -> list[Change]:
    """Rows added, removed and changed from ``before`` to ``after`` (matched on ``bronnaam``, else ``naam``; a
    register without ``bronnaam`` is matched on ``naam`` against either)."""
    def key_of(frame: pd.DataFrame) -> dict[str, int]:
        keys = {}
        for i, row in frame.iterrows():
            keys.setdefault(row.get("bronnaam") or row["naam"], i)
        return keys

    new_keys = key_of(after)
    by_name = {row["naam"]: i for i, row in after.iterrows()}
    matched: dict[int, int] = {}
    for i, row in before.iterrows():
        j = new_keys.get(row.get("bronnaam") or "") if "bronnaam" in before else None
        j = j if j is not None else by_name.get(row["naam"], new_keys.get(row["naam"]))
        if j is not None and j not in matched.values():
            matched[i] = j
    out = []
    for i, j in matched.items():
        fields = tuple((c, before.at[i, c] if c in before else "", after.at[j, c]) for c in REGISTER_COLUMNS
                       if (before.at[i, c] if c in before else "") != after.at[j, c])
        if fields:
            out.append(Change("changed", after.at[j, "naam"], fields))
    out += [Change("added", after.at[j, "naam"]) for j in after.index if j not in matched.values()]
    out += [Change("removed", before.at[i, "naam"]) for i in before.index if i not in matched]
    return out


def to_csv(rows: pd.DataFrame) -> bytes:
    """The register as Excel writes a CSV: semicolons, CRLF, UTF-8 with BOM, quotes only where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(REGISTER_COLUMNS)
    for _, row in rows.iterrows():
        writer.writerow([row[c] for c in REGISTER_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write(rows: pd.DataFrame, path: str | Path, *, check=None) -> Path:
    """Write the register atomically; ``check(tmp_path)`` may refuse it (raise) before it replaces ``path``."""
    path = Path(path)
    with atomic_file(path, suffix=".csv") as tmp:
        tmp.write_bytes(to_csv(rows))
        if check is not None:
            check(tmp)
    return path
