"""A local replay server for the CBS OData v3 feed and PDOK, on 127.0.0.1.

It serves, under one port, four path prefixes that stand in for the real hosts:

================  =============================  ======================================
prefix            stands for                     serves
================  =============================  ======================================
``/opendata``     https://opendata.cbs.nl        KWB 85984NED (2024), 85318NED (2022), 85039NED (2021)
``/dataderden``   https://dataderden.cbs.nl      RIVM 50090NED, 50120NED, 50150NED
``/pdok-service`` https://service.pdok.nl        CBS gebiedsindelingen 2024 WFS
``/pdok-api``     https://api.pdok.nl            Locatieserver ``free`` (see ``gazetteer``)
================  =============================  ======================================

Everything is built at test time from the real files in the shared data folder
(never copied into the repository):

* 85984NED: the real TableInfos and DataProperties (``odata-samples/``); the
  TypedDataSet rows carry the real figures of ``cbs/kwb2024_85984NED_partial``
  (national gemeenten and wijken) and ``null`` for every other topic (that
  file has 8 columns only), so income is absent, as in an early release.
* 85039NED and 85318NED: **synthetic metadata** (85984NED's DataProperties
  with other numeric suffixes and the older WOZ key
  ``GemiddeldeWoningwaarde``) around the real 2021 and 2022 figures of
  ``cbs/kwb2021_2022_via_capybara`` (national).
* 50090NED: **synthetic metadata** (keys from the file header) around the
  real RIVM figures of ``cbs/rivm_50090NED_gezondheid_wijk_buurt``; '.' and
  empty cells are served as ``null``.
* 50120NED (indeling 2022) and 50150NED (indeling 2024): **synthetic
  editions** that exercise the column mapping across editions: 50120NED with
  the key numbering documented for it in public code (``Eenzaam_27``,
  ``MoeiteMetRondkomen_33``, ...), 50150NED with other suffixes (e.g.
  ``HoogRisicoOpAngstOfDepressie_14``) and one key under another stem
  (``Eenzaamheid_12``, title "Eenzaam") that only a title match finds. Their
  rows are the real 50090NED figures (periods 2012/2016/2020) of the
  municipalities whose wijk and buurt codes did not change between the
  indelingen; Het Hogeland, Eemsdelta and the old municipalities are left
  out, so no figure is ever served under a code it does not belong to.
* 85039NED also carries the real CBS change indicator (``ind_wbi``) as
  ``IndelingswijzigingGemeenteWijkBuurt``.
* WFS: the real 2024 RD boundaries of ``boundaries/``, with the layer's
  properties (``statcode``, ``statnaam``, ``jrstatcode``, ``rubriek``).

OData behaviour follows the recorded samples: service document at
``/ODataFeed/odata/{id}/`` (trailing slash), entity sets at
``/ODataFeed/odata/{id}/{name}?$format=json``, ``$select``, ``$filter``
(``substring(F,i,n) eq 's'``, ``startswith(F,'s')``, ``F eq 's'``, ``and``,
``or``, parentheses), pages of ``page_size`` rows joined by an absolute
``odata.nextLink`` (``/ODataFeed/OData/{id}/{name}/?$format=json&...&$skip=N``),
padded region keys (10 characters).

Faults (for failure tests), set with :meth:`ReplayServer.fault`:
``http500``, ``timeout`` (answer after ``delay`` seconds), ``truncate``
(half a JSON document), ``loop`` (a nextLink pointing at itself) and
``drop`` (remove DataProperties topics whose key starts with ``arg``).
Every request is recorded in :attr:`ReplayServer.requests`.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

GRONINGEN = {"GM0014": "Groningen", "GM0037": "Stadskanaal", "GM0047": "Veendam", "GM0765": "Pekela",
             "GM1895": "Oldambt", "GM1950": "Westerwolde", "GM1952": "Midden-Groningen", "GM1966": "Het Hogeland",
             "GM1969": "Westerkwartier", "GM1979": "Eemsdelta"}


# --------------------------------------------------------------------------- OData $filter


def _tokens(text: str):
    pattern = re.compile(r"\s*(?:(\()|(\))|(,)|'((?:[^']|'')*)'|(-?\d+)|([A-Za-z_][A-Za-z0-9_]*))")
    pos = 0
    out = []
    text = text.strip()
    while pos < len(text):
        m = pattern.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad $filter near {text[pos:pos + 20]!r}")
        lp, rp, comma, string, number, ident = m.groups()
        if lp:
            out.append(("(", None))
        elif rp:
            out.append((")", None))
        elif comma:
            out.append((",", None))
        elif string is not None:
            out.append(("str", string.replace("''", "'")))
        elif number is not None:
            out.append(("num", int(number)))
        else:
            out.append(("id", ident))
        pos = m.end()
    return out


def parse_filter(text: str):
    """Compile a small OData v3 ``$filter`` subset into a predicate on a row dict."""
    toks = _tokens(text)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def take(kind=None):
        nonlocal pos
        tok = toks[pos]
        if kind and tok[0] != kind:
            raise ValueError(f"expected {kind}, got {tok}")
        pos += 1
        return tok

    def value():
        kind, val = peek()
        if kind == "id" and val in ("substring", "startswith") and pos + 1 < len(toks) and toks[pos + 1][0] == "(":
            take()
            take("(")
            field_name = take("id")[1]
            take(",")
            if val == "startswith":
                prefix = take("str")[1]
                take(")")
                return lambda row: str(row.get(field_name, "")).startswith(prefix)
            start = take("num")[1]
            take(",")
            length = take("num")[1]
            take(")")
            return lambda row: str(row.get(field_name, ""))[start:start + length]
        if kind == "id":
            take()
            return lambda row: row.get(val)
        if kind in ("str", "num"):
            take()
            return lambda row: val
        raise ValueError(f"unexpected {peek()}")

    def comparison():
        if peek()[0] == "(":
            take("(")
            inner = disjunction()
            take(")")
            return inner
        left = value()
        if peek() == ("id", "eq"):
            take()
            right = value()
            return lambda row: str(left(row)).rstrip() == str(right(row)).rstrip()
        return lambda row: bool(left(row))

    def conjunction():
        parts = [comparison()]
        while peek() == ("id", "and"):
            take()
            parts.append(comparison())
        return lambda row: all(p(row) for p in parts)

    def disjunction():
        parts = [conjunction()]
        while peek() == ("id", "or"):
            take()
            parts.append(conjunction())
        return lambda row: any(p(row) for p in parts)

    predicate = disjunction()
    if pos != len(toks):
        raise ValueError(f"trailing tokens in $filter: {toks[pos:]}")
    return predicate


# --------------------------------------------------------------------------- tables


@dataclass
class ODataTable:
    table_id: str
    table_infos: list[dict]
    data_properties: list[dict]
    rows: list[dict]
    dimensions: dict[str, list[dict]] = field(default_factory=dict)

    def entity_sets(self) -> list[str]:
        return ["TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties", "CategoryGroups",
                *self.dimensions]

    def entity(self, name: str) -> list[dict]:
        if name == "TableInfos":
            return self.table_infos
        if name == "DataProperties":
            return self.data_properties
        if name == "CategoryGroups":
            return []
        if name == "TypedDataSet":
            return self.rows
        if name in self.dimensions:
            return self.dimensions[name]
        raise KeyError(name)


def _pad(code: str, width: int = 10) -> str:
    return code.ljust(width)


def _number(text: str | None):
    if text is None:
        return None
    text = str(text).strip()
    if text in ("", ".", "NA"):
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _read_csv(path: Path, **kw) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, **kw))


def _metadata_85984(shared: Path) -> tuple[list[dict], list[dict]]:
    base = shared / "odata-samples" / "opendata.cbs.nl" / "85984NED_cbsodata_saved"
    return (json.loads((base / "TableInfos.json").read_text(encoding="utf-8")),
            json.loads((base / "DataProperties.json").read_text(encoding="utf-8")))


def _wijk_names(shared: Path) -> dict[str, str]:
    rows = _read_csv(shared / "cbs" / "lookups" / "wijken_2023_v0_NL_codes_names.csv")
    return {r["WK_CODE"]: r["WK_NAAM"] for r in rows}


def build_kwb_2024(shared: Path) -> ODataTable:
    infos, props = _metadata_85984(shared)
    topics = [p["Key"] for p in props if p["Type"] == "Topic"]
    names = _wijk_names(shared)
    source = _read_csv(shared / "cbs" / "kwb2024_85984NED_partial" / "kwb2024_85984NED_gm_wk_8cols_NL.csv")
    rows, dim = [], []
    gm_names = {}
    for rec in source:
        code = rec["Codering_3"].strip()
        if code.startswith("GM"):
            gm_names[code] = names.get(code) or GRONINGEN.get(code) or code
    for i, rec in enumerate(source):
        code = rec["Codering_3"].strip()
        name = gm_names.get(code) or names.get(code) or code
        row = {"ID": i, "WijkenEnBuurten": _pad(code)}
        for key in topics:
            row[key] = None
        row["Gemeentenaam_1"] = _pad(gm_names.get("GM" + code[2:6], ""), 30)
        row["SoortRegio_2"] = _pad(rec["SoortRegio"], 10)
        row["Codering_3"] = _pad(code)
        for key, text in rec.items():
            if key in topics and key not in ("Codering_3",):
                row[key] = _number(text)
        rows.append(row)
        dim.append({"Key": _pad(code), "Title": name, "Description": None, "CategoryGroupID": None})
    return ODataTable("85984NED", infos, props, rows, {"WijkenEnBuurten": dim})


def build_kwb_2021(shared: Path, year: int = 2021, table_id: str = "85039NED") -> ODataTable:
    """SYNTHETIC metadata (renumbered 85984NED keys, older WOZ key) around real KWB figures of ``year``
    (2021 or 2022, from the capybara file)."""
    infos, props = _metadata_85984(shared)
    infos = [dict(infos[0], Identifier=table_id, Title=f"Kerncijfers wijken en buurten {year}",
                  ShortTitle=f"Kerncijfers wijken en buurten {year}", Period=str(year), Modified="2023-06-21T02:00:00",
                  Summary=f"REPLAY: synthetic metadata around real KWB {year} figures")]
    renamed = []
    for p in props:
        p = dict(p)
        if p["Type"] == "Topic":
            stem, _, number = p["Key"].rpartition("_")
            stem = "GemiddeldeWoningwaarde" if stem == "GemiddeldeWOZWaardeVanWoningen" else stem
            p["Key"] = f"{stem}_{int(number) + 7}" if number.isdigit() and int(number) > 3 else p["Key"]
            if stem == "GemiddeldeWoningwaarde":
                p["Title"] = "Gemiddelde woningwaarde"
        if p["Type"] == "GeoDetail":
            p["MapYear"] = year
        renamed.append(p)
    by_prefix = {re.sub(r"_\d+$", "", p["Key"]): p["Key"] for p in renamed if p["Type"] == "Topic"}
    short_to_prefix = {"a_inw": "AantalInwoners", "a_00_14": "k_0Tot15Jaar", "a_15_24": "k_15Tot25Jaar",
                       "a_65_oo": "k_65JaarOfOuder", "a_hh": "HuishoudensTotaal",
                       "a_1p_hh": "Eenpersoonshuishoudens", "a_woning": "Woningvoorraad",
                       "g_wozbag": "GemiddeldeWoningwaarde", "p_wcorpw": "InBezitWoningcorporatie",
                       "p_hh_lkk": "HuishoudensMetEenLaagInkomen", "p_hh_osm": "HuishOnderOfRondSociaalMinimum",
                       "a_soz_wb": "PersonenPerSoortUitkeringBijstand", "a_lan_ha": "OppervlakteLand",
                       "ste_mvs": "MateVanStedelijkheid", "ind_wbi": "IndelingswijzigingGemeenteWijkBuurt"}
    topics = [p["Key"] for p in renamed if p["Type"] == "Topic"]
    source = _read_csv(shared / "cbs" / "kwb2021_2022_via_capybara" / "kwb_2021_2022_gm_wk_decimalfixed_NL.csv")
    rows, dim = [], []
    for i, rec in enumerate(r for r in source if r["year"] == str(year)):
        code = rec["gwb_code"].strip()
        row = {"ID": i, "WijkenEnBuurten": _pad(code), **{k: None for k in topics}}
        row["Gemeentenaam_1"] = _pad(rec["gm_naam"], 30)
        row["SoortRegio_2"] = _pad(rec["recs"], 10)
        row["Codering_3"] = _pad(code)
        for short, prefix in short_to_prefix.items():
            value = _number(rec.get(short))
            if short == "ind_wbi" and value is not None:
                value = f"{int(value)}"  # a String topic in the real DataProperties
            row[by_prefix[prefix]] = value
        rows.append(row)
        dim.append({"Key": _pad(code), "Title": rec["regio"], "Description": None, "CategoryGroupID": None})
    return ODataTable(table_id, infos, renamed, rows, {"WijkenEnBuurten": dim})


HEALTH_DIMENSIONS = ["Leeftijd", "Marges", "WijkenEnBuurten", "Perioden"]
#: 50120NED keys as documented in public code for that table; 50150NED: other suffixes, one other stem.
EDITION_KEYS = {
    "50120NED": {"HoogRisicoOpAngstOfDepressie": "HoogRisicoOpAngstOfDepressie_25",
                 "HeelVeelStressInAfgelopen4Weken": "HeelVeelStressInAfgelopen4Weken_26", "Eenzaam": "Eenzaam_27",
                 "ErnstigZeerErnstigEenzaam": "ErnstigZeerErnstigEenzaam_28",
                 "MoeiteMetRondkomen": "MoeiteMetRondkomen_33"},
    "50150NED": {"HoogRisicoOpAngstOfDepressie": "HoogRisicoOpAngstOfDepressie_14",
                 "HeelVeelStressInAfgelopen4Weken": "HeelVeelStressInAfgelopen4Weken_15", "Eenzaam": "Eenzaamheid_12",
                 "ErnstigZeerErnstigEenzaam": "ErnstigZeerErnstigEenzaam_13",
                 "MoeiteMetRondkomen": "MoeiteMetRondkomen_20"},
}
EDITION_TITLES = {
    "50120NED": ("Gezondheid per wijk en buurt; 2012/2016/2020/2022 (indeling 2022)", 2022),
    "50150NED": ("Gezondheid per wijk en buurt; 2012-2024 (indeling 2024)", 2024),
}
#: Municipalities whose codes differ between the 2020 indeling and later ones.
CHANGED = ("0003", "0010", "0024", "1966", "1979")


def _health_props(topics: list[tuple[str, str]], map_year: int) -> list[dict]:
    props = [{"odata.type": "Cbs.OData.Dimension", "ID": i, "Position": i, "ParentID": None, "Type": "Dimension",
              "Key": d, "Title": d, "Description": ""} for i, d in enumerate(HEALTH_DIMENSIONS)]
    props[2].update({"odata.type": "Cbs.OData.GeoDimension", "Type": "GeoDimension", "MapYear": map_year})
    props[3].update({"odata.type": "Cbs.OData.TimeDimension", "Type": "TimeDimension"})
    for j, (key, title) in enumerate(topics):
        text = key in ("Gemeentenaam_1", "SoortRegio_2", "Codering_3")
        props.append({"odata.type": "Cbs.OData.Topic", "ID": 10 + j, "Position": 10 + j, "ParentID": None,
                      "Type": "Topic", "Key": key, "Title": title, "Description": "",
                      "Datatype": "String" if text else "Double", "Unit": "" if text else "%",
                      "Decimals": 1, "Default": "Missing", "PresentationType": "Relative"})
    return props


def _title(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", re.sub(r"_\d+$", "", key)).capitalize()


def _health_dimensions(codes: dict[str, str]) -> dict[str, list[dict]]:
    return {
        "Leeftijd": [{"Key": k, "Title": t, "Description": None, "CategoryGroupID": None}
                     for k, t in (("20300", "18 jaar of ouder"), ("53115", "18 tot 65 jaar"),
                                  ("80200", "65 jaar of ouder"))],
        "Marges": [{"Key": "MW00000", "Title": "Waarde", "Description": None, "CategoryGroupID": None}],
        "WijkenEnBuurten": [{"Key": _pad(c), "Title": t, "Description": None, "CategoryGroupID": None}
                            for c, t in codes.items()],
        "Perioden": [{"Key": f"{y}JJ00", "Title": str(y), "Description": None, "Status": "Definitief"}
                     for y in (2012, 2016, 2020)],
    }


def build_health_50090(shared: Path) -> ODataTable:
    """SYNTHETIC metadata around the real RIVM 50090NED figures of Groningen."""
    source = _read_csv(shared / "cbs" / "rivm_50090NED_gezondheid_wijk_buurt"
                       / "gezondheid_2012_2016_2020_groningen.csv")
    topics = [h for h in source[0] if h not in HEALTH_DIMENSIONS and h != "ID"]
    props = _health_props([(key, _title(key)) for key in topics], 2020)
    infos = [{"ID": 0, "Identifier": "50090NED",
              "Title": "Gezondheid per wijk en buurt; 2012/2016/2020 (indeling 2020)",
              "ShortTitle": "Gezondheid per wijk en buurt", "Modified": "2022-06-30T02:00:00", "Catalog": "RIVM",
              "Summary": "REPLAY: synthetic metadata around real RIVM figures", "Period": "2012, 2016, 2020"}]
    rows = []
    codes = {}
    for rec in source:
        code = rec["WijkenEnBuurten"].strip()
        codes.setdefault(code, rec["Gemeentenaam_1"] if code.startswith("GM") else code)
        row = {"ID": int(rec["ID"]), "Leeftijd": rec["Leeftijd"], "Marges": rec["Marges"],
               "WijkenEnBuurten": _pad(code), "Perioden": rec["Perioden"]}
        for key in topics:
            row[key] = rec[key] if key in ("Gemeentenaam_1", "SoortRegio_2", "Codering_3") else _number(rec[key])
        rows.append(row)
    return ODataTable("50090NED", infos, props, rows, _health_dimensions(codes))


def build_health_edition(base: ODataTable, table_id: str) -> ODataTable:
    """SYNTHETIC later edition (see the module docstring) from the rows of 50090NED."""
    keys = EDITION_KEYS[table_id]
    title, indeling = EDITION_TITLES[table_id]
    renamed = {}
    for p in base.data_properties:
        if p["Type"] == "Topic" and re.sub(r"_\d+$", "", p["Key"]) in keys:
            renamed[p["Key"]] = (keys[re.sub(r"_\d+$", "", p["Key"])], p["Title"])
    kept = [(new, old_title) for new, old_title in renamed.values()]
    props = _health_props([("Gemeentenaam_1", "Gemeentenaam"), ("SoortRegio_2", "Soort regio"),
                           ("Codering_3", "Codering")] + kept, indeling)
    infos = [dict(base.table_infos[0], Identifier=table_id, Title=title, Modified="2025-06-30T02:00:00",
                  Summary="REPLAY: synthetic edition around real RIVM 50090NED figures")]
    rows = []
    for rec in base.rows:
        code = rec["WijkenEnBuurten"].strip()
        if code[2:6] in CHANGED:
            continue
        row = {k: rec[k] for k in ("ID", "Leeftijd", "Marges", "WijkenEnBuurten", "Perioden", "Gemeentenaam_1",
                                    "SoortRegio_2", "Codering_3")}
        row.update({new: rec[old] for old, (new, _) in renamed.items()})
        rows.append(row)
    dims = dict(base.dimensions)
    dims["WijkenEnBuurten"] = [d for d in base.dimensions["WijkenEnBuurten"] if d["Key"].strip()[2:6] not in CHANGED]
    return ODataTable(table_id, infos, props, rows, dims)


def load_layers(shared: Path) -> dict[tuple[int, str], list[dict]]:
    layers = {}
    for level, stem in (("buurt", "buurten"), ("wijk", "wijken"), ("gemeente", "gemeenten")):
        data = json.loads((shared / "boundaries" / f"{stem}_2024_groningen_rd.geojson").read_text(encoding="utf-8"))
        feats = []
        for i, f in enumerate(data["features"]):
            p = f["properties"]
            feats.append({"type": "Feature", "id": f"{level}_gegeneraliseerd.{i}",
                          "geometry": f["geometry"],
                          "properties": {"statcode": p["statcode"], "statnaam": p["statnaam"],
                                         "jrstatcode": f"2024{p['statcode']}", "rubriek": level, "id": i}})
        layers[(2024, f"{level}_gegeneraliseerd")] = feats
    return layers


# --------------------------------------------------------------------------- server


class ReplayServer:
    """Threaded HTTP server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, shared: Path, *, page_size: int = 500):
        self.shared = Path(shared)
        self.page_size = page_size
        self.catalogs: dict[str, dict[str, ODataTable]] = {
            "opendata": {t.table_id.lower(): t for t in (build_kwb_2024(self.shared), build_kwb_2021(self.shared),
                                                         build_kwb_2021(self.shared, 2022, "85318NED"))},
            "dataderden": self._health(),
        }
        self.layers = load_layers(self.shared)
        self.gazetteer: list[dict] = []  # Locatieserver docs, set by tests
        self.requests: list[str] = []
        self.faults: list[dict] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _health(self) -> dict[str, ODataTable]:
        base = build_health_50090(self.shared)
        return {"50090ned": base, **{t.lower(): build_health_edition(base, t) for t in EDITION_KEYS}}

    def withdraw(self, catalog: str, table_id: str) -> ODataTable:
        """Take a table off the server (its requests then get 404); returns it so a test can put it back."""
        return self.catalogs[catalog].pop(table_id.lower())

    def publish(self, catalog: str, table: ODataTable) -> None:
        self.catalogs[catalog][table.table_id.lower()] = table

    # urls
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> ReplayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.gazetteer = []

    def fault(self, kind: str, match: str = "", *, times: int | None = None, delay: float = 3.0,
              arg: str = "") -> None:
        """Inject a fault for requests whose path contains ``match``."""
        self.faults.append({"kind": kind, "match": match, "times": times, "delay": delay, "arg": arg})

    def count(self, match: str = "") -> int:
        return sum(match in r for r in self.requests)

    def _take_fault(self, path: str, kinds: tuple[str, ...]) -> dict | None:
        with self._lock:
            for f in self.faults:
                if f["kind"] in kinds and f["match"] in path and (f["times"] is None or f["times"] > 0):
                    if f["times"] is not None:
                        f["times"] -= 1
                    return f
        return None

    # request handling
    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # silence
                pass

            def do_GET(self):  # noqa: N802
                with server._lock:
                    server.requests.append(self.path)
                try:
                    status, body = server.route(self.path)
                except Exception as exc:  # noqa: BLE001 - a server bug shows as HTTP 500 with text
                    status, body = 500, json.dumps({"error": repr(exc)}).encode()
                fault = server._take_fault(self.path, ("http500", "timeout", "truncate"))
                if fault and fault["kind"] == "http500":
                    status, body = 500, b'{"odata.error":{"message":{"value":"replay: injected error"}}}'
                if fault and fault["kind"] == "timeout":
                    time.sleep(fault["delay"])
                if fault and fault["kind"] == "truncate":
                    body = body[: max(1, len(body) // 2)]
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def route(self, raw_path: str) -> tuple[int, bytes]:
        parts = urlsplit(raw_path)
        multi = parse_qs(parts.query, keep_blank_values=True)
        query = {k: v[0] for k, v in multi.items()}
        query["fq*"] = multi.get("fq", [])
        segments = [s for s in parts.path.split("/") if s]
        if not segments:
            return 404, b"{}"
        prefix = segments[0]
        if prefix in self.catalogs:
            return self._odata(prefix, segments[1:], query, parts)
        if prefix == "pdok-service":
            return self._wfs(segments[1:], query)
        if prefix == "pdok-api":
            return self._locatieserver(segments[1:], query)
        return 404, b"{}"

    def _odata(self, catalog: str, segs: list[str], query: dict, parts) -> tuple[int, bytes]:
        # /ODataFeed/odata/{id}/ or /ODataFeed/odata/{id}/{name}[/]
        if len(segs) < 3 or segs[0] != "ODataFeed" or segs[1].lower() != "odata":
            return 404, b'{"error":"not found"}'
        table = self.catalogs[catalog].get(segs[2].lower())
        if table is None:
            return 404, json.dumps({"odata.error": {"message": {"value": f"table {segs[2]} not found"}}}).encode()
        base = f"{self.url}/{catalog}/ODataFeed/odata/{table.table_id}"
        if len(segs) == 3:
            if not parts.path.endswith("/"):
                return 404, b'{"error":"service document needs a trailing slash"}'
            doc = {"odata.metadata": f"{base}/$metadata",
                   "value": [{"name": n, "url": f"{base}/{n}"} for n in table.entity_sets()]}
            return 200, json.dumps(doc).encode()
        name = segs[3]
        try:
            rows = table.entity(name)
        except KeyError:
            return 404, b'{"error":"no such entity set"}'
        if name == "DataProperties":
            fault = self._take_fault("/".join(segs), ("drop",))
            if fault:
                rows = [r for r in rows if not str(r.get("Key", "")).startswith(fault["arg"])]
        if "$filter" in query:
            predicate = parse_filter(query["$filter"])
            rows = [r for r in rows if predicate(r)]
        if "$select" in query:
            wanted = [c.strip() for c in query["$select"].split(",")]
            missing = [c for c in wanted if rows and c not in rows[0]]
            if missing:
                return 400, json.dumps({"odata.error": {"message": {"value": f"unknown column {missing}"}}}).encode()
            rows = [{c: r.get(c) for c in wanted} for r in rows]
        skip = int(query.get("$skip", 0))
        page = rows[skip: skip + self.page_size]
        body = {"odata.metadata": f"{base}/$metadata#Cbs.OData.WebAPI.{name}", "value": page}
        loop = self._take_fault("/".join(segs), ("loop",))
        if loop or skip + self.page_size < len(rows):
            extra = "".join(f"&{k}={quote(query[k], safe=',()')}" for k in ("$filter", "$select") if k in query)
            next_skip = skip if loop else skip + self.page_size
            body["odata.nextLink"] = (f"{self.url}/{catalog}/ODataFeed/OData/{table.table_id}/{name}/"
                                      f"?$format=json{extra}&$skip={next_skip}")
        return 200, json.dumps(body).encode()

    def _wfs(self, segs: list[str], query: dict) -> tuple[int, bytes]:
        # /cbs/gebiedsindelingen/{year}/wfs/v1_0
        if len(segs) != 5 or segs[:2] != ["cbs", "gebiedsindelingen"] or segs[3:] != ["wfs", "v1_0"]:
            return 404, b"{}"
        if query.get("request") != "GetFeature" or query.get("outputFormat") != "json":
            return 400, b'{"error":"only GetFeature with outputFormat=json"}'
        layer = query.get("typeNames", "").split(":")[-1]
        feats = self.layers.get((int(segs[2]), layer))
        if feats is None:
            return 404, b'{"error":"unknown layer or year"}'
        if "bbox" in query:
            x0, y0, x1, y1 = (float(v) for v in query["bbox"].split(",")[:4])
            feats = [f for f in feats if _bbox_hits(f["geometry"], (x0, y0, x1, y1))]
        start = int(query.get("startIndex", 0))
        count = int(query.get("count", 1000))
        page = feats[start:start + count]
        body = {"type": "FeatureCollection", "numberMatched": len(feats), "numberReturned": len(page),
                "features": page}
        return 200, json.dumps(body).encode()

    def _locatieserver(self, segs: list[str], query: dict) -> tuple[int, bytes]:
        if segs != ["bzk", "locatieserver", "search", "v3_1", "free"]:
            return 404, b"{}"
        q = query.get("q", "").lower()
        filters = dict(f.split(":", 1) for f in query.get("fq*", []) if ":" in f)
        docs = [d for d in self.gazetteer
                if all(word in d["weergavenaam"].lower() for word in re.findall(r"\w+", q))
                and all(d.get(k) == v for k, v in filters.items())]
        rows = int(query.get("rows", 10))
        body = {"response": {"numFound": len(docs), "start": 0, "maxScore": docs[0]["score"] if docs else 0.0,
                             "numFoundExact": True, "docs": docs[:rows]}}
        return 200, json.dumps(body).encode()


def _bbox_hits(geometry: dict, box) -> bool:
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for x in c:
                walk(x)

    walk(geometry["coordinates"])
    return not (max(xs) < box[0] or min(xs) > box[2] or max(ys) < box[1] or min(ys) > box[3])
