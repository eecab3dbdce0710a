"""The sections of the Dutch reports as text values: every figure worded and formatted, nothing computed.

Each builder takes the :class:`~mgg_geo.analysis.Analysis` (key figures,
what-if and everything else already computed) and a municipality code, and
returns :class:`Table` and :class:`Block` values: text cells, formatted by
:mod:`mgg_geo.present.fmt` and worded with :mod:`mgg_geo.present.labels`.
:func:`section` renders them through ``templates/blocks.html.j2`` (escaped).
:mod:`mgg_geo.present.reports` puts the sections together per report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mgg_geo import rules
from mgg_geo.analysis import coverage, trends
from mgg_geo.analysis.chain import (
    ESTIMATED_STATUSES,
    KNOWN_AGES_NOTE,
    ORIGIN_STATUSES,
    PLACES_NAMED,
    Analysis,
    at_lower_border,
    estimated_areas,
    estimated_flags,
    origin_status,
    status_near,
    uncounted_near,
)
from mgg_geo.analysis.parameters import counted_statuses
from mgg_geo.data import catalogue, kinds, regions
from mgg_geo.present import fmt, labels, mapclasses, pages
from mgg_geo.present.pages import Html
from mgg_geo.supply import initiatives

if TYPE_CHECKING:  # the figures are drawn by the reports; the index page needs no plotting library
    from mgg_geo.present import maps

#: Rows of the priority table shown in print (all rows are in the HTML, behind a toggle).
PRINT_ROWS = 10
#: Indicators of the section "Ontwikkeling".
TREND_INDICATORS = ("lonely", "anxiety_depression_high", "making_ends_meet", "population")


@dataclass
class Table:
    """A table as text cells, rendered by ``templates/table.html.j2``.

    Attributes
    ----------
    header, rows
        Column headers and rows of cells (text; escaped when rendered).
    caption
        Caption above the table.
    numeric
        Indices of right-aligned (number) columns.
    row_classes
        CSS class per row (e.g. ``mgg-extra``: hidden in print), or None.
    key
        A line under the table explaining abbreviations in the header.
    """

    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: tuple[int, ...] = ()
    row_classes: list[str] | None = None
    cls: str = ""
    key: str = ""

    def _repr_html_(self) -> str:
        return section([Block("table", table=self)])


@dataclass
class Block:
    """One block of a section, rendered by ``templates/blocks.html.j2``: ``kind`` is ``p``, ``h3``, ``table``,
    ``figure``, ``list``, ``note``, ``summary``, ``details`` or ``link``."""

    kind: str
    text: str = ""
    table: Table | None = None
    figure: maps.Figure | None = None
    items: list[str] = field(default_factory=list)
    cls: str = ""
    title: str = ""
    href: str = ""
    tail: str = ""


def section(blocks: list[Block]) -> Html:
    """A section's blocks as HTML (escaped)."""
    return pages.render("blocks.html.j2", blocks=blocks)


def _p(text: str, cls: str = "") -> Block:
    return Block("p", text=text, cls=cls)


def level_word(result: Analysis, plural: bool = True) -> str:
    """The level of the run in Dutch: "wijken"/"buurten" (or "wijk"/"buurt")."""
    wijk = result.parameters["level"] == "wijk"
    return ("wijken" if wijk else "buurten") if plural else ("wijk" if wijk else "buurt")


def _areas(result: Analysis, n: int) -> str:
    """e.g. "1 wijk", "3 buurten"."""
    return fmt.count(n, level_word(result, False), level_word(result))


def target_of(result: Analysis) -> catalogue.TargetGroup:
    """The target group of the run."""
    return catalogue.target_group(result.parameters["target_group"])


# --------------------------------------------------------------------------- key figures


def figures_of(result: Analysis, code: str) -> dict:
    """The key figures of municipality ``code`` as computed by the analysis (plain values, JSON-safe)."""
    row = result.figures.loc[code]

    def plain(value):
        value = value.item() if isinstance(value, np.generic) else value
        return None if isinstance(value, float) and np.isnan(value) else value

    return {"gemeente_code": code, **{k: plain(v) for k, v in row.items()}}


def area_label(result: Analysis, code: str, estimated: bool = False, places: bool = False) -> str:
    """The name of area ``code`` for tables and lists, with "(onvolledige gegevens)" when it is flagged (and "deels
    geschat" when ``estimated``: :func:`mgg_geo.present.labels.area_label`); with ``places``, an area named only
    by its number says where it is: "Wijk 13 (Ezinge, Feerwerd en Garnwerd)"
    (:func:`mgg_geo.analysis.chain.numbered_places`)."""
    row = result.areas.loc[code]
    name = str(row["name"])
    where = places_of(result, code) if places else ""
    if where:
        name = f"{name} ({where})"
    return labels.area_label(name, bool(row.get("partial_data", False)), estimated)


def places_of(result: Analysis, code: str) -> str:
    """Where an area named only by its number lies (:func:`mgg_geo.present.fmt.places` of
    :func:`mgg_geo.analysis.chain.numbered_places`): "Ezinge, Feerwerd en Garnwerd"; '' for other areas."""
    if code not in result.areas.index or "places" not in result.areas:
        return ""
    return fmt.places(result.areas.at[code, "places"], PLACES_NAMED)


def partial_rule(result: Analysis) -> str:
    """When an area is flagged: "meer dan 25% van de behoeftecijfers ontbreekt" (from the run's parameter)."""
    return labels.PARTIAL_RULE.format(share=fmt.percent(result.parameters.get("max_missing_share",
                                                                              rules.MAX_MISSING_SHARE)))


def no_sites_text(result: Analysis, figures: dict) -> str:
    """What the classes mean when the register has no physical site for the target group in the municipality
    ('' otherwise)."""
    if figures["sites_physical"]:
        return ""
    level = level_word(result)
    reach = fmt.radius(figures["reach_km"] * 1000)
    text = (f"In het register staat in {figures['gemeente']} geen fysieke locatie die meetelt voor "
            f"{target_of(result).label}. ")
    if figures["target_within_reach"]:
        return text + (f"De dekking van de {level} komt daardoor alleen van locaties in buurgemeenten binnen "
                       f"{reach}; waar die er niet zijn, is de dekking laag.")
    return text + (f"Ook over de gemeentegrens ligt geen locatie die meetelt binnen {reach}: alle {level} hebben lage "
                   "dekking en de klassen onderscheiden de gebieden alleen naar behoefte.")


def sites_notes(figures: dict) -> str:
    """How the physical sites are placed: "alle 5 bij benadering geplaatst; 3 daarvan op één punt, in Centrum"
    ('' when every site has its own exact place)."""
    n, rough = figures["sites_physical"], figures["sites_approximate"]
    notes = []
    if rough:
        notes.append("bij benadering geplaatst" if n == 1 else
                     f"alle {fmt.number(n)} bij benadering geplaatst" if rough == n else
                     f"{fmt.number(rough)} daarvan bij benadering geplaatst")
    for point in figures.get("sites_shared") or []:
        where = f", in {fmt.name(point['area'])}" if point.get("area") else ""
        notes.append(f"{fmt.number(len(point['names']))} daarvan op één punt{where}")
    return "; ".join(notes)


def sites_text(figures: dict) -> str:
    """The number of physical sites with :func:`sites_notes` in brackets: "5 (alle 5 bij benadering geplaatst)"."""
    notes = sites_notes(figures)
    return fmt.number(figures["sites_physical"]) + (f" ({notes})" if notes else "")


def programmes_text(figures: dict) -> str:
    """The counted physical sites per programme with their ages: "4 buurtsportcoach (0–100 jaar) en 1 STORM (12–16
    jaar)": what the coverage of the municipality rests on."""
    def ages(r) -> str:
        lo, hi = r.get("age_min"), r.get("age_max")
        if lo is None and hi is None:
            return ""
        return (f" ({fmt.number(lo)}–{fmt.number(hi)} jaar)" if lo is not None and hi is not None
                else f" (vanaf {fmt.number(lo)} jaar)" if lo is not None else f" (tot {fmt.number(hi)} jaar)")
    return fmt.listing([f"{fmt.number(r['sites'])} {fmt.name(r['programme'])}{ages(r)}"
                        for r in figures.get("sites_by_programme") or []])


#: Page 1 names at most this many initiatives left out for want of an age range (all of them are in the key figures).
PAGE_ONE_EXCLUDED = 2
#: ... and at most this many characters of their names (a register may hold long names; page 1 must stay one A4).
PAGE_ONE_NAMES_CHARS = 120


def excluded_text(figures: dict) -> str:
    """The initiatives left out for want of an age range, named (up to :data:`PAGE_ONE_EXCLUDED`; more are counted
    and named in the key figures, so that page 1 stays one A4), with what to do ('' when there are none)."""
    names = figures.get("excluded_names") or []
    if not names:
        return ""
    wide = figures.get("excluded_area_wide", 0)
    noun = ("locatie", "locaties") if not wide else ("initiatief", "initiatieven")
    listed = fmt.listing(names)
    which = listed if len(names) <= PAGE_ONE_EXCLUDED and len(listed) <= PAGE_ONE_NAMES_CHARS else \
        "de naam staat onder Kerncijfers" if len(names) == 1 else "hun namen staan onder Kerncijfers"
    return (f"{fmt.count(len(names), *noun)} zonder leeftijdsbereik niet meegeteld: {which}; vul dit aan in het "
            "register.")


def uncounted_share_text(figures: dict, named_others: bool = False) -> str:
    """What counting the initiatives without an age range could do to the coverage, a what-if: "met die plekken
    meegeteld (voor de hele doelgroep) zou de dekking 62% zijn in plaats van 0%" ('' when none is left out or
    nothing would change); "die plek" for one; with ``named_others`` (places lacking an age range but left out for
    another reason were named just before) by name: "met alleen A meegeteld" (an attack: Midden-Groningen's 1% read
    as with its two dated centres, which would give 51%)."""
    share, now = figures.get("target_within_reach_share_with_uncounted"), figures.get("target_within_reach_share")
    if fmt.is_missing(share) or fmt.is_missing(now) or fmt.percent(share) == fmt.percent(now):
        return ""
    listed = list(figures["excluded_names"]) + list(figures.get("excluded_across_border") or [])
    which = f"alleen {fmt.listing([fmt.name(n) for n in listed])}" if named_others else \
        "die plek" if len(listed) == 1 else "die plekken"
    return (f"met {which} meegeteld (voor de hele doelgroep) zou de dekking {fmt.percent(share)} zijn in plaats "
            f"van {fmt.percent(now)}")


def uncounted_cell(figures: dict) -> str:
    """The initiatives without an age range of a municipality and those over the border that would reach some of
    its target group, with what counting them could do: "2: A en B; over de grens ook C; met die plekken meegeteld
    (voor de hele doelgroep) zou de dekking 62% zijn in plaats van 0%"."""
    across = [fmt.name(n) for n in figures.get("excluded_across_border") or []]
    # a place without an age range that is not counted for another reason (dated, closed) is no "geen" (review of
    # Midden-Groningen: both of its own places lack an age range and are dated)
    other = [fmt.name(r["name"]) for r in figures.get("register_rows") or [] if r.get("also_no_age")]
    own = (f"{fmt.number(figures['excluded_unknown_age'])}: {fmt.listing(figures['excluded_names'])}"
           if figures["excluded_unknown_age"] else f"geen actieve in {figures['gemeente']}"
           + (f" (ook zonder leeftijdsbereik, maar om een andere reden niet meegeteld: {fmt.listing(other)})"
              if other else ""))
    parts = [own, *([f"over de grens {'ook ' if figures['excluded_unknown_age'] else ''}{fmt.listing(across)}"]
                    if across else []), *([text] if (text := uncounted_share_text(figures, bool(other))) else [])]
    return "; ".join(parts)


def ranking_caveats(result: Analysis) -> list[str]:
    """Under the province's ranking, what its figures rest on, as the municipality reports say it per municipality:
    the initiatives left out for want of an age range (named), the physical sites placed approximately, and the
    areas with estimated figures (:func:`mgg_geo.analysis.chain.estimated_areas`); empty when none applies."""
    figures = result.figures.sort_values("province_rank")
    out = []
    left = [f for _, f in figures.iterrows() if f["excluded_names"] or f.get("excluded_across_border")]
    if left:
        names = [n for f in left for n in f["excluded_names"]]
        out.append(f"Niet meegeteld omdat het leeftijdsbereik in het register ontbreekt{missing_or_partial(names)}: "
                   + "; ".join(f"in {f['gemeente']} " + (fmt.listing(f["excluded_names"]) if f["excluded_names"]
                                                          else "geen")
                               + (f", over de grens {fmt.listing(f['excluded_across_border'])}"
                                  if f.get("excluded_across_border") else "")
                               + (f", {text}" if (text := uncounted_share_text(f)) else "") for f in left)
                   + ". Met een leeftijdsbereik kunnen de dekking en de volgorde anders uitvallen; vul dit aan in het "
                     "register.")
    dated = [(f["gemeente"], [r["name"] + (" (ook zonder leeftijdsbereik)" if r.get("also_no_age") else "")
                              for r in f["register_rows"] if r["reason"] == "gedateerd"])
             for _, f in figures.iterrows()]
    dated = [(name, rows) for name, rows in dated if rows]
    if dated:
        out.append("Niet meegeteld omdat hun bron gedateerd is (" + labels.STATUS_MEANINGS["gedateerd"] + "): "
                   + "; ".join(f"in {name} {fmt.listing([fmt.name(n) for n in rows])}" for name, rows in dated)
                   + ". Bestaan ze nog, dan kunnen de dekking en de volgorde anders uitvallen.")
    rough, total = int(figures["sites_approximate"].sum()), int(figures["sites_physical"].sum())
    if rough:
        who = ("de fysieke locatie is" if total == 1 else f"alle {fmt.number(total)} fysieke locaties zijn"
               if rough == total else f"{fmt.number(rough)} van de {fmt.number(total)} fysieke locaties "
               f"{'is' if rough == 1 else 'zijn'}")
        out.append(f"{who[0].upper()}{who[1:]} bij benadering geplaatst (op een gebied of plaats, niet op een "
                   "adres); de dekking hangt van die plaatsing af (zie de gemeenterapporten).")
    per = estimated_flags(result).groupby(result.areas["gemeente_code"]).sum()  # once for the province
    estimated = [(f["gemeente"], int(per.get(code, 0))) for code, f in figures.iterrows()]
    estimated = [(name, n) for name, n in estimated if n]
    if estimated:
        out.append("Deels geschatte cijfers in "
                   + fmt.listing([f"{name} ({_areas(result, n)})" for name, n in estimated])
                   + f": {labels.ESTIMATED_RULE} (zie Datakwaliteit in de gemeenterapporten).")
    return out


def measured_text(result: Analysis) -> str:
    """One sentence: what the need index measures for adults and households, and what exists for young people."""
    level = level_word(result, False)
    health = kinds.HEALTH.of(result.sources)
    adults = ""
    if health:
        who = labels.AGE_GROUPS.get(result.parameters.get("age_group"), result.parameters.get("age_group"))
        adults = f" en over {who} (RIVM {health.get('year')})"
    youth = kinds.YOUTH.of(result.sources)
    group = target_of(result)
    if not group.meets(catalogue.YOUNG_ADULT_AGES):  # review: reports for people of 65+ spoke of young people
        young = f"cijfers over de gezondheid van alleen {group.label} gebruikt de index niet"
    elif youth and len(result.youth):
        young = "cijfers over jongeren zelf (16–25 jaar) zijn er alleen per gemeente: zie Jongvolwassenen"
    else:
        young = (f"cijfers over jongeren zelf zijn er in de gebruikte bronnen niet per {level} (de Gezondheidsmonitor "
                 "Jongvolwassenen is niet ingelezen)")
    return (f"De behoefte per {level} rust op cijfers over alle inwoners en huishoudens (CBS){adults}; {young}.")


def estimated_word(result: Analysis) -> str:
    """ "naar schatting " before a count or share of the target group reached when the run spreads each area's
    target group evenly over its buurten (no buurt figures: ``parameters["points"] == "buurt_equal"``); the key
    figures say why (:func:`spread_text`)."""
    return "naar schatting " if result.parameters["points"] == "buurt_equal" else ""


def spread_text(result: Analysis) -> str:
    """Where the run puts the target group of an area to measure coverage and distance, for the key figures."""
    group, level = target_of(result), level_word(result, False)
    return {"buurt": f"in de buurten van elke {level}, naar hun aantal {group.key}",
            "buurt_equal": f"gelijk verdeeld over de buurten van elke {level} (er zijn geen aantallen {group.key} per "
                           "buurt): dekking, afstanden en de aantallen bij het voorstel zijn daardoor schattingen",
            "area": f"op één punt in elke {level}: een {level} is helemaal wel of niet binnen bereik"}[
        result.parameters["points"]]


def ranked_listing(names: list[str]) -> str:
    """The first priorities in a sentence: "A, B en C", numbered when a name holds " en " or ", " itself
    ("1. Hoogezand-Zuid, 2. Foxham en 3. Hoogezand-Noord en Foxhol": read as four places otherwise)."""
    if any(" en " in n or ", " in n for n in names):
        return fmt.listing([f"{i}. {n}" for i, n in enumerate(names, 1)])
    return fmt.listing(names)


def summary_statements(result: Analysis, code: str) -> list[str]:
    """The sentences of the summary on page 1, each computed from the analysis (see ``tests/test_statements.py``)."""
    f = figures_of(result, code)
    group = target_of(result)
    reach = fmt.radius(f["reach_km"] * 1000)
    parts = [f"In {f['gemeente']} wonen {fmt.number(f['target_population'])} {group.label} "
             f"({fmt.number(f['population'])} inwoners in totaal, verdeeld over {_areas(result, f['areas'])})."]
    if f["sites_physical"]:
        notes = sites_notes(f)
        parts.append(f"Van hen woont {estimated_word(result)}{fmt.percent(f['target_within_reach_share'])} binnen "
                     f"{reach} van een fysieke locatie met aanbod voor de doelgroep (in de gemeente of over de grens).")
        verb = "staat" if f["sites_physical"] == 1 else "staan"
        parts.append(f"In het register {verb} in {f['gemeente']} "
                     f"{fmt.count(f['sites_physical'], 'fysieke locatie', 'fysieke locaties')} met aanbod voor de "
                     f"doelgroep{f' ({notes})' if notes else ''}.")
    else:
        parts.append(no_sites_text(result, f))
    if f["excluded_names"]:
        parts.append(excluded_text(f))
    if f.get("register_few"):
        parts.append(register_text(result, f, page_one=True))
    if f["area_wide_offers"]:
        parts.append(f"Gemeentebreed aanbod, voor alle inwoners en zonder vaste locatie: "
                     f"{fmt.listing(f['area_wide_offers'])}. Dat aanbod telt niet mee in de afstand tot een locatie.")
    top = [area_label(result, t["code"], places=True) if t["code"] in result.areas.index
           else labels.area_label(t["name"], t.get("partial_data", False)) for t in f["top_priority"]]
    if f["areas_target_cell"]:
        verb = "heeft" if f["areas_target_cell"] == 1 else "hebben"
        text = _areas(result, f["areas_target_cell"])
        parts.append(f"{text[0].upper() + text[1:]} {verb} hoge behoefte en lage dekking; daar wonen "
                     f"{fmt.number(f['target_in_target_cell'])} {group.key} ({fmt.percent(f['target_cell_share'])} "
                     f"van de doelgroep). Bovenaan de prioriteiten staan {ranked_listing(top)}.")
    elif top:
        parts.append(f"Geen enkel gebied heeft zowel hoge behoefte als lage dekking; bovenaan de prioriteiten staan "
                     f"{ranked_listing(top)}.")
    areas = result.areas[(result.areas["gemeente_code"] == code) & result.areas["ranked"]
                         & result.areas["partial_data"]]
    if len(areas):
        total = len(target_of(result).need_indicators)
        rule = f"{labels.PARTIAL} ({partial_rule(result)})"
        if len(areas) == 1:
            r = areas.iloc[0]
            parts.append(f"Bij {fmt.name(r['name'])} ontbreken {fmt.number(total - r['indicators_present'])} van de "
                         f"{fmt.number(total)} behoeftecijfers: {rule}. De plaats in de prioriteiten rust daar op de "
                         f"overige {fmt.number(r['indicators_present'])}.")
        else:
            named = [f"{fmt.name(r['name'])} ({fmt.number(total - r['indicators_present'])} van de "
                     f"{fmt.number(total)})" for _, r in areas.iterrows()]
            parts.append(f"Bij {fmt.listing(named)} ontbreken behoeftecijfers: {rule}. Hun plaats in de prioriteiten "
                         "rust op de overige cijfers.")
    estimated = estimated_text(result, code)
    if estimated:
        parts.append(estimated)
    parts.append(measured_text(result))
    return parts


def estimated_text(result: Analysis, code: str) -> str:
    """Page 1: the areas with estimated figures (from the areas of a source's year, by overlap, CBS's figures or the
    former municipalities' average), naming the first priorities among them; empty when every area has figures of
    its own or moved unchanged. No cause is given here: "Datakwaliteit" gives each area's evidence."""
    estimated = estimated_areas(result, code)
    if not estimated:
        return ""
    first = [fmt.name(result.areas.at[a, "name"]) for a in result.priorities(code).head(PAGE_ONE_PRIORITIES).index
             if a in estimated]
    text = f"Bij {_areas(result, len(estimated))} is een deel van de cijfers geschat (zie Datakwaliteit)"
    return text + (f"; van de eerste prioriteiten geldt dat voor {fmt.listing(first)}." if first else ".")


def summary_blocks(result: Analysis, code: str) -> list[Block]:
    """The plain-language summary on top of the report: who, how many are reached, where the gap is."""
    return [Block("summary", items=summary_statements(result, code))]


#: The priorities page 1 names.
PAGE_ONE_PRIORITIES = 3


def _reaches(r: pd.Series) -> tuple:
    """The need classes an area's rank interval reaches (for :func:`mgg_geo.present.labels.gap_label`)."""
    return tuple(r.get(k) for k in ("need_class_high", "need_class_low"))


def _on_border(r: pd.Series) -> bool:
    """Whether an area's rank interval reaches another need class than its own."""
    return any(not fmt.is_missing(c) and c != r["need_class"] for c in _reaches(r))


def priority_statements(result: Analysis, code: str, top: int = PAGE_ONE_PRIORITIES) -> list[str]:
    """Page 1, "Eerst aan de beurt": the first ``top`` priorities in words, each with its class, its target group,
    how many of them live within reach, and what drives its need (from the analysis)."""
    group = target_of(result)
    reach = fmt.radius(result.parameters["reach_m"])
    out = []
    for area, r in result.priorities(code).head(top).iterrows():
        text = (f"{fmt.number(r['priority'])}. {area_label(result, area, places=True)}: "
                f"{labels.gap_label(r['need_class'], r['coverage_class'], _reaches(r)).lower()}; "
                f"{fmt.number(r['target_population'])} {group.key}, van wie {fmt.percent(r['reach'])} binnen {reach} "
                "van een locatie.")
        out.append(f"{text} {driver_sentence(result, area)}")
    return out


def scored_against(result: Analysis, key: str) -> float | None:
    """The value the need index scores indicator ``key`` against (the analysis's ``comparison``, column
    ``reference``): what an area's figure is above or below when its domain is above or below the province."""
    found = result.comparison.loc[result.comparison["indicator"] == key, "reference"]
    return float(found.iloc[0]) if len(found) and not fmt.is_missing(found.iloc[0]) else None


def reference_words(result: Analysis, *, noun: bool = False) -> str:
    """How :func:`scored_against` is named after its value ("gemiddeld over de wijken van de provincie"), or, with
    ``noun``, as a noun ("het gemiddelde over de wijken van de provincie"): the plain mean of the province's areas
    (``zscore``), or their middle value (``rank``); not the weighted province figure of the comparison
    table."""
    areas = f"de {level_word(result)} van de provincie"
    if result.parameters["method"] == "zscore":
        return f"het gemiddelde over {areas}" if noun else f"gemiddeld over {areas}"
    return f"de middelste waarde van {areas}" if noun else f"als middelste waarde van {areas}"


def why_text(result: Analysis) -> str:
    """The key of the priorities' "Waarom" lines: what each line compares an area's figure with
    (:func:`reference_words`: what the need index scores against, each area counted once), not the
    weighted figure of "Vergelijking met de provincie"."""
    return ("Waarom: per gebied het leidende domein en het cijfer dat dat domein het meest bepaalt, met de waarde in "
            f"het gebied tegen {reference_words(result, noun=True)}, waarin elke {level_word(result, False)} even "
            "zwaar telt: daartegen meet de behoefte-index (de tabel Vergelijking met de provincie weegt naar "
            "huishoudens, woningen of inwoners).")


def _driver(result: Analysis, code: str) -> tuple[str, float, str, list[tuple[str, float]]] | None:
    """What drives area ``code``'s need: its leading domain (lower case), the domain's score, the phrase of the
    indicator that leads it, "personen met bijstand per 1.000 inwoners 39,1 tegen 22,2 gemiddeld over de wijken van
    de provincie" (the value :func:`scored_against`, the unit once), and the other domains above 0 within
    :data:`mgg_geo.rules.NEAR_TIE` of the leading score (lower case, score); None without a leading domain."""
    r = result.areas.loc[code]
    domain, key = r.get("leading_domain"), r.get("leading_indicator")
    if not isinstance(domain, str) or not isinstance(key, str):
        return None
    ind = catalogue.INDICATOR_BY_KEY[key]

    def value(v) -> str:  # the unit once: "personen met bijstand per 1.000 inwoners 39,1 tegen 33,0"
        return fmt.number(v, 1) if ind.unit and ind.unit in ind.label else fmt.measure(v, ind.unit)

    reference = scored_against(result, key)
    versus = "" if reference is None else f", even hoog als {reference_words(result)}" if pd.notna(r[key]) and \
        value(r[key]) == value(reference) else f" tegen {value(reference)} {reference_words(result)}"
    # the least favourable figure of an area below the province in every domain may itself be favourable: said so
    favourable = reference is not None and pd.notna(r[key]) and (float(r[key]) - reference) * ind.direction < 0 \
        and value(r[key]) != value(reference)  # as printed: "€ 218.000 tegen € 218.000" is no difference
    notes = [n for n, on in (("lager betekent meer behoefte", ind.direction < 0),
                             ("ook dit cijfer is gunstiger dan gemiddeld", favourable)) if on]
    lower = f" ({'; '.join(notes)})" if notes else ""
    score = float(r[f"need_{domain}"])
    others = {d: float(r[f"need_{d}"]) for d in catalogue.DOMAINS
              if d != domain and f"need_{d}" in r and pd.notna(r[f"need_{d}"])}
    close = [(catalogue.DOMAINS[d].lower(), v) for d, v in others.items() if 0 < v and score - v <= rules.NEAR_TIE]
    return catalogue.DOMAINS[domain].lower(), score, f"{_indicator_name(ind)} {value(r[key])}{versus}{lower}", close


def _near(close: list[tuple[str, float]], scores: bool) -> str:
    """The domains close to the leading one: "armoede bijna even hoog: +0,40" (or without the scores)."""
    return fmt.listing([f"{label} bijna even hoog" + (f": {fmt.signed(v, 2)}" if scores else "")
                        for label, v in close])


def driver_sentence(result: Analysis, code: str) -> str:
    """What drives an area's need in one sentence (page 1): "Vooral armoede: huishoudens met een laag inkomen 11,2%
    tegen 8,5% gemiddeld over de wijken van de provincie." (:func:`_driver`), with a domain about as high named."""
    driver = _driver(result, code)
    if driver is None:
        return "Te weinig cijfers om te zeggen wat de behoefte bepaalt."
    label, score, figure, close = driver
    if score > 0:
        return f"Vooral {label}{f' ({_near(close, False)})' if close else ''}: {figure}."
    return f"Geen domein boven het gemiddelde van de provincie; het minst gunstig is {label}: {figure}."


def partly_known(names) -> bool:
    """Whether one of the places ``names`` (as :func:`mgg_geo.analysis.chain.named_with_known_ages` names them) has
    one age bound only (:data:`~mgg_geo.analysis.chain.KNOWN_AGES_NOTE`)."""
    return any(KNOWN_AGES_NOTE in str(n) for n in names)


def missing_or_partial(names) -> str:
    """After "het leeftijdsbereik in het register ontbreekt": where one of the places ``names`` has one bound only
    (:func:`partly_known`), that it may also not say whether it serves the group."""
    return " of niet zegt of het de doelgroep bereikt" if partly_known(names) else ""


def uncounted_text(names: list[str], lead: str, page_one: bool = False, then: str = "") -> str:
    """Initiatives without an age range near a proposal (:func:`~mgg_geo.analysis.chain.uncounted_near`), after
    ``lead`` (where): "Binnen <bereik> van stap 1 (X) liggen al A en B, niet meegeteld (geen leeftijdsbereik in het
    register); met een leeftijdsbereik kan dit voorstel anders uitvallen." ('' without names), or with ``then``
    (what counting them would do, :func:`if_counted_text`) in its place; on ``page_one`` names longer than
    :data:`PAGE_ONE_NAMES_CHARS` are counted ("2 plekken, zie Voorstel"), and with ``then`` the reason is left to
    ``then`` (page 1 has named them as left out just above)."""
    if not names:
        return ""
    listed = fmt.listing([fmt.name(n) for n in names])
    if page_one and len(listed) > PAGE_ONE_NAMES_CHARS:
        listed = fmt.count(len(names), "plek", "plekken") + " (zie Voorstel)"
    said = f"{lead} {'ligt' if len(names) == 1 else 'liggen'} al {listed}" + (
        "" if page_one and then else ", niet meegeteld (geen" + (" of een onvolledig" if partly_known(names) else "")
        + " leeftijdsbereik in het register)")
    return f"{said}. {then}" if then else f"{said}; met een leeftijdsbereik kan dit voorstel anders uitvallen."


def any_age_unknown(result: Analysis, names: list[str]) -> bool:
    """Whether any of the places ``names`` (counted in a what-if) has no known age range for the target group: a
    place kept out for its status without one (``ages_known`` of :attr:`Analysis.status_places`), or one left out
    for want of it (any name not among the status places). Then counting it counts it for the whole group."""
    places = result.status_places
    known = dict(zip(places["name"], places["ages_known"].astype(bool), strict=True)) \
        if "ages_known" in places else {}
    return any(not known.get(n, False) for n in names)


def if_counted_text(result: Analysis, code: str, page_one: bool = False, named: list[str] = (),
                    schools: bool = False, kind: str = "uncounted") -> str:
    """What counting the places the register keeps out that could change the first new site (or, with ``schools``,
    the first school) would do (:func:`mgg_geo.analysis.whatif.first_if_counted`): who in high-need areas would
    then be within reach already, and where the first step would go. ``kind``: ``uncounted``, the active
    initiatives without an age range, as if they served the whole target group ("Telt die plek mee, alsof ze alle
    jongeren van 0 tot 25 jaar bedient, dan wonen alle 5.150 jongeren in wijken met hoge behoefte al binnen
    <bereik>, en komt de eerste nieuwe locatie bij Boven-Wildervank (Wijk 02 Wildervank), met naar schatting 1.160
    jongeren erbij, geen van hen in een wijk met hoge behoefte."), or ``status``, the places kept out for their
    status (:attr:`~mgg_geo.analysis.Analysis.status_places`), as if they were active ("Tellen die plekken mee,
    alsof ze actief zijn en alle jongeren van 0 tot 25 jaar bedienen, dan ..."). '' when none could change it.
    ``named``: the places just named before it ("die plek"); others are named first ("Op minder dan 6 km van stap
    1 (X) ligt ook Y, zonder leeftijdsbereik niet meegeteld."). On ``page_one`` shorter, the figures left to the
    proposal."""
    table, steps = (result.school_whatif, result.school_sites) if schools else (result.whatif, result.whatif_sites)
    if code not in table.index or f"{kind}_first" not in table:
        return ""
    w = table.loc[code].rename(lambda c: c.replace(f"{kind}_", "counted_", 1) if c.startswith(f"{kind}_") else c)
    flag = w.get("counted_first")
    if not (isinstance(flag, (bool, np.bool_)) and flag):
        return ""
    group, level, one = target_of(result), level_word(result), level_word(result, False)
    reach = fmt.radius(w["reach_m"])
    first = steps[(steps["gemeente_code"] == code) & (steps["step"] == 1)].iloc[0]
    counted = [n for n in str(w.get("counted_first_names") or "").split("; ") if n]
    extra = [n for n in counted if n not in set(named)]
    new, high = w["counted_first_new"], w["counted_first_high"]
    same = w.get("counted_first_code") == first["code"] and fmt.number(new) == fmt.number(first["new_population"])
    if same and not named:  # nothing was said of them, and they change nothing (an attack: ouderen, 6 km away)
        return ""
    where = "die plek" if page_one else "de school van stap 1" if schools else f"stap 1 ({fmt.name(first['name'])})"
    listed = fmt.listing([fmt.name(n) for n in extra])
    if page_one and len(listed) > PAGE_ONE_NAMES_CHARS:  # page 1 stays one A4 (an attack: 8 long names)
        listed = fmt.count(len(extra), "plek", "plekken") + " (zie Voorstel)"
    status = dict(zip(result.status_places.get("name", []), result.status_places.get("status", []), strict=True))
    # the status what-if counts the places without an age range too (the one at a time put Eemsdelta's first site
    # 500 m from the other place: review): per place why it did not count
    def why(names: list[str]) -> str:
        kept = [n for n in names if n in status]
        return fmt.listing(
            ([f"niet meegeteld om de status ({fmt.listing(list(dict.fromkeys(status[n] for n in kept)))})"]
             if kept else []) + (["zonder leeftijdsbereik niet meegeteld"] if len(kept) < len(names) else []))

    # a place is counted when it lies within twice the reach of step 1 or of where the first site would go with
    # those counted (an attack: Break!, 9 km from Midden-Groningen's first site, was said to lie within 6 km of it)
    xy = {str(n): (x, y) for frame in (result.excluded, result.status_places) if "point_x" in frame
          for n, x, y in zip(frame["name"], frame["point_x"], frame["point_y"], strict=True)}
    close = [n for n in extra if n not in xy or np.hypot(xy[n][0] - first.geometry.x, xy[n][1] - first.geometry.y)
             <= 2 * w["reach_m"]]
    far = [n for n in extra if n not in close]
    twice = fmt.radius(2 * w["reach_m"])
    said = (f"Op minder dan {twice} van {where} {'ligt' if len(close) == 1 else 'liggen'} "
            f"{'ook ' if named else ''}{listed if not far else fmt.listing([fmt.name(n) for n in close])}, "
            f"{why(close)}. " if close else "")
    if far and not page_one:  # named with the place they lie near (review: "een plek" said not which)
        via = dict(json.loads(w["counted_first_via"])) if isinstance(w.get("counted_first_via"), str) and \
            w["counted_first_via"] else {}
        grouped: dict[str, list[str]] = {}
        for n in far:
            grouped.setdefault(via.get(n, ""), []).append(n)
        for at, names in grouped.items():
            spot = f"{fmt.name(at)}, waar" if at else "een plek waar"
            # "Verder weg" was read as farther from the place named next, where Flits lies (review of Eemsdelta)
            said += (f"Meer dan {twice} van {where}, maar binnen {twice} van {spot} de eerste "
                     f"{'school' if schools else 'nieuwe locatie'} komt als de plekken hierboven meetellen, "
                     f"{'ligt' if len(names) == 1 else 'liggen'} {fmt.listing([fmt.name(n) for n in names])}, "
                     f"{why(names)}. ")
    single = len(counted) == 1
    serves = f"alle {group.label} {'bedient' if single else 'bedienen'}"
    if kind == "uncounted":
        said += f"{'Telt die plek' if single else 'Tellen die plekken'} mee" + (
            f" (voor alle {group.label}), dan" if page_one else f", alsof ze {serves}, dan")
    else:  # as if active; one without an age range also as if it served the whole target group
        besides = [n for n in counted if n not in status and n not in set(extra)]  # said in the sentence before
        ours = [n for n in counted if n in status]
        no_age = [n for n in counted if n not in status]  # active, only without an age range (Cadanz, Break!)
        if no_age:  # "als actief" only of the places kept out for their status
            one_kept = len(ours) == 1
            said += (f"{'Telt die plek' if one_kept else 'Tellen die plekken'} mee alsof ze actief "
                     f"{'is' if one_kept else 'zijn'}, en ook "
                     + (fmt.listing([fmt.name(n) for n in besides]) if besides and len(besides) == len(no_age) else
                        f"{'de plek' if len(no_age) == 1 else 'de plekken'} zonder leeftijdsbereik hierboven")
                     + f", elk voor alle {group.label}, dan")
        else:
            said += (f"{'Telt die plek' if single else 'Tellen die plekken'} mee, alsof ze actief "
                     f"{'is' if single else 'zijn'}" + (f" en {serves}" if any_age_unknown(result, counted) else "")
                     + ", dan")
        other = table.loc[code]  # the same as counting those without an age range alone: said short (Pekela, 65+)
        alone = other.get("uncounted_first")
        if isinstance(alone, (bool, np.bool_)) and alone and no_age and \
                other.get("uncounted_first_code") == w.get("counted_first_code") and \
                fmt.number(other.get("uncounted_first_new")) == fmt.number(new):
            return said.removesuffix(", dan") + (
                f", dan blijft dat zo: de eerste {'school' if schools else 'nieuwe locatie'} komt ook dan bij "
                f"{fmt.name(w['counted_first_name'])}." if isinstance(w.get("counted_first_name"), str) else
                ", dan blijft dat zo.")
    within, total = w.get("counted_high_within"), w.get("counted_high_total")
    if not fmt.is_missing(total) and total > 0 and not fmt.is_missing(within):
        share = f"alle {fmt.number(total)}" if fmt.number(within) == fmt.number(total) else \
            f"{fmt.number(within)} van de {fmt.number(total)}"
        said += f" wonen {share} {group.key} in {level} met hoge behoefte al binnen {reach}{'' if page_one else ','} en"
    if not isinstance(w.get("counted_first_name"), str):
        if schools:
            return f"{said} brengt geen kandidaat-school nog {group.key} binnen {reach} erbij."
        reason = w.get("counted_first_reason")
        why = labels.WHATIF_REASONS.get(reason, "") if isinstance(reason, str) else ""
        return f"{said} wordt er geen nieuwe locatie voorgesteld" + (
            f": {why.format(target=group.key, reach=reach)}." if why else ".")
    if w.get("counted_first_code") == first["code"]:  # the same buurt (names recur: "Verspreide huizen")
        if same:
            return f"{said} verandert de eerste stap niet."
        high_said = (f", en {fmt.number(high)} in plaats van {fmt.number(first['new_high_need'])} in {level} met "
                     "hoge behoefte" if w["before_high_need_total"] > 0 else "")
        stays = "blijft de keuze bij deze school, maar brengt ze" if schools else \
            f"blijft de eerste nieuwe locatie bij {fmt.name(first['name'])}, maar brengt die"
        return (f"{said} {stays} {estimated_word(result)}{fmt.number(new)} {group.key} erbij in plaats van "
                f"{fmt.number(first['new_population'])}{high_said}.")
    name = fmt.name(w["counted_first_name"])
    if page_one:  # the figures are in the proposal
        return f"{said} komt de eerste nieuwe locatie bij {name} (zie Voorstel)."
    none = fmt.number(high) == "0"
    said_high = "" if w["before_high_need_total"] <= 0 else \
        f", {f'geen van hen in een {one}' if none else f'van wie {fmt.number(high)} in {level}'} met hoge behoefte"
    equal = [n for n in str(w.get("counted_first_equal") or "").split("; ") if n]
    area = w.get("counted_first_area")
    placed = f" ({area_label(result, area)})" if isinstance(area, str) and area in result.areas.index else ""
    noun = ("andere school", "andere scholen") if schools else ("andere plek", "andere plekken")
    step = f"eerst {name}{placed} aan de beurt" if schools else f"de eerste nieuwe locatie bij {name}{placed}"
    # the same place as a later step of the proposal, with another count: said (review: Muntendam brings 1.202 here
    # and 1.160 as step 2, which read as a contradiction)
    later = steps[(steps["gemeente_code"] == code) & (steps["code"] == w.get("counted_first_code"))]
    also = (f" ({'in de volgorde van scholen' if schools else 'in het voorstel'} is dat stap "
            f"{fmt.number(later.iloc[0]['step'])}, met "
            f"{fmt.number(later.iloc[0]['new_population'])} erbij)" if len(later) and
            fmt.number(later.iloc[0]["new_population"]) != fmt.number(new) else "")
    return (f"{said} komt {step}, met "
            f"{estimated_word(result)}{fmt.number(new)} {group.key} erbij{said_high}{also}"
            + (f"; evenveel {'brengt' if len(equal) == 1 else 'brengen'} {fmt.listing(_capped(equal, *noun))}"
               if equal else "") + ".")


#: A proposal step names at most this many of the places that would bring as much (the rest are counted).
EQUAL_NAMED = 4


def equal_names(r: pd.Series) -> list[str]:
    """The other places a proposal step could take with the same gain (``equal_names`` of the what-if)."""
    return [n for n in str(r.get("equal_names") or "").split("; ") if n]


def _capped(names: list[str], one: str, many: str) -> list[str]:
    """At most :data:`EQUAL_NAMED` names, the rest counted ("en 8 andere plekken" as ``one``/``many``)."""
    shown = [fmt.name(n) for n in names[:EQUAL_NAMED]]
    if len(names) > EQUAL_NAMED:
        shown.append(fmt.count(len(names) - EQUAL_NAMED, one, many))
    return shown


def equal_text(r: pd.Series, noun: tuple[str, str] = ("plek", "plekken"), area: str = "wijk",
               target: str = "jongeren") -> str:
    """A proposal step with others as good, and what put it before them (``equal_by``, :data:`mgg_geo.present.
    labels.TIE_REASONS`; the rule itself is said once, with the objective): "Bij stap 3 leveren A, B en C evenveel
    op als Buitenwoel; Buitenwoel krijgt voorrang omdat ze in de andere gemeenten van de provincie meer jongeren
    bereikt, ..."; where different rules decided, per group ("Corpus den Hoorn krijgt voorrang boven Piccardthof en
    6 andere plekken omdat ze ligt in ...; tussen Corpus den Hoorn, A, B en C is de keuze willekeurig"). At most
    :data:`EQUAL_NAMED` names per list, the rest counted; '' when the step stood alone."""
    names = equal_names(r)
    if not names:
        return ""
    rules_ = [b for b in str(r.get("equal_by") or "").split("; ") if b]
    groups: dict[str, list[str]] = {}
    for name, rule in zip(names, rules_ if len(rules_) == len(names) else ["order"] * len(names), strict=True):
        groups.setdefault(rule if rule in labels.TIE_REASONS else "order", []).append(name)
    chosen = fmt.name(r["name"])
    said = [f"Bij stap {fmt.number(r['step'])} {'levert' if len(names) == 1 else 'leveren'} "
            f"{fmt.listing(_capped(names, f'andere {noun[0]}', f'andere {noun[1]}'))} evenveel op als {chosen}"]
    equal = ("ze zijn ook gelijk naar wie ze bereiken, wat ze over de grens opleveren en waar ze liggen, dus de keuze "
             "tussen hen is willekeurig")
    if len(groups) == 1:
        rule = next(iter(groups))
        said.append(equal if rule == "order" else
                    f"{chosen} krijgt voorrang omdat ze {labels.TIE_REASONS[rule].format(target=target, level=area)}")
        return "; ".join(said) + "."
    ahead = False  # "X krijgt voorrang boven A omdat ...; en boven B omdat ..." (the name once: an attack at k 12)
    for rule in [*labels.TIE_REASONS, "order"]:  # the deciding rules first, the arbitrary choice last
        if rule not in groups:
            continue
        capped = _capped(groups[rule], f"andere {noun[0]}", f"andere {noun[1]}")
        if rule == "order":
            said.append(f"tussen {fmt.listing([chosen, *capped])} is de keuze willekeurig (ook gelijk naar wie ze "
                        "bereiken, wat ze over de grens opleveren en waar ze liggen)")
        else:
            said.append(f"{'en' if ahead else f'{chosen} krijgt voorrang'} boven {fmt.listing(capped)} omdat ze "
                        f"{labels.TIE_REASONS[rule].format(target=target, level=area)}")
            ahead = True
    return "; ".join(said) + "."


def across_text(result: Analysis, r: pd.Series, schools: bool = False) -> str:
    """A proposal step that also brings people over the municipal border within reach, not counted
    (:func:`mgg_geo.analysis.whatif.what_if`, ``across_border``): "Stap 3 (Buitenwoel) brengt ook naar schatting 580
    jongeren over de gemeentegrens binnen <bereik>: Muntendam (hoge behoefte, 580) in Midden-Groningen; die tellen in
    dit voorstel niet mee."; '' when it brings nobody there."""
    across = r.get("across_border")
    if not isinstance(across, (int, float, np.number)) or not across >= 0.5:
        return ""
    areas: dict[str, list[str]] = {}  # per municipality its areas: "Muntendam (hoge behoefte, 580)"
    for item in str(r.get("across_border_areas") or "").split("; "):
        area, _, people = item.partition("=")
        if area in result.areas.index and people:
            municipality = regions.MUNICIPALITIES.get(result.areas.at[area, "gemeente_code"], "")
            areas.setdefault(municipality, []).append(_area_said(
                result, area, f"{_class_word(result.areas.at[area, 'need_class'])}, {fmt.number(float(people))}"))
    where = fmt.listing([f"{fmt.listing(_capped(a, 'ander gebied', 'andere gebieden'))} in {m}"
                         for m, a in areas.items()])
    placed = ", op de plek waar de school in dit rapport staat (zie Plaatsing)," if schools else ""
    return (f"Stap {fmt.number(r['step'])} ({fmt.name(r['name'])}){placed} brengt ook {estimated_word(result)}"
            f"{fmt.number(across)} {target_of(result).key} over de gemeentegrens binnen "
            f"{fmt.radius(result.parameters['reach_m'])}{': ' + where if where else ''}; die tellen in dit voorstel "
            "niet mee.")


def _area_said(result: Analysis, area: str, said: str) -> str:
    """An area's label (with its places, :func:`area_label`) and ``said`` in one bracket: "Mussel (lage behoefte,
    450)", "Wijk 01 (Nieuwe Pekela en Boven-Pekela; hoge behoefte, 395)"."""
    label = area_label(result, area, places=True)
    if label != str(result.areas.at[area, "name"]) and label.endswith(")"):  # places or flags added
        return f"{label[:-1]}; {said})"
    return f"{label} ({said})"


def status_text(places: list[tuple[str, str]], lead: str, then: str | None = None) -> str:
    """The register's places near a proposal that do not count for their status (:func:`~mgg_geo.analysis.chain.
    status_near`), after ``lead`` (where): "Binnen <bereik> van stap 1 (X) staat in het register ook A met status
    gedateerd, dat niet meetelt; telt zo'n plek wel mee, dan kan dit voorstel anders uitvallen." ('' without
    places). ``then``: what counting them does (:func:`if_counted_text`, at step 1) in place of "kan ...
    anders uitvallen"; "" when it was computed and changes nothing (they bring no one newly within reach)."""
    if not places:
        return ""
    by_status: dict[str, list[str]] = {}
    for name, status in places:
        by_status.setdefault(status, []).append(fmt.name(name))
    named = fmt.listing([f"{fmt.listing(names)} met status {labels.STATUSES.get(st, st)}"
                         for st, names in by_status.items()])
    one = len(places) == 1
    said = (f"{lead} {'staat' if one else 'staan'} in het register ook {named}, {'dat' if one else 'die'} niet "
            f"{'meetelt' if one else 'meetellen'}")
    if then is None:
        return f"{said}; telt zo'n plek wel mee, dan kan dit voorstel anders uitvallen."
    return f"{said}. {then}" if then else f"{said}; {'ze bereikt' if one else 'ze bereiken'} niemand die nu " \
        "buiten bereik woont."


def also_text(result: Analysis, r: pd.Series) -> str:
    """A later proposal step (from step 2) that brings people who live within reach of a place without an age range
    too (``new_also``, ``also_places`` of :func:`mgg_geo.analysis.whatif.what_if`): "Van de 1.160 jongeren die stap 2
    (X) erbij brengt, wonen er naar schatting 193 ook binnen <bereik> van Jongerencentrum Break! (...), dat zonder
    leeftijdsbereik niet meetelt; telt die plek mee, dan brengt deze stap minder en kan het voorstel anders
    uitvallen." ('' otherwise; step 1 says what counting them does: :func:`if_counted_text`). Review: Midden-
    Groningen's step 2 brings 193 young people who live by Veendam's Break!, unsaid."""
    also, names = r.get("new_also"), [n for n in str(r.get("also_places") or "").split("; ") if n]
    if r["step"] == 1 or fmt.is_missing(also) or fmt.number(also) == "0" or not names:
        return ""
    group, one = target_of(result), len(names) == 1
    return (f"Van de {fmt.number(r['new_population'])} {group.key} die stap {fmt.number(r['step'])} "
            f"({fmt.name(r['name'])}) erbij brengt, wonen er {estimated_word(result)}{fmt.number(also)} ook binnen "
            f"{fmt.radius(result.parameters['reach_m'])} van {fmt.listing([fmt.name(n) for n in names])}, "
            f"{'dat' if one else 'die'} zonder leeftijdsbereik niet {'meetelt' if one else 'meetellen'}; "
            f"{'telt die plek' if one else 'tellen die plekken'} mee, dan brengt deze stap minder en kan het voorstel "
            "anders uitvallen.")


def step_notes(result: Analysis, code: str, steps: pd.DataFrame, lead,
               noun: tuple[str, str] = ("plek", "plekken")) -> list[str]:
    """Under a proposal's steps of municipality ``code`` (new sites, or schools): per step the places without an
    age range near it (:func:`uncounted_text`, after ``lead(step)``) and the places that do not count for their
    status (:func:`status_text`), at step 1 each with what counting those that could change it would do
    (:func:`if_counted_text`, which names them itself when none is near), then per step who it reaches over the
    border (:func:`across_text`) and the places as good (:func:`equal_text`)."""
    near, other = uncounted_near(result, steps.geometry), status_near(result, steps.geometry)
    area, schools = level_word(result, False), noun[0] == "school"
    rows = list(steps.iterrows())
    # review: Veendam's first site and only candidate school would bring far fewer, or no one, with Break! counted
    counting = if_counted_text(result, code, named=near[0], schools=schools) if rows else ""
    table = result.school_whatif if schools else result.whatif
    # Midden-Groningen's first site lies by two youth centres of which the source is dated: if they still run, it
    # would go to Muntendam
    computed = rows and code in table.index and "status_first" in table
    status_then = if_counted_text(result, code, named=[n for n, _ in other[0]] + near[0], schools=schools,
                                  kind="status") if computed else None
    step_one = set(str(table.at[code, "status_first_names"]).split("; ")) if computed and \
        table.at[code, "status_first"] else set()

    def later_status(places: list[tuple[str, str]]) -> str | None:
        """At a later step, places whose counting was worked out at step 1 point there (review: Eemsdelta's school
        gave the answer at step 1, then at step 2 "kan dit voorstel anders uitvallen" for the same Jimmy's)."""
        return "Wat meetellen ervan doet, staat bij stap 1." if places and {n for n, _ in places} <= step_one else None

    def then(r: pd.Series) -> str:  # what counting them does: at step 1 computed, later what the step brings too
        return counting if r["step"] == 1 else also_text(result, r)

    return ([t for names, (_, r) in zip(near, rows, strict=True)
             if (t := uncounted_text(names, lead(r), then=then(r)) or then(r))]
            + [t for places, (_, r) in zip(other, rows, strict=True)
               if (t := status_text(places, lead(r), then=status_then if r["step"] == 1 else later_status(places))
                   or (status_then if r["step"] == 1 else ""))]
            + [t for _, r in rows if (t := across_text(result, r, schools=schools))]
            + [t for _, r in rows if (t := equal_text(r, noun, area, target_of(result).key))])


def where_next_statements(result: Analysis, code: str) -> list[str]:
    """Page 1, "Waar een nieuwe locatie het meest oplevert": the first proposed site and what all proposed sites
    together reach (from the what-if), or why none is proposed."""
    group, level = target_of(result), level_word(result)
    sites = result.whatif_sites[result.whatif_sites["gemeente_code"] == code]
    w = result.whatif.loc[code]
    reach = fmt.radius(w["reach_m"])
    out = []
    if len(sites):
        first = sites.iloc[0]
        high = (f", van wie {fmt.number(first['new_high_need'])} in {level} met hoge behoefte"
                if w["before_high_need_total"] > 0 else "")
        # the places without an age range last: what counting them would do speaks of another first site
        named = uncounted_near(result, sites.geometry.iloc[:1])[0]
        then = if_counted_text(result, code, page_one=True, named=named)
        near = uncounted_text(named, f"Binnen die {reach}", page_one=True, then=then) if named else then
        # review: Midden-Groningen's first site lies by two youth centres of which the source is dated; the
        # figures are in the proposal (if_counted_text)
        kept = status_near(result, sites.geometry.iloc[:1])[0]
        moved = w.get("status_first")
        if kept and isinstance(moved, (bool, np.bool_)) and moved and w.get("status_first_code") != first["code"]:
            listed = fmt.listing([fmt.name(n) for n, _ in kept])
            statuses = fmt.listing(list(dict.fromkeys(labels.STATUSES.get(st, st) for _, st in kept)))
            if len(listed) > PAGE_ONE_NAMES_CHARS:
                listed = fmt.count(len(kept), "plek", "plekken")
            one = len(kept) == 1
            instead = f"komt de eerste nieuwe locatie bij {fmt.name(w['status_first_name'])}" \
                if isinstance(w.get("status_first_name"), str) else "wordt er geen nieuwe locatie voorgesteld"
            # the what-if counts the places without an age range too: "ook" after those named just before, else
            # how many more (review: Eemsdelta's page 1 read as if only Jimmy's counted)
            counted = [n for n in str(w.get("status_first_names") or "").split("; ") if n]
            others = [n for n in counted if n not in {k for k, _ in kept}]
            unnamed = [n for n in others if n not in set(named)]  # those named just before: "ook"
            count = ("tellen ook die plekken" if not one else "telt ook die plek") if len(unnamed) < len(others) \
                else ("telt die plek" if one else "tellen die plekken")
            near += (" " if near else "") + (
                f"Binnen die {reach} {'staat' if one else 'staan'} ook {listed}, met status {statuses} niet "
                f"meegeteld; {count} mee" + (f" (voor alle {group.label})" if any_age_unknown(result, counted) else "")
                + (f", samen met nog {fmt.count(len(unnamed), 'andere plek', 'andere plekken')}" if unnamed else "")
                + f", dan {instead} (zie Voorstel).")
        others = len(equal_names(first))
        out.append(f"Een eerste nieuwe locatie bij {fmt.name(first['name'])} ({area_label(result, first['area'])}) "
                   f"brengt {estimated_word(result)}{fmt.number(first['new_population'])} {group.key} binnen "
                   f"{reach}{high}."
                   + (f" Evenveel {'brengt' if others == 1 else 'brengen'} "
                      f"{fmt.count(others, 'andere plek', 'andere plekken')} (zie Voorstel)." if others else "")
                   + (f" {border}" if (border := border_text(result, code, short=True)) else "")
                   + (f" {near}" if near else ""))
        if len(sites) > 1:
            out.append(f"Met {fmt.count(len(sites), 'nieuwe locatie', 'nieuwe locaties')} (zie Voorstel) woont "
                       f"{estimated_word(result)}"
                       f"{fmt.percent(w['after_share_within'])} van de {group.key} binnen {reach}, "
                       f"nu {fmt.percent(w['before_share_within'])}.")
    if isinstance(w["reason"], str) and w["reason"] and not len(sites):
        out.append("Er is geen nieuwe locatie voorgesteld: "
                   f"{labels.WHATIF_REASONS[w['reason']].format(target=group.key, reach=reach)}.")
    return out


def page_one(result: Analysis, code: str, figure: maps.Figure | None) -> Html:
    """Page 1 as a summary: the statements, the gap map with the priorities named, then the priorities and the
    where-next in words (``div.mgg-pagina1``: printed on a page of its own)."""
    parts = [section(summary_blocks(result, code))]
    if figure is not None:
        parts.append(section([Block("figure", figure=figure)]))
    priorities = priority_statements(result, code)
    first = section([Block("h3", text="Eerst aan de beurt"), *(_p(t, "mgg-prio") for t in priorities)]) \
        if priorities else ""
    then = section([Block("h3", text="Waar een nieuwe locatie het meest oplevert"),
                    *(_p(t) for t in where_next_statements(result, code))])
    return Html('<div class="mgg-pagina1">' + "".join(parts) + first + then + "</div>")


def key_figures_table(figures: dict, level: str = "wijk", spread: str = "") -> Table:
    """The key-figure table of one municipality; ``spread``: where the target group is put to measure coverage
    (:func:`spread_text`), a row when given."""
    plural = "wijken" if level == "wijk" else "buurten"
    small = figures["areas_small"]
    reach = fmt.radius(figures["reach_km"] * 1000)
    group = catalogue.target_group(figures["target_group"])
    rows = [
        ["Inwoners" + (f" (som over de {plural}; CBS, 1 januari {figures['population_year']})"
                       if figures.get("population_year") else ""), fmt.number(figures["population"])],
        [f"Doelgroep ({group.label}; som over de {plural})", fmt.number(figures["target_population"])],
        [f"Aantal {plural}", f"{fmt.number(figures['areas'])} (waarvan {fmt.number(figures['areas_ranked'])} "
                             "gerangschikt)"],
        ["Fysieke locaties in het register die meetellen voor de doelgroep", sites_text(figures)],
        *([["Die locaties per programma (leeftijden volgens het register)", programmes_text(figures)]]
          if figures.get("sites_by_programme") else []),
        ["Plekken in het register voor de gemeente (alle statussen)", register_count_text(figures)],
        ["Gemeentebreed aanbod (zonder vaste locatie)", fmt.listing(figures["area_wide_offers"]) or "geen"],
    ]
    if figures["excluded_unknown_age"] or figures.get("excluded_across_border"):
        rows.append(["Initiatieven zonder leeftijdsbereik (niet meegeteld)", uncounted_cell(figures)])
    rows += [
        [f"Doelgroep binnen {reach} van een locatie (dekking)",
         fmt.percent(figures["target_within_reach_share"]) if figures["sites_physical"]
         or figures["target_within_reach"] else "0% (geen locatie binnen bereik)"],
        ["Mediane afstand van de doelgroep tot de dichtstbijzijnde locatie (de helft woont dichterbij; hemelsbreed)",
         fmt.km(figures["median_nearest_km"])],
        *([["Waar de doelgroep woont (voor dekking en afstand)", spread]] if spread else []),
        [f"{plural.capitalize()} met hoge behoefte en lage dekking", fmt.number(figures["areas_target_cell"])],
        [f"Doelgroep in {plural} met hoge behoefte en lage dekking",
         f"{fmt.number(figures['target_in_target_cell'])} ({fmt.percent(figures['target_cell_share'])})"],
    ]
    if figures["areas_partial"]:
        share = fmt.percent(figures.get("max_missing_share", rules.MAX_MISSING_SHARE))
        rows.append([f"{plural.capitalize()} met {labels.PARTIAL} ({labels.PARTIAL_RULE.format(share=share)})",
                     fmt.listing(figures["areas_partial"])])
    if small:
        rows.append([f"{plural.capitalize()} te klein om te rangschikken", fmt.listing(small)])
    if figures["areas_no_index"]:
        rows.append([f"{plural.capitalize()} zonder behoeftescore (onvoldoende gegevens)",
                     fmt.number(figures["areas_no_index"])])
    return Table(["Kerncijfer", "Waarde"], rows, f"Kerncijfers {figures['gemeente']}")


def _table(summary: dict, kind: str) -> str:
    """A source table of another indeling as the indeling note names it: "de kerncijfers (tabel 85039NED, 2021,
    indeling 2021)"."""
    table = summary["other"][kind]
    return f"{kinds.get(kind).noun} (tabel {table['table_id']}, {table['year']}, indeling {table['indeling']})"


def origins_block(result: Analysis, code: str) -> list[Block]:
    """The note above the key figures when a source table comes from another indeling (empty otherwise): the
    tables whose figures were converted in this municipality, the evidence used and how many areas got which label
    (per table where they differ); a table on another indeling whose areas are this municipality's own is named as
    such (Eemsdelta's wijken of KWB 2021 are those of 2024: only its RIVM 2020 figures are converted)."""
    summary = figures_of(result, code)["origins"]
    if not summary["other"]:
        return []
    converted = summary.get("converted", summary["other"])
    named = [k for k in summary["other"] if k in converted] or list(summary["other"])
    if not converted:  # nothing of this municipality converted: a plain line, no warning
        return [_p(f"De kaarten tonen de {level_word(result)} van de indeling {summary['target']}; "
                   f"{fmt.listing([_table(summary, k) for k in named])} horen bij een oudere indeling, maar in deze "
                   "gemeente veranderde sindsdien geen grens: elk gebied heeft zijn eigen cijfers.", "mgg-uitleg")]

    def tables(names: list[str]) -> str:
        text = " en ".join(_table(summary, kind) for kind in names)
        return text[0].upper() + text[1:]

    def parts(tally: dict) -> str:
        counts, residents = tally["counts"], tally["residents"]
        return "; ".join(f"{labels.STATUS_LABELS[status]}: {_areas(result, counts[status])} "
                         f"({fmt.number(residents.get(status))} inwoners)"
                         for status in ORIGIN_STATUSES if counts.get(status))

    evidence = [labels.EVIDENCE[t] for t in summary.get("evidence", []) if t in labels.EVIDENCE]
    how = (f"Ze zijn per gebied omgezet met het sterkste bewijs dat er is; in deze gemeente: {fmt.listing(evidence)}."
           if evidence else "In deze gemeente veranderde geen grens: elk gebied heeft zijn eigen cijfers.")
    tallies = [converted[k] for k in named if k in converted]
    if len(tallies) > 1 and any(t != tallies[0] for t in tallies[1:]):  # per table where they differ
        per_area = " ".join(f"Per gebied voor {kinds.get(k).noun}: {parts(converted[k])}." for k in named)
    else:
        per_area = f"Per gebied: {parts(summary)}."
    own = [k for k in summary["other"] if k not in named]
    same = (f" {tables(own)} gaan in deze gemeente over dezelfde "
            f"{level_word(result)} als de kaarten; elk gebied heeft er zijn eigen cijfers." if own else "")
    missing = summary["missing_names"]
    tail = f" Zonder cijfers: {fmt.listing(missing)}." if missing else ""
    text = (f"De kaarten tonen de {level_word(result)} van de indeling {summary['target']}. "
            f"{tables(named)} horen bij een oudere indeling. {how} {per_area}"
            f"{tail}{same} Wat elk label betekent en de details per gebied staan onder Datakwaliteit.")
    return [Block("note", title="Let op: cijfers uit een andere gebiedsindeling.", text=text)]


# --------------------------------------------------------------------------- the register


def register_count_text(figures: dict) -> str:
    """The register's places for the municipality and how many count: "4, waarvan 1 meetelt"."""
    n, counted = figures.get("register_places", 0), figures.get("register_counted", 0)
    if not n:
        return "geen"
    if counted == n:
        return f"{fmt.number(n)}, die allemaal meetellen" if n > 1 else "1, die meetelt"
    if not counted:
        return f"{fmt.number(n)}, waarvan geen meetelt"
    return f"{fmt.number(n)}, waarvan {fmt.number(counted)} {'meetelt' if counted == 1 else 'meetellen'}"


def not_counted_text(figures: dict) -> str:
    """Why places of the register do not count, largest group first: "2 met status gedateerd en 1 zonder
    leeftijdsbereik" ('' when all count)."""
    reasons = figures.get("register_reasons") or {}
    order = [*labels.NOT_COUNTED]
    items = sorted(reasons.items(), key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else 99))
    return fmt.listing([f"{fmt.number(n)} {labels.NOT_COUNTED.get(k, k)}" for k, n in items])


def register_text(result: Analysis, figures: dict, *, page_one: bool = False) -> str:
    """What the register holds for the municipality and that coverage describes the register (page 1, when few
    places count: :data:`mgg_geo.analysis.chain.FEW_PLACES`; there, when none counts, without saying so again after
    :func:`no_sites_text`, and only the last, when every place lacks an age range: :func:`excluded_text` has named
    them)."""
    n, counted, name = figures["register_places"], figures["register_counted"], figures["gemeente"]
    tail = ("De dekking beschrijft dus het register, niet al het aanbod: ontbreken in het register betekent niet dat "
            "er geen preventie is." if page_one else
            "De dekking in dit rapport beschrijft dus het register, niet al het aanbod in de gemeente: ontbreken in "
            "het register betekent niet dat er geen preventie is.")
    if not n:
        return f"Het register bevat voor {name} geen enkele plek. {tail}"
    if page_one and counted == 0 and set(figures.get("register_reasons") or {}) == {"unknown_age"} \
            and figures.get("excluded_names"):
        # page 1 has just named them all (excluded_text): Veendam's and Pekela's page 1 said it twice
        return tail.replace(" dus ", " ", 1)
    why = not_counted_text(figures)
    head = f"Het register bevat voor {name} {fmt.count(n, 'plek', 'plekken')}"
    if counted == 0:
        if not page_one:  # page 1 has just said so (no_sites_text)
            head += f", en geen daarvan telt mee voor {target_of(result).label}"
    else:
        head += (f", waarvan {fmt.number(counted)} {'meetelt' if counted == 1 else 'meetellen'} voor "
                 f"{target_of(result).label}")
    return head + (f" (niet meegeteld: {why})" if why else "") + f". {tail}"


def register_blocks(result: Analysis, code: str) -> list[Block]:
    """Section "Wat het register bevat": the places per programme and status, every place with its status, source
    date and whether it counts, and that coverage describes the register."""
    f = figures_of(result, code)
    group = target_of(result)
    counted_status = list(counted_statuses(result.parameters))
    statuses = [s for s in labels.STATUSES if s in {r["status"] for r in f["register_by_programme"]}] or ["actief"]
    lead = register_text(result, f) if f["register_places"] else (
        f"Het register bevat voor {f['gemeente']} geen enkele plek.")
    rules = (f"Mee telt een plek met status {fmt.listing(counted_status)} en een leeftijdsbereik dat "
             f"{group.label} raakt" + (" (of zonder leeftijdsbereik, zoals voor dit rapport gekozen)"
                                        if result.parameters.get("include_unknown_ages") else "") + ". "
             + " ".join(f"Status {s}: {labels.STATUS_MEANINGS[s]}." for s in statuses if s in labels.STATUS_MEANINGS)
             + (" Zulke plekken staan in het register maar tellen niet mee, tenzij daarvoor gekozen wordt (zie "
                "Methode, Doelgroep)." if any(s not in counted_status for s in statuses) else ""))
    blocks = [_p(lead), _p(rules.strip(), "mgg-uitleg")]
    if not f["register_places"]:
        return blocks
    programmes: dict[str, dict[str, int]] = {}
    counts: dict[str, int] = {}
    for r in f["register_by_programme"]:
        programmes.setdefault(r["programme"], {})[r["status"]] = r["n"]
        counts[r["programme"]] = counts.get(r["programme"], 0) + r["counted"]
    rows = [[fmt.name(p)] + [fmt.number(by.get(s, 0)) for s in statuses] + [fmt.number(counts[p])]
            for p, by in programmes.items()]
    rows.append(["Samen"] + [fmt.number(sum(by.get(s, 0) for by in programmes.values())) for s in statuses]
                + [fmt.number(f["register_counted"])])
    blocks.append(Block("table", table=Table(
        ["Programma"] + [labels.STATUSES[s].capitalize() for s in statuses] + ["Telt mee"], rows,
        f"Plekken in het register voor {f['gemeente']}, per programma en status",
        numeric=tuple(range(1, len(statuses) + 2)))))
    places = [[fmt.name(r["name"]), fmt.name(r["programme"]), labels.STATUSES.get(r["status"], r["status"]),
               fmt.partial_date(r.get("source_date"), "onbekend"), labels.ROW_REASONS.get(r["reason"], r["reason"])
               + (" (gemeentebreed aanbod)" if r.get("area_wide") and r["reason"] == "counted" else "")
               + ("; ook geen leeftijdsbereik" if r.get("also_no_age") else "")]
              for r in f["register_rows"]]
    header = ["Plek", "Programma", "Status", "Datum van de bron", "Voor de dekking"]
    blocks.append(Block("table", table=Table(header, places, f"Alle plekken in het register voor {f['gemeente']}")))
    return blocks


# --------------------------------------------------------------------------- which school next


#: Beside a school that may not teach all of the programme's years (``unsure``), wherever it is named in a table.
UNSURE_NOTE = "(alleen de eerste leerjaren volgens DUO)"


def _school_cell(schools: pd.DataFrame) -> tuple[str, str]:
    """The schools at one point: their names with vestigingscode, and their addresses (each once); more than four:
    the first three in both cells, the others counted alike (the list of all vestigingen names them)."""
    shown, rest = (schools.iloc[:3], len(schools) - 3) if len(schools) > 4 else (schools, 0)
    named = [f"{fmt.name(r['name'])} ({r['school_code']})" + (f" {UNSURE_NOTE}" if bool(r.get("unsure")) else "")
             for _, r in shown.iterrows()]
    addresses = list(dict.fromkeys(str(a) for a in shown["address"]))
    if rest:
        named.append(f"en {fmt.number(rest)} andere vestigingen op dit punt")
        addresses.append(f"en de adressen van die {fmt.number(rest)}")
    return "; ".join(named), "; ".join(addresses)


def placement_text(school: pd.Series) -> str:
    """How precisely a school is placed, in Dutch: "adres (Locatieserver)" or "plaats (bij benadering), in de buurt
    Uithuizen Centrum"."""
    placement = school.get("placement")
    text = labels.PLACEMENTS.get(placement, str(placement))
    if placement in ("address", "postcode"):
        return f"{text} (Locatieserver)"
    if isinstance(school.get("placed_on_name"), str) and school["placed_on_name"]:
        return f"{text}, op {fmt.name(school['placed_on_name'])}"
    return text


def school_area(result: Analysis, area: str, placement: str) -> str:
    """The area a school lies in, "(bij benadering)" when it is placed on its town's centre or its municipality
    (its address may lie in another area)."""
    if placement not in initiatives.APPROXIMATE:
        return area_label(result, area, places=True)
    return _area_said(result, area, "bij benadering")  # "Wijk 00 (Oude Pekela; bij benadering)"


def school_blocks(result: Analysis, code: str) -> list[Block]:
    """Section "Welke school als volgende?": the school-based where-next of one municipality (computed by the
    analysis), naming each school, its address, placement, the young people and the areas it adds."""
    group, level = target_of(result), level_word(result)
    name = regions.MUNICIPALITIES[code]
    manifest = result.parameters.get("schools")
    school_based = initiatives.PROGRAMMES[initiatives.SCHOOL_BASED[0]]
    if not school_based.serves(group.ages):  # review: STORM schools were proposed for people of 65 and over
        lo, hi = (fmt.number(v) for v in school_based.ages)
        return [_p(f"{school_based.name}, {school_based.label}, is voor leerlingen van {lo} tot en met {hi} jaar; "
                   f"voor {group.label} stelt dit rapport daarom geen school voor.")]
    intro = _p(f"{school_based.name} loopt op scholen. Welke school voor voortgezet onderwijs in deze gemeente zou met "
               f"{school_based.name} de meeste {group.key} in {level} met hoge behoefte erbij bereiken? De kandidaten "
               f"zijn de vestigingen uit de DUO-lijst die volgens het register nog geen {school_based.name} hebben.")
    if not manifest or not len(result.school_whatif) or code not in result.school_whatif.index:
        return [intro, _p("De lijst van scholen (DUO, Adressen alle vestigingen VO) is niet ingelezen; dit rapport kan "
                          "geen scholen voorstellen. Zet het bestand klaar en wijs het aan met MGG_SCHOOLS.")]
    w = result.school_whatif.loc[code]
    programme = str(w["programme"])
    schools = result.schools[result.schools["gemeente_code"] == code]
    steps = result.school_sites[result.school_sites["gemeente_code"] == code]
    gains = result.school_gains[result.school_gains["gemeente_code"] == code]
    reach = fmt.radius(w["reach_m"])
    runs = schools[schools["runs"].astype(bool)]
    n_schools = int(w["schools"])
    blocks = [intro]
    if not n_schools:
        return [intro, _p(f"De DUO-lijst noemt geen vestiging voor voortgezet onderwijs in {name}; een school voor "
                          f"{programme} is hier niet voor te stellen.")]
    head = (f"{programme} groeit school voor school. De DUO-lijst noemt in {name} "
            f"{fmt.count(n_schools, 'vestiging', 'vestigingen')} voor voortgezet onderwijs")
    others = int(w["candidates"])
    if len(runs):
        ran = [f"{fmt.name(n)} ({c})" for n, c in zip(runs["name"], runs["school_code"], strict=True)]
        head += (f"; volgens het register {'heeft' if len(runs) == 1 else 'hebben'} {fmt.number(len(runs))} daarvan "
                 f"al {programme}: {fmt.listing(ran)}. "
                 + (f"De andere {fmt.number(others)} {'komt' if others == 1 else 'komen'} in aanmerking." if others
                    else "Er blijft geen school over."))
    else:
        head += (f"; die heeft {programme} niet volgens het register en komt dus in aanmerking." if n_schools == 1 else
                 f"; geen daarvan heeft {programme} volgens het register, dus alle komen in aanmerking.")
    unsure = schools[schools["unsure"].astype(bool)] if "unsure" in schools else schools[:0]
    if len(unsure):  # vestigingen that may not teach all of the programme's years (BRUGJAAR for STORM): said
        means = dict(initiatives.PROGRAMMES[programme].unsure_at) if programme in initiatives.PROGRAMMES else {}
        for structure, these in unsure.groupby(unsure["structure"].astype(str).str.strip().str.upper(), sort=False):
            one = len(these) == 1
            named = fmt.listing([f"{fmt.name(n)} ({c})" for n, c in zip(these["name"], these["school_code"],
                                                                        strict=True)])
            head += (f" {named} {'heeft' if one else 'hebben'} {means.get(structure, structure.lower())}: ga na "
                     f"welke klassen er les krijgen voordat {'ze' if one else 'een ervan'} {programme} krijgt.")
    blocks.append(_p(head))
    weights = rules.NEED_WEIGHTS
    blocks.append(_p(labels.SCHOOL_OBJECTIVE.format(
        programme=programme, target=group.key, reach=reach, level=level_word(result, False), levels=level,
        high=fmt.fraction(weights[3]), middle=fmt.fraction(weights[2]), low=fmt.fraction(weights[1]))))
    if len(steps):
        rows = []
        for _, step in steps.iterrows():
            at = schools[schools["point"] == step["code"]]
            names, addresses = _school_cell(at)
            rows.append([fmt.number(step["step"]), names, addresses, placement_text(at.iloc[0]),
                         school_area(result, step["area"], at.iloc[0]["placement"])
                         if step["area"] in result.areas.index else fmt.name(step.get("area_name")),
                         fmt.number(step["new_population"]), fmt.number(step["new_high_need"]),
                         gains_text(gains[gains["step"] == step["step"]], result)])
        blocks.append(Block("table", table=Table(
            ["Stap", "School (DUO-vestiging)", "Adres", "Plaatsing", f"Ligt in {level_word(result, False)}",
             f"Extra {group.key} binnen {reach}", f"Van wie in {level} met hoge behoefte",
             f"{level.capitalize()} die erbij komen ({group.key} erbij)"], rows,
            f"Welke school als volgende voor {programme} in {name}", numeric=(0, 5, 6))))
        if w["before_high_need_total"] <= 0:
            notes = [f"Geen van de stappen brengt {group.key} in {level} met hoge behoefte binnen bereik: {name} heeft "
                     f"geen gerangschikte {level_word(result, False)} met hoge behoefte."]
        else:
            notes = no_high_need_notes(result, code, steps, w["before_high_need_total"], schools=True)
        notes += step_notes(result, code, steps,
                            lambda r: f"Binnen {reach} van de school van stap {fmt.number(r['step'])}",
                            ("school", "scholen"))
        if notes:
            blocks.append(Block("list", items=notes))
        shared = [s for s in steps["n_schools"] if s and s > 1]
        if shared:
            blocks.append(_p("Vestigingen op hetzelfde punt bereiken dezelfde jongeren: de berekening kan ze niet "
                             "van elkaar onderscheiden, dus de tabel noemt ze samen.", "mgg-uitleg"))
    if isinstance(w["reason"], str) and w["reason"]:
        reason = "no_gain_approximate" if w["reason"] == "no_gain" and int(w["approximate"]) else \
            "all_chosen_one" if w["reason"] == "all_chosen" and int(w["candidates"]) == 1 else w["reason"]
        text = labels.SCHOOL_REASONS.get(reason) or labels.WHATIF_REASONS[reason]
        why = text.format(target=group.key, reach=reach, programme=programme)
        lead = "Er is geen school voorgesteld" if not len(steps) else "Meer scholen voegen niets toe"
        blocks.append(_p(f"{lead}: {why}."))
    approximate, total = int(w["approximate"]), int(w["candidates"])
    if approximate:
        towns = schools[schools["candidate"].astype(bool) & schools["placement"].isin(initiatives.APPROXIMATE)]
        where = fmt.listing([f"{fmt.name(t)} op {fmt.name(a)}" for t, a in
                             dict.fromkeys(zip(towns["town"], towns["placed_on_name"], strict=True))])
        who = ("de kandidaat-school staat" if total == 1 else f"alle {fmt.number(total)} kandidaat-scholen staan"
               if approximate == total else f"{fmt.number(approximate)} van de {fmt.number(total)} kandidaat-scholen "
               f"{'staat' if approximate == 1 else 'staan'}")
        blocks.append(_p(
            f"Plaatsing: {who} bij benadering op het centrum van {'haar' if total == 1 else 'hun'} plaats ({where}), "
            f"omdat {'haar' if total == 1 else 'hun'} adres niet via de PDOK Locatieserver is opgezocht (offline of "
            "niet gevonden). Scholen in dezelfde plaats staan dan op één punt; met adressen kan de keuze anders "
            "uitvallen.", "mgg-uitleg"))
    elif total:
        blocks.append(_p("Plaatsing: elke kandidaat-school staat op haar adres (PDOK Locatieserver).", "mgg-uitleg"))
    listed = []
    for _, r in schools.sort_values(["step", "town", "name", "school_code"], na_position="last").iterrows():
        role = (f"heeft {programme} ({fmt.name(r['runs_as'])})" if bool(r["runs"]) else
                f"voorgesteld, stap {fmt.number(r['step'])}" if r["step"] == r["step"] else "kandidaat") \
            + (f" {UNSURE_NOTE}" if bool(r.get("unsure")) else "")
        listed.append([f"{fmt.name(r['name'])} ({r['school_code']})", fmt.name(r["address"]), placement_text(r),
                       school_area(result, r["in_area"], r["placement"]) if r["in_area"] in result.areas.index
                       else fmt.MISSING, role])
    every = f"Alle {fmt.count(len(listed), 'vestiging', 'vestigingen')}" if len(listed) > 1 else "De vestiging"
    blocks.append(Block("details", title=f"{every} in {name} uit de DUO-lijst", table=Table(
        ["Vestiging", "Adres", "Plaatsing", f"Ligt in {level_word(result, False)}", programme], listed,
        f"Vestigingen voor voortgezet onderwijs in {name} (DUO) en {programme}")))
    high = (f", van wie {fmt.number(w['after_high_need_within'])} in {level} met hoge behoefte (daar wonen "
            f"{fmt.number(w['after_high_need_total'])} {group.key})" if w["after_high_need_total"] else "")
    if len(steps):
        blocks.append(_p(
            f"Nu wonen {fmt.number(w['before_population_within'])} {group.key} "
            f"({fmt.percent(w['before_share_within'])}) binnen {reach} van een locatie; met {programme} op de "
            f"voorgestelde {'school' if len(steps) == 1 else 'scholen'} zijn dat er "
            f"{fmt.number(w['after_population_within'])} ({fmt.percent(w['after_share_within'])}){high}."))
    blocks.append(_p(
        f"Een school trekt leerlingen van verder dan {reach}; de keuze volgt dezelfde maat als de dekking in dit "
        f"rapport: de {group.key} die binnen {reach} van de school wonen. Bron van de scholen: DUO, Adressen alle "
        f"vestigingen VO ({Path(str(manifest.get('source_file', ''))).name}; peildatum niet vermeld in het bestand); "
        f"welke scholen {programme} hebben, komt uit het register.", "mgg-bronnen"))
    return blocks


# --------------------------------------------------------------------------- tables


def access_text(frame: pd.DataFrame, target: str, reach: str) -> str:
    """The key to the accessibility column: what it counts, and where it says more than the coverage (an area
    without a site within the reach that still scores above the province's 1, named with both figures)."""
    farthest = fmt.radius(rules.DEFAULT_ZONES[-1][0])
    text = (f"Bereikbaarheid: het aanbod tot {farthest}, met minder gewicht naarmate het verder weg ligt, gedeeld "
            "door de doelgroep die het deelt; 1 is het gemiddelde van de provincie. Elke locatie telt even zwaar, "
            f"hoe klein ook: waar weinig {target} een locatie delen, komt de score hoog uit, ook als velen verder "
            f"dan {reach} wonen; lees haar samen met de dekking.")
    above = frame[(frame["reach"] == 0) & (frame["access_norm"] > 1)]
    if len(above):
        named = fmt.listing([f"{fmt.name(r['name'])} (dekking {fmt.percent(r['reach'])}, bereikbaarheid "
                             f"{fmt.number(r['access_norm'], 2)})" for _, r in above.iterrows()])
        text += (f" Zonder locatie binnen {reach} kan een gebied zo toch boven 1 uitkomen, als een "
                 f"locatie iets verder weg weinig {target} om zich heen heeft: {named}.")
    return text


def priority_blocks(result: Analysis, code: str, *, print_rows: int = PRINT_ROWS) -> list[Block]:
    """Every ranked area by priority; in print only the first ``print_rows`` (the total is stated)."""
    frame = result.priorities(code)
    estimated = set(estimated_areas(result, code))
    reach_m = result.parameters["reach_m"]
    reach, within = fmt.radius(reach_m), rules.radius_column(reach_m)  # the site count within the reach
    rows = []
    for area, r in frame.iterrows():
        margin = "" if pd.isna(r["rank_p05"]) else f" ({fmt.number(r['rank_p05'])}–{fmt.number(r['rank_p95'])})"
        domain = fmt.MISSING
        if isinstance(r["leading_domain"], str):  # no domain above the province: the least favourable, said so
            domain = catalogue.DOMAINS[r["leading_domain"]] if r[f"need_{r['leading_domain']}"] > 0 else \
                f"geen; minst gunstig: {catalogue.DOMAINS[r['leading_domain']].lower()}"
        rows.append([fmt.number(r["priority"]), area, area_label(result, area, area in estimated, places=True),
                     fmt.number(r["need_index"], 2),
                     fmt.number(r["need_rank"]) + margin + (" onzeker" if r.get("rank_uncertain") else ""), domain,
                     fmt.percent(r["reach"]), fmt.km(r["nearest_km"]), fmt.number(r[within], 1),
                     fmt.number(r["access_norm"], 2), fmt.number(r["target_population"]),
                     labels.gap_label(r["need_class"], r["coverage_class"], _reaches(r))])
    classes = ["" if i < print_rows else "mgg-extra" for i in range(len(rows))]
    ranked_all = int(result.figures.loc[code, "areas_ranked_province"])  # ranks are the province's
    header = ["Prio\u00adriteit", "Code", "Gebied", "Behoefte-index", "Plaats in de provincie (marge)",
              "Vooral door", "Dekking", "Afstand", f"Loc. ≤ {reach}", "Bereik\u00adbaar\u00adheid", "Doelgroep",
              "Klasse"]
    table = Table(header, rows, f"Prioriteiten {regions.MUNICIPALITIES[code]}: hoge behoefte en lage dekking eerst",
                  numeric=(0, 3, 6, 7, 8, 9, 10), row_classes=classes,
                  key=f"Plaats: onder de {fmt.number(ranked_all)} gerangschikte gebieden van de provincie (1 = de "
                      "hoogste behoefte), met de marge tussen haakjes. Vooral door: het domein dat het meest bijdraagt "
                      "aan de behoefte (geen: geen domein boven het gemiddelde van de provincie). Afstand: de "
                      "gemiddelde afstand (hemelsbreed) van de doelgroep in het gebied "
                      f"tot de dichtstbijzijnde fysieke locatie. Loc. ≤ {reach}: het gemiddelde aantal locaties "
                      f"binnen {reach} van de doelgroep in het gebied. "
                      f"{access_text(frame, target_of(result).key, reach)}"
                      + ((" Op de grens met een andere klasse: de marge van de plaats loopt over een grens tussen de "
                          "behoefteklassen, dus de klasse (en de volgorde) kan anders uitvallen."
                          if result.map_breaks.get("scope") != "gemeente" else
                          # classes per municipality: the margin shown is the province's; the class follows the rank
                          # within the municipality in the same draws (an attack: Uithuizermeeden and Baflo)
                          " Op de grens met een andere klasse: binnen de eigen gemeente valt het gebied in meer dan "
                          f"{fmt.number(rules.RANK_PERCENTILES[0])}% van de herhalingen in een andere klasse (de "
                          "klassen zijn per gemeente bepaald; de marge van de plaats hierboven is die in de "
                          "provincie), dus de klasse (en de volgorde) kan anders uitvallen.")
                         if any(_on_border(r) for _, r in frame.iterrows()) else "")
                      + " Marge, onzeker en bereikbaarheid: zie Methode."
                      + (f" {labels.ESTIMATED.capitalize()}: {labels.ESTIMATED_RULE} (zie Datakwaliteit)."
                         if estimated & set(frame.index) else ""))
    blocks = [Block("details", title=f"Alle {fmt.number(len(rows))} gerangschikte gebieden", table=table)]
    if len(rows) > print_rows:
        blocks.append(_p(f"Afgedrukt: de eerste {fmt.number(print_rows)} van {fmt.number(len(rows))} gerangschikte "
                         "gebieden; de volledige lijst staat in de digitale versie.", "mgg-print-noot"))
    if len(frame):
        blocks.append(_p(why_text(result), "mgg-uitleg"))
        blocks.append(Block("list", items=[driver_text(result, area, area in estimated) for area in frame.index],
                            cls="mgg-drijvers"))
    partial = frame[frame["partial_data"].astype(bool)]
    if len(partial):
        total = len(target_of(result).need_indicators)
        blocks.append(_p(
            f"{labels.PARTIAL.capitalize()}: {partial_rule(result)}. De behoefte-index rust dan op de cijfers die er "
            "wel zijn; de plaats in de prioriteiten is daardoor minder zeker. "
            + " ".join(f"{fmt.name(r['name'])}: {fmt.number(total - r['indicators_present'])} van de "
                       f"{fmt.number(total)} cijfers ontbreken ({missing_names(r['indicators_missing'])})."
                       for _, r in partial.iterrows()), "mgg-uitleg"))
    areas = result.areas[result.areas["gemeente_code"] == code]
    inside = result.excluded[result.excluded["in_area"].isin(areas.index)] if len(result.excluded) else None
    for area, sites in inside.groupby("in_area", sort=False) if inside is not None else ():
        one = len(sites) == 1  # per area once: Pekela's Wijk 00 holds two, said twice word for word
        blocks.append(_p(
            f"In {area_label(result, area, places=True)} {'ligt' if one else 'liggen'} "
            f"{fmt.listing([fmt.name(n) for n in sites['name']])}; "
            f"{'die locatie telt' if one else 'die locaties tellen'} niet mee omdat het leeftijdsbereik in het "
            f"register ontbreekt{missing_or_partial(sites['name'])}, dus de "
            "afstand en dekking van "
            f"{fmt.name(result.areas.at[area, 'name'])} zijn zonder {'haar' if one else 'die locaties'} berekend. "
            "Vul het leeftijdsbereik aan in het register.", "mgg-uitleg"))
    unranked = areas[~areas["ranked"]]
    if len(unranked):
        minimum = result.parameters["min_population"]
        blocks.append(Block("table", table=Table(
            ["Code", "Gebied", "Inwoners", "Waarom niet gerangschikt"],
            [[c, area_label(result, c, places=True), fmt.number(r["population"]),
              labels.unranked(r["unranked"], minimum)] for c, r in unranked.iterrows()],
            "Gebieden op de kaart zonder plaats in de prioriteiten", numeric=(2,))))
    return blocks


def missing_names(keys) -> str:
    """The need indicators named by ``keys`` ("; "-separated, as :func:`mgg_geo.analysis.need.need_index` gives
    them), in Dutch."""
    found = [catalogue.INDICATOR_BY_KEY[k].label for k in str(keys or "").split("; ") if k in
             catalogue.INDICATOR_BY_KEY]
    return fmt.listing([f[0].lower() + f[1:] for f in found]) or fmt.MISSING


def _indicator_name(indicator: catalogue.Indicator) -> str:
    """An indicator's label in running text, without the reading aid "(lager = meer behoefte)"."""
    text = indicator.label.replace(" (lager = meer behoefte)", "")
    return text[0].lower() + text[1:]


def driver_text(result: Analysis, code: str, estimated: bool = False) -> str:
    """One line of the priorities: the area (marked "deels geschat" when ``estimated``), its leading domain and
    score, and the indicator that drives that domain with its value against what the index scores it against over
    the province (:func:`_driver`)."""
    name = area_label(result, code, estimated, places=True)
    driver = _driver(result, code)
    if driver is None:
        return f"{name}: geen leidend domein (te weinig cijfers)."
    label, score, figure, close = driver
    if score > 0:
        near = f"; {_near(close, True)}" if close else ""
        return f"{name}: {label} ({fmt.signed(score, 2)}{near}), vooral door {figure}."
    return (f"{name}: geen domein boven het gemiddelde van de provincie; het minst gunstig is {label} "
            f"({fmt.signed(score, 2)}), met {figure}.")


def comparison_table(result: Analysis, code: str) -> Table:
    """Municipality against province: each need indicator over all their areas together, each area weighted by the
    count its figure is a share or average of (from the analysis, :func:`mgg_geo.analysis.chain.indicator_comparison`);
    the key says which count for which indicator."""
    rows, bases = [], {}
    for r in result.comparison[result.comparison["gemeente_code"] == code].itertuples():
        ind = catalogue.INDICATOR_BY_KEY[r.indicator]
        bases.setdefault(ind.base, []).append(_indicator_name(ind))
        rows.append([catalogue.DOMAINS[ind.domain], ind.label, ind.unit, fmt.number(r.value, 1),
                     fmt.number(r.province, 1), fmt.number(r.missing) if r.missing else ""])
    weights = "; ".join(f"naar {labels.BASES[base]} bij {fmt.listing(names)}" for base, names in bases.items())
    published, converted = (labels.MISSING_REASONS[r][0] for r in ("suppressed", "not_converted"))
    why = (f"; waarom een cijfer ontbreekt ({published[0].lower() + published[1:]}, {converted.lower()}, of het "
           "gebied heeft geen inwoners of huishoudens) staat per indicator onder Datakwaliteit"
           if any(row[-1] for row in rows) else "")
    return Table(["Domein", "Indicator", "Eenheid", f"Gemeente {regions.MUNICIPALITIES[code]}", "Provincie",
                  "Gebieden zonder cijfer"], rows, "Vergelijking met de provincie", numeric=(3, 4, 5),
                 key="Gemeente en provincie: het cijfer over hun gebieden samen, elk gebied gewogen naar wat het "
                     f"cijfer telt: {weights}. Gebieden zonder cijfer (of zonder het aantal om mee te wegen) tellen "
                     f"niet mee{why}.")


def objective_text(result: Analysis, objective: str = "need") -> str:
    """The objective of the what-if in one sentence that holds for every step (weights from the analysis)."""
    w = rules.NEED_WEIGHTS
    return labels.OBJECTIVES[objective].format(
        target=target_of(result).key, reach=fmt.radius(result.parameters["reach_m"]),
        level=level_word(result, False), levels=level_word(result), high=fmt.fraction(w[3]),
        middle=fmt.fraction(w[2]), low=fmt.fraction(w[1]))


def _class_word(need_class) -> str:
    return labels.NEED_CLASSES.get(int(need_class), "geen behoefteklasse") if need_class == need_class \
        else "geen behoefteklasse"


def gains_text(gains: pd.DataFrame, result: Analysis | None = None) -> str:
    """The areas one step reaches, largest gain first: "Uithuizen (hoge behoefte): 1.340; Kantens (...): 160"; with
    ``result``, an area named only by its number with its places: "Wijk 00 (Oude Pekela; hoge behoefte): 1.920"."""
    parts = []
    for _, g in gains.sort_values("gained", ascending=False).iterrows():
        flag = f", {labels.PARTIAL}" if g.get("partial_data") else ""
        where = f"{places_of(result, g['area'])}; " if result is not None and places_of(result, g["area"]) else ""
        parts.append(f"{fmt.name(g['area_name'])} ({where}{_class_word(g['need_class'])}{flag}): "
                     f"{fmt.number(g['gained'])}")
    return "; ".join(parts) or fmt.MISSING


def _all_reached_text(result: Analysis, steps: list[int]) -> str:
    """Steps that reach nobody in high-need areas because all of them are within reach already, in one sentence:
    "Stap 2 en 3 brengen geen jongeren in wijken met hoge behoefte binnen bereik: die wonen na stap 1 allemaal
    binnen <bereik> van een locatie." (``steps`` in order; the reviews found the same sentence once per step)."""
    first = steps[0]
    after = "al vóór het voorstel" if first == 1 else f"na stap {fmt.number(first - 1)}"
    which = f"{fmt.number(first)} tot en met {fmt.number(steps[-1])}" if len(steps) > 2 else \
        fmt.listing([fmt.number(s) for s in steps])  # consecutive: the high-need left only falls
    return (f"Stap {which} {'brengt' if len(steps) == 1 else 'brengen'} geen "
            f"{target_of(result).key} in {level_word(result)} met hoge behoefte binnen bereik: die wonen {after} "
            f"allemaal binnen {fmt.radius(result.parameters['reach_m'])} van een locatie.")


def no_high_need_notes(result: Analysis, code: str, steps: pd.DataFrame, high_total: float, *,
                       schools: bool = False) -> list[str]:
    """Per proposed step that reaches nobody in high-need areas, why (:func:`no_high_need_text`); the steps after
    all of them are within reach said once (:func:`_all_reached_text`)."""
    done = [int(r["step"]) for _, r in steps.iterrows() if r["new_high_need"] <= 0 and r["high_need_left"] <= 0] \
        if high_total > 0 else []
    return ([t for _, r in steps.iterrows() if int(r["step"]) not in done
             and (t := no_high_need_text(result, code, r, high_total, schools=schools))]
            + ([_all_reached_text(result, done)] if done else []))


def no_high_need_text(result: Analysis, code: str, step: pd.Series, high_total: float, *,
                      schools: bool = False) -> str:
    """Why a proposed step reaches nobody in high-need areas ('' when it does); ``schools``: a step of the
    school-based where-next (its candidates are schools)."""
    if step["new_high_need"] > 0:
        return ""
    group, level = target_of(result).key, level_word(result)
    head = f"Stap {fmt.number(step['step'])} brengt geen {group} in {level} met hoge behoefte binnen bereik"
    if high_total <= 0:
        return f"{head}: {regions.MUNICIPALITIES[code]} heeft geen gerangschikte {level_word(result, False)} met " \
               "hoge behoefte."
    if step["high_need_left"] <= 0:
        return _all_reached_text(result, [int(step["step"])])
    if step["best_high_need"] > 0:
        where = fmt.name(result.areas.at[step["best_high_need_area"], "name"]) \
            if step["best_high_need_area"] in result.areas.index else fmt.MISSING
        place = "De school" if schools else "Een locatie bij"
        weights = rules.NEED_WEIGHTS
        return (f"{head}, hoewel er nog {fmt.number(step['high_need_left'])} buiten bereik wonen. {place} "
                f"{fmt.name(step['best_high_need_name'])} ({where}) zou er {fmt.number(step['best_high_need'])} "
                f"bereiken, maar deze stap bereikt meer {group}, geteld naar de behoefte van hun "
                f"{level_word(result, False)} "
                f"(hoog {fmt.fraction(weights[3])}, middelmatig {fmt.fraction(weights[2])}, laag "
                f"{fmt.fraction(weights[1])}): {fmt.number(step['value'], 1)} tegen "
                f"{fmt.number(step['best_high_need_value'], 1)}.")
    # said of the candidates as placed: a school placed at its town's centre may reach them from its address
    which = "kandidaat-school, op de plek waar die in dit rapport staat (zie Plaatsing)," if schools \
        else "mogelijke locatie"
    return (f"{head}: geen {which} bereikt de {fmt.number(step['high_need_left'])} {group} in {level} met hoge "
            "behoefte die nog buiten bereik wonen.")


def border_text(result: Analysis, code: str, short: bool = False) -> str:
    """Whether the first proposed site rests on need classes at their border
    (:func:`mgg_geo.analysis.chain.first_at_border`), each area with its place and margin: "Stap 1 bereikt Wijk 07
    Ter Apel (plaats 40, marge 32–52), op de grens met een lagere behoefteklasse: telt die wijk een klasse lager, dan
    komt de eerste nieuwe locatie bij Vriescheloo-Zuid (...)." (or "blijft ... dezelfde"), and the same for areas at
    the border of a higher class that would move it, then the later steps
    (:func:`mgg_geo.analysis.chain.later_at_border`, each area on its own: "Ook latere stappen bereiken ...: telt
    Wijk 00 Bellingwolde een klasse lager, dan komt stap 2 bij ...; telt Wijk 07 Ter Apel een klasse lager, dan
    komt stap 1 bij ..."); ``short``: page 1's one short sentence, only when it moves ("Die
    keuze hangt af van een behoefteklasse op de grens (zie Voorstel)."); '' otherwise."""
    w = result.whatif.loc[code]

    def names(field: str) -> list[str]:
        return [n for n in str(w.get(field) or "").split("; ") if n and n != "nan"]

    def listed(field: str) -> list:  # a JSON list of the analysis ('' or missing: none)
        value = w.get(field)
        return json.loads(value) if isinstance(value, str) and value else []

    def moved(key: str) -> bool:
        return isinstance(w.get(f"first_if_{key}_name"), str) and bool(w[f"first_if_{key}_name"])

    def instead(key: str) -> str:
        equal = names(f"first_if_{key}_equal")
        shown = fmt.listing(_capped(equal, "andere", "andere"))
        return (f"{fmt.name(w[f'first_if_{key}_name'])} ({area_label(result, w[f'first_if_{key}_area'])})"
                + (f" of een plek die evenveel oplevert ({shown})" if equal else ""))

    said: set[str] = set()  # areas given with their place and margin once; after that by name

    def them(one: bool) -> str:  # "telt die wijk", "tellen die wijken" (not "het": a wijk is "de")
        return f"telt die {level_word(result, False)}" if one else f"tellen die {level_word(result)}"

    def placed(area_names: list[str]) -> str:  # each with its place and margin: the printed table may not show it
        frame = result.areas[result.areas["gemeente_code"] == code]
        rows = {n: frame[frame["name"] == n] for n in area_names}  # a name shared by two areas: no margin
        out = []
        for n, r in rows.items():
            if len(r) != 1:
                out.append(fmt.name(n))
            elif r.index[0] in said:
                out.append(area_label(result, r.index[0], places=True))
            else:
                said.add(r.index[0])
                out.append(_area_said(result, r.index[0], f"plaats {fmt.number(r['need_rank'].iloc[0])}, marge "
                                      f"{fmt.number(r['rank_p05'].iloc[0])}–{fmt.number(r['rank_p95'].iloc[0])}"))
        return fmt.listing(out)

    down, up = names("first_border"), names("first_border_up")
    if short:  # page 1, which must stay one A4: one short sentence, the places are in the proposal
        return ("Die keuze hangt af van een behoefteklasse op de grens (zie Voorstel)."
                if (down and moved("lower")) or (up and moved("higher")) else "")
    parts = []
    if down:
        one = len(down) == 1
        lead = (f"Stap 1 bereikt {placed(down)}, op de grens met een lagere behoefteklasse: "
                f"{them(one)} een klasse lager, dan")
        parts.append(f"{lead} komt de eerste nieuwe locatie bij {instead('lower')}." if moved("lower")
                     else f"{lead} blijft de eerste nieuwe locatie dezelfde.")
    if up and moved("higher"):
        one = len(up) == 1
        parts.append(f"{placed(up)} {'ligt' if one else 'liggen'} op de grens met een hogere behoefteklasse: "
                     f"{them(one)} een klasse hoger, dan komt de eerste nieuwe locatie bij "
                     f"{instead('higher')}.")
        for area, site, site_area in listed("first_border_up_more"):  # the others that alone would move it
            parts.append(f"Telt in plaats daarvan {placed([str(result.areas.at[area, 'name'])])} een klasse hoger, "
                         f"dan komt de eerste nieuwe locatie bij {fmt.name(site)} ({area_label(result, site_area)}).")
    # the later steps, where they reach such an area, with what the proposal does with each a class lower
    # (:func:`mgg_geo.analysis.chain.later_at_border`; review of Midden-Groningen: step 3 rests on Slochteren)
    first = result.whatif_sites[(result.whatif_sites["gemeente_code"] == code) & (result.whatif_sites["step"] == 1)]
    # where step 1 itself would move, the later steps are said with it kept (an attack read Westerwolde's two
    # sentences as one proposal)
    kept = f" en blijft stap 1 bij {fmt.name(first.iloc[0]['name'])}" \
        if len(first) and (moved("lower") or moved("higher") or listed("first_border_up_more")) else ""

    def moves_said(changed: list) -> str:  # "komt stap 2 bij X (Y); stap 3 is dan niet meer nodig"
        moves = [f"stap {fmt.number(int(st))} bij {fmt.name(site)} ({area_label(result, at)})"
                 for st, site, at in changed if site]
        dropped = [fmt.number(int(st)) for st, site, _ in changed if not site]
        return (f"komt {fmt.listing(moves)}" if moves else "") + (
            f"{'; ' if moves else ''}is stap {fmt.listing(dropped)} niet meer nodig" if dropped else "")

    gains = result.whatif_gains[(result.whatif_gains["gemeente_code"] == code) & (result.whatif_gains["step"] > 1)]
    if len(gains):
        border = at_lower_border(result.areas)
        per_step: dict[tuple, list[int]] = {}  # the same areas reached by several steps: said once (Pekela)
        for step, rows in gains.groupby("step", sort=True):
            at = tuple(a for a in dict.fromkeys(rows["area"]) if border.get(a, False))
            if at:
                per_step.setdefault(at, []).append(int(step))
        later = [f"stap {fmt.listing([fmt.number(s) for s in steps])}: "
                 f"{placed([str(result.areas.at[a, 'name']) for a in at])}" for at, steps in per_step.items()]
        if later:
            many = len(later) > 1 or len(next(iter(per_step.values()))) > 1
            single = len({a for at in per_step for a in at}) == 1
            head = "latere stappen bereiken" if many else "een latere stap bereikt"
            # each wijk tried on its own (review of Westerwolde: lowering Ter Apel moves step 1, so the later steps
            # could not be said with step 1 kept), with every step it moves, step 1 too
            tried = [(a, moves) for a, moves in listed("later_if_lower") if a in result.areas.index]
            stays = [str(result.areas.at[a, "name"]) for a, moves in tried if not moves]
            same = f"{'blijven die stappen' if many else 'blijft die stap'} dezelfde"
            if not any(moves for _, moves in tried):
                then = (f"{them(True)} een klasse lager, dan {same}." if single else
                        f"telt een van die {level_word(result)} een klasse lager, dan {same}.")
            else:
                clauses = [f"{them(True) if single else 'telt ' + placed([str(result.areas.at[a, 'name'])])} "
                           f"een klasse lager, dan {moves_said(moves)}" for a, moves in tried if moves]
                if stays:
                    clauses.append(f"telt {fmt.listing([placed([n]) for n in stays], 'of')} een klasse lager, dan "
                                   f"{same}")
                then = "; ".join(clauses) + "."
            where = f"een {level_word(result, False)}" if single else level_word(result)
            # "Ook" only after step 1's own lower border (an attack: Oldambt's step 1 reaches none, its sentence is
            # about a higher border)
            parts.append(f"{'Ook ' + head if down else head[0].upper() + head[1:]} {where} op de grens "
                         f"met een lagere behoefteklasse ({'; '.join(later)}): {then}")
    # areas at the border of a higher class that would each pull a later step to them (step 1 kept; those that move
    # step 1 are said above), with every step that moves (round 2: Het Hogeland's Uithuizermeeden and Warffum)
    first_up = {str(n) for n in up} | {m[0] for m in listed("first_border_up_more")}
    pulls = []
    for area, steps in listed("later_border_up"):
        if area not in result.areas.index or area in first_up or str(result.areas.at[area, "name"]) in first_up:
            continue
        pulls.append(f"telt {placed([str(result.areas.at[area, 'name'])])} een klasse hoger{kept}, dan "
                     f"{moves_said(steps)}")
    if pulls:
        rest = fmt.count(len(pulls) - EQUAL_NAMED, f"andere {level_word(result, False)}",
                         f"andere {level_word(result)}")
        lead = (f"latere stappen hangen {'ook ' if parts else ''}af van {level_word(result)}" if len(pulls) > 1
                else f"een latere stap hangt {'ook ' if parts else ''}af van een {level_word(result, False)}")
        parts.append(f"{lead[0].upper() + lead[1:]} op de grens met een hogere behoefteklasse: "
                     f"{'; '.join(pulls[:EQUAL_NAMED])}" + (f"; zo ook bij {rest}" if len(pulls) > EQUAL_NAMED else "")
                     + ".")
    return " ".join(parts)


def whatif_blocks(result: Analysis, code: str, figure: maps.Figure | None = None) -> list[Block]:
    """The suggested new sites of one municipality (computed by the analysis), what each reaches, before and after."""
    group = target_of(result)
    sites = result.whatif_sites[result.whatif_sites["gemeente_code"] == code]
    gains = result.whatif_gains[result.whatif_gains["gemeente_code"] == code]
    w = result.whatif.loc[code]
    reach = fmt.radius(w["reach_m"])
    level = level_word(result)
    blocks = [_p(objective_text(result)), *([Block("figure", figure=figure)] if figure is not None else [])]
    if len(sites):
        rows = [[fmt.number(r["step"]), fmt.name(r["name"]), area_label(result, r["area"], places=True),
                 fmt.number(r["new_population"]), fmt.number(r["new_high_need"]),
                 gains_text(gains[gains["step"] == r["step"]], result)] for _, r in sites.iterrows()]
        blocks.append(Block("table", table=Table(
            ["Stap", "Nieuwe locatie in de buurt van", level_word(result, False).capitalize(),
             f"Extra {group.key} binnen {reach}", f"Van wie in {level} met hoge behoefte",
             f"{level.capitalize()} die erbij komen ({group.key} erbij)"], rows,
            f"Voorstel: {fmt.count(len(rows), 'nieuwe locatie', 'nieuwe locaties')}", numeric=(0, 3, 4))))
        if w["before_high_need_total"] <= 0:
            notes = [f"Geen van de stappen brengt {group.key} in {level} met hoge behoefte binnen bereik: "
                     f"{regions.MUNICIPALITIES[code]} heeft geen gerangschikte {level_word(result, False)} met hoge "
                     "behoefte."]
        else:
            notes = no_high_need_notes(result, code, sites, w["before_high_need_total"])
        notes += step_notes(result, code, sites,
                            lambda r: f"Binnen {reach} van stap {fmt.number(r['step'])} ({fmt.name(r['name'])})")
        notes += [t for t in [border_text(result, code)] if t]
        if notes:
            blocks.append(Block("list", items=notes))
    if isinstance(w["reason"], str) and w["reason"]:  # missing (None, or NaN from a saved analysis): no reason
        why = labels.WHATIF_REASONS[w["reason"]].format(target=group.key, reach=reach)
        lead = "Er is geen nieuwe locatie voorgesteld" if not len(sites) else "Meer locaties voegen niets toe"
        blocks.append(_p(f"{lead}: {why}."))
    high = (f", van wie {fmt.number(w['after_high_need_within'])} in {level} met hoge behoefte (daar wonen "
            f"{fmt.number(w['after_high_need_total'])} {group.key})" if w["after_high_need_total"] else "")
    blocks.append(_p(
        f"Nu wonen {fmt.number(w['before_population_within'])} {group.key} ({fmt.percent(w['before_share_within'])}) "
        f"binnen {reach} van een locatie; met de voorgestelde locaties zijn dat er "
        f"{fmt.number(w['after_population_within'])} ({fmt.percent(w['after_share_within'])}){high}. "
        f"{cells_text(w['before_areas_high_need_low_coverage'], w['after_areas_high_need_low_coverage'], level)} "
        f"{left_out_text(result, code)}"
        "Bereik telt per buurt: een wijk komt deels binnen "
        "bereik als een deel van haar buurten dat doet. Onder Methode staat hoe een keuze op alleen het aantal "
        f"bereikte {group.key} zou uitvallen."))
    return blocks


def left_out_text(result: Analysis, code: str) -> str:
    """Who stays out of reach after the proposal, by area, most first: "Buiten bereik blijven dan nog 5.490 jongeren,
    het meest in Harkstede, Scharmer en Woudbloem (lage behoefte, 1.020), ...; met hoge behoefte ook in Foxhol
    (125); verder in 9 andere wijken (2.145). Het voorstel stopt na 3 stappen (het gekozen aantal, zie
    Parameters)." (Stadskanaal: a reader saw 94% and not where the rest lives). With a trailing space; '' when
    everyone is reached or nothing was proposed."""
    areas = result.whatif_areas[result.whatif_areas["gemeente_code"] == code] if len(result.whatif_areas) else None
    steps = result.whatif_sites[result.whatif_sites["gemeente_code"] == code]
    if areas is None or not len(areas) or not len(steps):
        return ""
    target = pd.to_numeric(result.areas["target_population"].reindex(areas.index), errors="coerce").fillna(0)
    left = target * (1 - pd.to_numeric(areas["reach_after"], errors="coerce").fillna(0))
    left = left[left >= 0.5].sort_values(ascending=False, kind="stable")
    if not len(left):
        return ""
    group = target_of(result).key

    def named(area: str, n: float) -> str:  # "Mussel (lage behoefte, 450)"
        return _area_said(result, area, f"{_class_word(result.areas.at[area, 'need_class'])}, {fmt.number(n)}")

    rest = left.iloc[EQUAL_NAMED:]
    # the high-need areas among the rest are named all the same, after the largest: they are what the proposal is
    # for (review of Midden-Groningen: Foxhol's 125, the only high-need young people left, were in "10 andere
    # wijken"; then "het meest in ..., Foxhol (125)" named it among the largest, before larger ones: round 2)
    high = [a for a in rest.index if result.areas.at[a, "need_class"] == 3]
    others = rest.drop(high)
    largest = [named(a, n) for a, n in left.iloc[:EQUAL_NAMED].items()]
    said = (f"{'het meest ' if len(left) > 1 else ''}in "
            + (fmt.listing(largest) if not len(others) and not high else ", ".join(largest)))
    if high:
        said += ("; met hoge behoefte ook in "
                 + fmt.listing([_area_said(result, a, fmt.number(rest[a])) for a in high]))
    if len(others):
        many = fmt.count(len(others), f"andere {level_word(result, False)}", f"andere {level_word(result)}")
        said += f"; verder in {many} ({fmt.number(others.sum())})"
    w = result.whatif.loc[code]
    stop = (f" Het voorstel stopt na {fmt.count(len(steps), 'stap', 'stappen')} (het gekozen aantal, zie "
            "Parameters)." if not (isinstance(w["reason"], str) and w["reason"]) else "")
    return f"Buiten bereik blijven dan nog {fmt.number(left.sum())} {group}, {said}.{stop} "


def cells_text(before, after, level: str = "wijken") -> str:
    """How the number of areas with high need and low coverage changes with the proposal, in one sentence."""
    if not before and not after:
        return f"Er zijn geen {level} met hoge behoefte en lage dekking, nu niet en na het voorstel niet."
    if before == after:
        return f"Het aantal {level} met hoge behoefte en lage dekking blijft {fmt.number(before)}."
    return (f"Het aantal {level} met hoge behoefte en lage dekking gaat van {fmt.number(before)} naar "
            f"{fmt.number(after)}.")


def objectives_table(result: Analysis, code: str) -> Table:
    """The need-weighted proposal and the plain people-reached choice of one municipality, step by step."""
    group, level = target_of(result), level_word(result)
    chosen = {name: frame[frame["gemeente_code"] == code].set_index("step")
              for name, frame in (("need", result.whatif_sites), ("people", result.whatif_people))}
    rows = []
    for step in sorted(set(chosen["need"].index) | set(chosen["people"].index)):
        row = [fmt.number(step)]
        for name in ("need", "people"):
            if step in chosen[name].index:
                r = chosen[name].loc[step]
                flag = f", {labels.PARTIAL}" if result.areas.at[r["area"], "partial_data"] else ""
                row += [f"{fmt.name(r['name'])} ({fmt.name(r['area_name'])}{flag})", fmt.number(r["new_population"]),
                        fmt.number(r["new_high_need"])]
            else:
                row += [fmt.MISSING] * 3
        rows.append(row)
    w = result.whatif.loc[code]
    totals = {("need", "new_population"): w["after_population_within"] - w["before_population_within"],
              ("need", "new_high_need"): w["after_high_need_within"] - w["before_high_need_within"],
              ("people", "new_population"): w["people_after_population_within"] - w["before_population_within"],
              ("people", "new_high_need"): w["people_after_high_need_within"] - w["before_high_need_within"]}
    rows.append(["Samen", "", *(fmt.number(totals["need", c]) for c in ("new_population", "new_high_need")), "",
                 *(fmt.number(totals["people", c]) for c in ("new_population", "new_high_need"))])
    # the steps' estimates are rounded one by one: their shown sum can differ from the total (review of Eemsdelta:
    # 5.978 + 448 + 0 beside "Samen 6.425")
    apart = any(fmt.number(sum(fmt.rounded(v) for v in chosen[name][column])) != fmt.number(total)
                for (name, column), total in totals.items())
    names = {k: labels.OBJECTIVE_NAMES[k].format(target=group.key) for k in ("need", "people")}
    header = ["Stap"]
    for k in ("need", "people"):
        header += [f"{names[k].capitalize()}: nieuwe locatie bij", f"{group.key.capitalize()} erbij",
                   f"Van wie in {level} met hoge behoefte"]
    return Table(header, rows, f"Twee doelen naast elkaar: {regions.MUNICIPALITIES[code]}", numeric=(0, 2, 3, 5, 6),
                 key="De aantallen zijn schattingen, elk afgerond op hele personen; Samen is afgerond na het optellen "
                     "en kan daardoor iets afwijken van de som van de stappen." if apart else "")


def objectives_text(result: Analysis, code: str) -> str:
    """What the plain people-reached choice would change, in one or two sentences (from the analysis)."""
    w = result.whatif.loc[code]
    group, level = target_of(result).key, level_word(result)
    need = result.whatif_sites[result.whatif_sites["gemeente_code"] == code]
    people = result.whatif_people[result.whatif_people["gemeente_code"] == code]
    if list(need["code"]) == list(people["code"]):
        return f"In {regions.MUNICIPALITIES[code]} kiezen beide doelen dezelfde buurten in dezelfde volgorde."
    if len(need) == len(people) and all(  # a tie broken the other way is no difference between the objectives
            fmt.number(a["new_population"]) == fmt.number(b["new_population"])
            and fmt.number(a["new_high_need"]) == fmt.number(b["new_high_need"])
            and (a["code"] == b["code"] or b["name"] in equal_names(a) or a["name"] in equal_names(b))
            for (_, a), (_, b) in zip(need.iterrows(), people.iterrows(), strict=True)):
        return (f"In {regions.MUNICIPALITIES[code]} kiezen beide doelen even goede buurten: waar ze een andere "
                "kiezen, brengt die evenveel op (een gelijke stand, zie Voorstel), dus de uitkomst is gelijk.")
    if sorted(need["code"]) == sorted(people["code"]):  # after the last step the outcome is the same
        order = fmt.listing([fmt.name(n) for n in people["name"]])
        return (f"In {regions.MUNICIPALITIES[code]} kiezen beide doelen dezelfde buurten, alleen in een andere "
                f"volgorde (op alleen het aantal: {order}); na de laatste stap is de uitkomst gelijk.")
    # differences of the printed (rounded) figures, so that "3.491 in plaats van 3.686" reads "(−195)"
    more = fmt.rounded(w["people_after_population_within"]) - fmt.rounded(w["after_population_within"])
    # the comparison that matters: the young people in the areas of the highest need class the municipality has
    # (Westerkwartier has no high-need wijk: "0 in plaats van 0 in wijken met hoge behoefte" said nothing)
    which = next((c for c in ("high", "middle") if (w.get(f"after_{c}_need_total") or 0) > 0), None)
    name = regions.MUNICIPALITIES[code]
    out = (f"Met alleen het aantal als doel komen in {name} {fmt.number(w['people_after_population_within'])} "
           f"{group} binnen bereik in plaats van {fmt.number(w['after_population_within'])} ({fmt.signed(more)})")
    if which is None:
        return out + "."
    word = {"high": "hoge", "middle": "middelmatige"}[which]
    people, need = w.get(f"people_after_{which}_need_within"), w[f"after_{which}_need_within"]
    if fmt.is_missing(people):  # an analysis saved before the middle-need figures
        return out + "."
    none = f"; {name} heeft geen {level_word(result, False)} met hoge behoefte" if which == "middle" else ""
    return (out + f", en {fmt.number(people)} in plaats van {fmt.number(need)} in {level} met {word} behoefte "
            f"({fmt.signed(fmt.rounded(people) - fmt.rounded(need))}){none}.")


def objectives_blocks(result: Analysis, code: str) -> list[Block]:
    """The method section's comparison of the two objectives for one municipality."""
    return [Block("table", table=objectives_table(result, code)), _p(objectives_text(result, code))]


def quality_blocks(result: Analysis, code: str) -> list[Block]:
    """The data-quality section: suppressed figures, conversions, the residents check, supply caveats."""
    areas = result.areas[result.areas["gemeente_code"] == code]
    figures = figures_of(result, code)
    blocks = []
    if not figures["sites_physical"]:
        blocks.append(_p(no_sites_text(result, figures)))
    missing = missing_table(result, figures)
    if missing is not None:
        blocks.append(Block("table", table=missing))
    changes = result.quality[(result.quality["report_gemeente"] == code) & (result.quality["problem"] != "totals")]
    if len(changes):
        texts = [labels.quality_issue(r) for r in changes.itertuples()]
        blocks.append(Block("table", table=Table(
            ["Code", "Gebied", "Bron", "Wat er met de cijfers is gebeurd", "Inwoners"],
            [[r.code, labels.area_label(r.name, r.problem != "unused" and r.code in areas.index
                                        and bool(areas.at[r.code, "partial_data"])),
              r.source, text, fmt.number(r.residents)] for r, text in zip(changes.itertuples(), texts, strict=True)],
            "Cijfers die door een indelingswijziging zijn omgezet, geschat of ontbreken", numeric=(4,))))
        keys = {labels.quality_key(r) for r in changes.itertuples()}
        used = [key for key in labels.ORIGINS if key in keys]
        blocks.append(Block("table", table=Table(
            ["Label", "Betekenis"], [[key, labels.ORIGINS[key]] for key in used],
            "Betekenis van de labels (het sterkste bewijs gaat voor: grenzen of de indelingswijziging van CBS, dan "
            "de overlap van de grenzen, dan CBS-cijfers per gebied, als laatste het gemiddelde van de voormalige "
            "gemeenten)")))
        kinds_of = result.vintages[["source", "kind"]].drop_duplicates().itertuples(index=False)
        finer = {source for source, kind in kinds_of if result.parameters["level"] == "wijk"
                 and "buurt" in (kinds.get(kind).of(result.sources).get("levels") or {})}
        blocks += [_p(text) for text in shared_source_texts(changes, finer)]
    for _, t in result.totals[result.totals.index == code].iterrows():
        verdict = "binnen de afronding van CBS" if t["ok"] else "groter dan de afronding van CBS"
        blocks.append(_p(
            f"Controle: de {_areas(result, len(areas))} tellen op tot {fmt.number(t['areas'])} inwoners; CBS noemt "
            f"{fmt.number(t['gemeente'])} voor de gemeente ({t['source']}). Het verschil van "
            f"{fmt.number(abs(t['difference']))} is {verdict}." if t["difference"] else
            f"Controle: de {_areas(result, len(areas))} tellen op tot {fmt.number(t['areas'])} inwoners, precies wat "
            f"CBS voor de gemeente noemt ({t['source']})."))
        if not fmt.is_missing(t.get("target_gemeente")) and not fmt.is_missing(t.get("target_areas")):
            group = target_of(result)  # review of Westerwolde: 6.405 young people against CBS's 6.430, unchecked
            said = f"Ook de doelgroep ({group.label}) telt op tot {fmt.number(t['target_areas'])}"
            blocks.append(_p(
                f"{said}; CBS noemt {fmt.number(t['target_gemeente'])} voor de gemeente. Het verschil van "
                f"{fmt.number(abs(t['target_difference']))} is "
                f"{'binnen' if t['target_ok'] else 'groter dan'} de afronding van CBS." if t["target_difference"]
                else f"{said}, precies wat CBS voor de gemeente noemt."))
    sites = result.sites[result.sites["gemeente_code"] == code]
    physical = sites[~coverage.is_area_wide(sites)]
    rough = physical[physical["placement"].isin(initiatives.APPROXIMATE)]
    if len(rough):
        shared = {n: len(p["names"]) for p in figures["sites_shared"] for n in p["names"]}
        blocks.append(Block("table", table=Table(
            ["Fysieke locatie", "Programma", "Plaatsing", "Op hetzelfde punt"],
            [[fmt.name(r["name"]), fmt.name(r["programme"]), labels.PLACEMENTS.get(r["placement"], r["placement"]),
              f"met {fmt.number(shared[r['name']] - 1)} andere" if shared.get(r["name"], 1) > 1 else ""]
             for _, r in rough.iterrows()],
            f"{fmt.count(len(rough), 'fysieke locatie', 'fysieke locaties')} met een benaderde plek, van de "
            f"{fmt.number(figures['sites_physical'])} in de kerncijfers (op de kaart een open symbool; een getal met × "
            "telt de locaties op hetzelfde punt). Gemeentebreed aanbod heeft geen plek en staat hier niet bij.")))
    excluded = result.excluded[result.excluded["gemeente_code"] == code] if len(result.excluded) else result.excluded
    if len(excluded):
        blocks.append(Block("table", table=Table(
            ["Initiatief", "Programma", "Ligt in"],
            [[fmt.name(r["name"]), fmt.name(r["programme"]),
              area_label(result, r["in_area"], places=True) if r.get("in_area") in result.areas.index
              else fmt.name(r.get("in_area_name"))] for _, r in excluded.iterrows()],
            "Initiatieven zonder leeftijdsbereik: niet meegeteld voor de doelgroep (vul het leeftijdsbereik aan in "
            "het register; zie ook Methode, Doelgroep)")))
    if not blocks:
        blocks.append(_p("Geen bijzonderheden in de gegevens van deze gemeente."))
    return blocks


def missing_table(result: Analysis, figures: dict) -> Table | None:
    """The data-quality table of missing figures: per need indicator the areas without its figure, by why
    (:func:`mgg_geo.analysis.chain.missing_figures`: not published by CBS/RIVM, not estimated when converted, an area
    without residents; only the reasons that occur) and in all, the count of the comparison with the province; None
    when every area has every figure."""
    shown = [ind.key for ind in target_of(result).need_indicators if ind.key in figures["missing_figures"]]
    if not shown:
        return None
    counts = [figures["missing_figures"][k] for k in shown]
    reasons = [r for r in labels.MISSING_REASONS if any(c.get(r) for c in counts)]
    rows = [[catalogue.INDICATOR_BY_KEY[k].label, *(fmt.number(c.get(r, 0)) for r in reasons), fmt.number(c["total"])]
            for k, c in zip(shown, counts, strict=True)]
    meanings = " ".join(f"{labels.MISSING_REASONS[r][0]}: {labels.MISSING_REASONS[r][1]}." for r in reasons)
    return Table(["Indicator", *(labels.MISSING_REASONS[r][0] for r in reasons), "Samen"], rows,
                 "Gebieden zonder cijfer, per indicator en waarom (telt als ontbrekend, nooit als 0)",
                 numeric=tuple(range(1, len(reasons) + 2)),
                 key=f"{meanings} Samen: alle gebieden zonder cijfer, zoals de tabel Vergelijking met de provincie "
                     "ze telt.")


def shared_source_texts(changes: pd.DataFrame, finer: set[str] = frozenset()) -> list[str]:
    """Per source table, the areas whose estimated figures all come from one and the same area of the source year
    (e.g. the wijken of Appingedam from its one wijk of 2020): they carry the same rates (percentages, averages),
    which say nothing about differences between them (counts are split by the overlap); for the sources of
    ``finer`` (labels, e.g. "RIVM 2020": tables with buurt figures too, which a wijk report does not use) it says
    that those could show differences the report does not. ``changes``: data-quality rows
    (:func:`mgg_geo.data.areas.quality_table`)."""
    estimated = changes[origin_status(changes).isin(ESTIMATED_STATUSES) & changes["from_codes"].map(
        lambda c: isinstance(c, str) and "," not in c)]
    out = []
    for (source, origin), group in estimated.groupby(["source", "from_codes"], sort=True):
        if group["code"].nunique() > 1:
            count = fmt.number(group["code"].nunique())
            why = (f"verschillen daarin tussen deze {count} gebieden zijn uit deze bron niet te zien."
                   if source not in finer else "het bronbestand heeft ook cijfers per buurt, die verschillen tussen "
                   f"deze {count} gebieden kunnen laten zien, maar dit rapport rekent met de cijfers per wijk.")
            out.append(f"{source}: {fmt.listing([fmt.name(n) for n in group['name']])} hebben hun cijfers alle uit "
                       f"één gebied van het bronjaar ({origin}), dus dezelfde percentages en gemiddelden; {why}")
    return out


def trends_blocks(result: Analysis, code: str, figure: maps.Figure | None = None) -> list[Block]:
    """The section "Ontwikkeling": change per area between the latest two vintages, on today's areas."""
    areas = result.areas[result.areas["gemeente_code"] == code]
    changes = result.changes[result.changes["gemeente_code"] == code]
    if changes.empty:
        return [_p("Er zijn geen twee jaargangen van dezelfde cijfers beschikbaar; een ontwikkeling is niet te geven.")]
    shown = [i for i in TREND_INDICATORS if i in set(changes["indicator"])]
    header, rows = ["Gebied"], {c: [area_label(result, c, places=True)] for c in areas.index}
    rounded_apart = False  # a difference that is not the difference of the two rounded figures beside it
    for indicator in shown:
        part = changes[changes["indicator"] == indicator].set_index("code")
        first, last = int(part["first_year"].iloc[0]), int(part["last_year"].iloc[0])
        label = catalogue.INDICATOR_BY_KEY[indicator].label if indicator in catalogue.INDICATOR_BY_KEY \
            else catalogue.CONCEPTS[indicator].label
        header.append(f"{label} {first} → {last}")
        decimals = 0 if catalogue.CONCEPTS[indicator].extensive else 1
        unit = "" if decimals == 0 else "pt"
        for c in areas.index:
            if c not in part.index:
                rows[c].append(fmt.MISSING)
                continue
            r = part.loc[c]
            values = f"{fmt.number(r['first'], decimals)} → {fmt.number(r['last'], decimals)}"
            if r["verdict"] in ("up", "down", "none"):
                values += f" ({fmt.signed(r['change'], decimals, unit)})"
                rounded_apart |= fmt.signed(r["change"], decimals) != fmt.signed(
                    fmt.rounded(r["last"], decimals) - fmt.rounded(r["first"], decimals), decimals)
            rows[c].append(f"{values}: {labels.VERDICTS[r['verdict']]}" + (" *" if r["estimated"] else ""))
    notes = [f"Gezondheidscijfers (RIVM) zijn schattingen: een verschil van {fmt.number(trends.HEALTH_THRESHOLD)} "
             "procentpunt of minder telt als geen duidelijke verandering.",
             f"Inwoners: een verschil van {fmt.number(trends.COUNT_THRESHOLD)} personen of minder, of minder dan "
             f"{fmt.percent(trends.COUNT_SHARE)}, telt als geen duidelijke verandering (CBS rondt af op 5).",
             *(["* Beide jaren zijn op dezelfde manier geschat uit de overlap van de grenzen; het verschil is dat "
                "van die schatting."] if changes["estimated"].any() else []),
             *(["Het verschil tussen haakjes is berekend vóór het afronden en kan daardoor iets afwijken van het "
                "verschil tussen de afgeronde cijfers ervoor."] if rounded_apart else []),
             *([f"{labels.VERDICTS['boundary'].capitalize()}: de grens van het gebied veranderde tussen de twee "
                "jaren (of een van beide cijfers is alleen met CBS-cijfers geschat), dus het verschil kan van de "
                "grens komen en niet van het gebied; er wordt geen stijging of daling genoemd."]
               if (changes["verdict"] == "boundary").any() else []),
             *([f"{labels.VERDICTS['not_own'].capitalize()}: een van beide cijfers is het gemiddelde van de "
                "voormalige gemeenten."] if (changes["verdict"] == "not_own").any() else []),
             "Alle jaargangen zijn eerst omgezet naar de gebiedsindeling van de kaarten; cijfers waarvan de "
             "definitie tussen de jaren veranderde, worden niet vergeleken."]
    if not any(i in set(changes["indicator"]) for i in ("low_income_share", "social_minimum_share")):
        years = sorted(result.series.loc[result.series["indicator"] == "low_income_share", "year"].unique())
        notes.append("Inkomenscijfers zijn van één jaargang beschikbaar"
                     + (f" ({', '.join(map(str, years))})" if years else "") + "; een ontwikkeling is niet te geven.")
    blocks = [Block("figure", figure=figure)] if figure is not None else []
    blocks += [Block("table", table=Table(header, list(rows.values()),
                                          f"Ontwikkeling per gebied, {regions.MUNICIPALITIES[code]}")),
               Block("list", items=notes, cls="mgg-noten")]
    return blocks


def _youth_value(row: pd.Series | None, key: str) -> str:
    if row is None or key not in row.index:
        return fmt.MISSING
    if pd.isna(row[key]):
        return "niet gepubliceerd" if bool(row.get(f"{key}__suppressed", False)) else fmt.MISSING
    return fmt.percentage(row[key])


def youth_source_line(result: Analysis) -> str:
    """The attribution of the young-adult monitor ('' when it is not in the cache)."""
    m = kinds.YOUTH.of(result.sources)
    if not m:
        return ""
    how = "gedownload" if m.get("origin") == "live" else "geïmporteerd"
    return f"{kinds.YOUTH.attribution_line(m)}; {how} op {fmt.date(m.get('retrieved_at'))}."


def youth_missing_text() -> str:
    """What the reports say when the young-adult monitor is not in the cache."""
    return (f"De Gezondheidsmonitor Jongvolwassenen (RIVM/GGD'en/CBS, tabel {kinds.YOUTH.table_id}, 16 tot 25 jaar) "
            f"is niet ingelezen; importeer de StatLine-export met '{kinds.YOUTH.import_command('BESTAND')}'.")


#: Short column headers of the young-adult figures for wide tables (soft hyphens let them wrap in print).
YOUTH_SHORT = {"ya_good_mental_health": "Goede mentale gezond\u00adheid", "ya_anxiety_depression":
               "Angst- of depressie\u00adgevoelens", "ya_suicidal_thoughts": "Suïcide\u00adgedachten",
               "ya_stress": "Heel vaak gestrest", "ya_lonely": "Eenzaam", "ya_strongly_lonely": "Sterk eenzaam",
               "making_ends_meet": "Moeite met rond\u00adkomen"}


def youth_rows(result: Analysis, codes: list[str]) -> list[list[str]]:
    """One row per figure of the young-adult monitor: its label, then the value for each region of ``codes`` (GM
    codes, the GGD region, NL01)."""
    frame = result.youth.set_index("code") if len(result.youth) else pd.DataFrame()
    present = [c for c in codes if c in frame.index]
    rows = []
    for key, direction in catalogue.YOUNG_ADULT_FIGURES:
        label = catalogue.CONCEPTS[key].label.removeprefix("Jongvolwassenen: ")
        if key == "making_ends_meet":
            label = "Moeite met rondkomen"
        rows.append([label[0].upper() + label[1:] + (" (hoger is gunstiger)" if direction < 0 else "")]
                    + [_youth_value(frame.loc[c] if c in present else None, key) for c in codes])
    return rows


#: What the young-adult figures are, under every table of them.
YOUTH_SURVEY = ("Het zijn uitkomsten van een vragenlijstonderzoek onder een steekproef: kleine verschillen met de "
                "provincie of Nederland kunnen toeval zijn. 'Niet gepubliceerd': te weinig deelnemers in de gemeente. "
                "De omschrijvingen volgen de kolomnamen van CBS; hoe vaak of hoe sterk iemand iets moest ervaren om "
                "mee te tellen, staat in de toelichting bij de tabel in de bronregel; lees een hoog percentage dus "
                "naast dat van Nederland.")


def youth_not_theirs(result: Analysis) -> str:
    """For a target group outside the young-adult monitor's ages (:data:`mgg_geo.data.catalogue.YOUNG_ADULT_AGES`):
    that the monitor is not about it (review: reports for people of 65 and over showed it as theirs)."""
    return (f"Dit rapport gaat over {target_of(result).label}. De Gezondheidsmonitor Jongvolwassenen gaat over "
            "jongeren van 16 tot 25 jaar en staat daarom alleen in de rapporten over jongeren.")


def youth_blocks(result: Analysis, code: str) -> list[Block]:
    """The section "Jongvolwassenen (16–25 jaar)": the municipality against the province (GGD Groningen) and the
    Netherlands, from the young-adult monitor, with its source line; for a target group of other ages (people of
    65 and over) only that it is not theirs."""
    group = target_of(result)
    if not group.meets(catalogue.YOUNG_ADULT_AGES):
        return [_p(youth_not_theirs(result))]
    intro = _p("Wat jongeren zelf zeggen over hun mentale gezondheid, stress en eenzaamheid, uit de Gezondheidsmonitor "
               "Jongvolwassenen. Deze cijfers zijn er per gemeente, niet per wijk.")
    if not len(result.youth):
        return [intro, _p(youth_missing_text() + " Zonder die cijfers zegt dit rapport niets over jongeren zelf.")]
    codes = [code, catalogue.PROVINCE_GGD, "NL01"]
    rows = youth_rows(result, codes)
    header = ["Jongvolwassenen (16–25 jaar)", regions.MUNICIPALITIES[code], "Provincie (GGD Groningen)", "Nederland"]
    table = Table(header, rows, f"Jongvolwassenen in {regions.MUNICIPALITIES[code]}, de provincie en Nederland "
                                f"({kinds.YOUTH.of(result.sources).get('year')}, % van de 16- tot 25-jarigen)",
                  numeric=(1, 2, 3))
    adults = labels.AGE_GROUPS.get(result.parameters.get("age_group"), "volwassenen")
    notes = ["Deze cijfers zijn er alleen per gemeente, niet per wijk: ze tellen niet mee in de behoefte-index, die "
             f"op cijfers over alle inwoners en over {adults} rust.",
             YOUTH_SURVEY, youth_source_line(result)]
    return [intro, Block("table", table=table), Block("list", items=notes, cls="mgg-bronnen")]


def sources_blocks(result: Analysis) -> list[Block]:
    """Every source table by its id, with vintage, indeling and dates; the columns used; the attribution lines."""
    rows, used, lines = [], [], []
    for kind, m in kinds.present(result.sources):
        if kind is kinds.YOUTH and not target_of(result).meets(catalogue.YOUNG_ADULT_AGES):
            continue  # not shown for this target group (review: listed under the sources of reports for 65+)
        live = m.get("origin") == "live"
        where = m.get("source_url") or Path(m.get("source_file", "")).name
        rows.append([kind.title, kind.cite(m), str(m.get("year", "")), str(m.get("indeling", m.get("year", ""))),
                     fmt.date(m.get("modified")) if m.get("modified") else "niet vermeld in het bestand",
                     f"{'gedownload' if live else 'geïmporteerd'} op {fmt.date(m.get('retrieved_at'))}"])
        columns = [f"{catalogue.CONCEPTS[k].label} ({v['column']})" for k, v in m.get("columns", {}).items()
                   if k in catalogue.CONCEPTS]
        used.append(f"{kind.cite(m)} ({'adres' if live else 'bestand'}: {where})"
                    + (f": {'; '.join(columns)}." if columns else "."))
        lines.append(youth_source_line(result) if kind is kinds.YOUTH else kind.attribution_line(m))
    table = Table(["Bron", "Tabel", "Jaar", "Indeling", "Gewijzigd door CBS", "Opgehaald"], rows,
                  "Bronnen van de cijfers")
    # the other vintages the trends read (their values are in "Ontwikkeling"), by table
    main = {(kind.short, m.get("year")) for kind, m in kinds.present(result.sources)}
    series = result.series.reindex(columns=["source", "year", "table"]).drop_duplicates()
    trend_tables = sorted((str(r.source), int(r.year), str(r.table)) for r in series.itertuples()
                          if (r.source, r.year) not in main)
    if trend_tables:
        used.append("Alleen voor de ontwikkeling: " + fmt.listing(
            [f"{source} {year} (tabel {table})" for source, year, table in trend_tables]) + ".")
    register = Path(result.register.path)
    if initiatives.is_project_register(register):
        who = ("register van Mentaal Gezond Groningen (data/initiatives/register.csv), opgebouwd uit openbare "
               "bronnen; per initiatief staat de bron in het register")
    else:
        who = (f"het register {register.name}, opgegeven bij het maken van dit rapport (niet het register van "
               "Mentaal Gezond Groningen)")
    lines.append(f"Initiatieven: {who}. Dit is gedocumenteerd aanbod: ontbreken in het register betekent niet dat "
                 "er geen preventie is.")
    return [Block("table", table=table), _p("Gebruikte kolommen per tabel:", "mgg-bronnen"),
            Block("list", items=used, cls="mgg-bronnen"), _p("Naamsvermelding:", "mgg-bronnen"),
            Block("list", items=lines, cls="mgg-bronnen")]


def parameters_table(result: Analysis) -> Table:
    """The parameters of the run, in Dutch."""
    p = result.parameters
    group = target_of(result)
    weights = ", ".join(f"{catalogue.DOMAINS[d].lower()} {fmt.number(w, 2)}" for d, w in p["weights"].items())
    points = {"buurt": "buurten, gewogen naar hun doelgroep",
              "buurt_equal": "buurten, even zwaar (geen inwonertallen per buurt beschikbaar)",
              "area": "één punt per gebied"}[p["points"]]
    rows = [["Gebiedsniveau", p["level"]], ["Doelgroep", f"{group.label} ({group.key})"],
            ["Standaardisatie", "afwijking van het provinciegemiddelde in standaardafwijkingen (z-score)"
             if p["method"] == "zscore" else "plaats in de rangorde van de provincie (rangpercentiel)"],
            ["Domeingewichten", weights],
            ["Gevoeligheidsanalyse", f"{fmt.number(p['draws'])} herhalingen (startgetal {p['seed']})"],
            ["Klassengrenzen", "over de hele provincie" if p.get("class_breaks", "provincie") == "provincie"
             else "per gemeente"],
            ["Minimum aantal inwoners om te rangschikken", fmt.number(p["min_population"])],
            [labels.PARTIAL.capitalize(), f"als {partial_rule(result)}"],
            ["Voorstel nieuwe locaties: aantal per gemeente (een keuze voor het rapport: mgg-geo --k, in een "
             "notebook k)", fmt.number(p["k"])],
            ["Voorstel nieuwe locaties: gewicht per bereikte persoon",
             ", ".join(f"{labels.NEED_CLASSES[c]} {fmt.fraction(w)}" for c, w in rules.NEED_WEIGHTS.items())],
            ["Initiatieven zonder leeftijdsbereik", "meegeteld" if p["include_unknown_ages"] else "niet meegeteld"],
            ["Dekking gemeten vanaf", points], ["Bereik (dekking en voorstel)", fmt.radius(p["reach_m"])],
            ["Leeftijdsgroep gezondheidscijfers", p["age_group"]],
            ["Peildatum register", fmt.date(p["reference_date"])],
            ["Register", Path(p["register"]).name], ["Gemaakt op", fmt.when(p["generated_at"])]]
    return Table(["Parameter", "Waarde"], rows, "Parameters en tijdstip")


def method_html(result: Analysis) -> Html:
    """The method text in plain Dutch, filled in with this run's choices."""
    p = result.parameters
    group = target_of(result)
    equal = len({round(w, 6) for w in p["weights"].values()}) == 1
    domains: dict[str, list[str]] = {}
    for ind in group.need_indicators:
        domains.setdefault(catalogue.DOMAINS[ind.domain].lower(), []).append(_indicator_name(ind).split(" (")[0])
    points = {"buurt": "de buurten binnen elk gebied, gewogen naar hun doelgroep",
              "buurt_equal": "de buurten binnen elk gebied (even zwaar: er zijn geen inwonertallen per buurt)",
              "area": "één punt binnen elk gebied"}[p["points"]]
    breaks = ("de grenzen gelden voor de hele provincie, zodat dezelfde kleur in elk rapport hetzelfde betekent"
              if p.get("class_breaks", "provincie") == "provincie"
              else "de grenzen zijn per gemeente bepaald, zodat kleuren alleen binnen een gemeente vergelijkbaar zijn")
    return pages.render(
        "method.html.j2", group=group.label, group_short=group.key, level=level_word(result, False),
        indicators=fmt.listing([f"{d} ({', '.join(v)})" for d, v in domains.items()]),
        weights="even zwaar" if equal else "mee volgens de gekozen gewichten", draws=fmt.number(p["draws"]),
        minimum=fmt.number(p["min_population"]), reach=fmt.radius(p["reach_m"]), points=points,
        unknown="wel mee" if p["include_unknown_ages"] else "niet mee", breaks=breaks,
        groups=mapclasses.NEED_GROUPS[p.get("class_breaks", "provincie")],
        statuses=fmt.listing(list(counted_statuses(p))),
        ranked=fmt.number(int(result.figures["areas_ranked_province"].iloc[0]) if len(result.figures) else 0),
        levels=level_word(result), partial=partial_rule(result), partial_label=labels.PARTIAL,
        min_indicators=fmt.word(rules.MIN_INDICATORS), min_domains=fmt.word(rules.MIN_DOMAINS),
        interval=labels.rank_interval_share(), uncertain=fmt.share_words(rules.UNCERTAIN_SPREAD),
        low_share=fmt.share_words(rules.COVERAGE_BREAKS[0]), high_share=fmt.share_words(rules.COVERAGE_BREAKS[1]),
        radii=fmt.radii(rules.RADII_M),
        zones=fmt.listing([f"{fmt.number(w, 2) if w < 1 else 'volledig'} tot {fmt.radius(d)}"
                           for d, w in rules.DEFAULT_ZONES]),
        last_zone=fmt.radius(rules.DEFAULT_ZONES[-1][0]),
        objective=objective_text(result, "need"),
        objective_people=_lower_first(objective_text(result, "people")), measured=measured_text(result))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------- index page


def index_table(entries: list[dict]) -> Table:
    """The table of the index page: one row per municipality report with its key figures, and a column with the link
    to its PDF when any report has one."""
    rows = []
    pdfs = any(e.get("pdf") for e in entries)
    reach_km = next((e["figures"]["reach_km"] for e in entries if (e.get("figures") or {}).get("reach_km")),
                    rules.REACH_M / 1000)
    for e in sorted(entries, key=lambda x: x["gemeente_code"]):
        f = e.get("figures") or {}
        rows.append([Link(e["href"], str(f.get("gemeente", e["gemeente_code"]))), e["gemeente_code"],
                     fmt.number(f.get("population")), fmt.number(f.get("target_population")),
                     fmt.number(f.get("areas")), fmt.number(f.get("sites_physical")),
                     fmt.listing(f.get("area_wide_offers") or []) or "geen", fmt.number(f.get("areas_target_cell")),
                     fmt.percent(f.get("target_within_reach_share"))]
                    + ([Link(e["pdf"], "pdf") if e.get("pdf") else fmt.MISSING] if pdfs else []))
    reach = fmt.radius(reach_km * 1000)
    shown = [e["figures"] for e in entries if e.get("figures")]
    levels = {f.get("level", "wijk") for f in shown}
    plural = {"wijk": "Wijken", "buurt": "Buurten"}.get(next(iter(levels)), "Gebieden") if len(levels) == 1 \
        else "Gebieden"
    groups = {f.get("target_group") for f in shown}
    group = catalogue.target_group(next(iter(groups))).label if len(groups) == 1 and None not in groups \
        else "de doelgroep van elk rapport"
    years = {f.get("population_year") for f in shown}
    year = f" op 1 januari {next(iter(years))}" if len(years) == 1 and None not in years else ""
    key = (f"Inwoners en doelgroep ({group}): som over de {plural.lower()} (CBS{year}). Locaties die meetellen: "
           "fysieke locaties in het register met aanbod voor de doelgroep; plekken zonder leeftijdsbereik in het "
           "register tellen niet mee (elk rapport noemt ze), en ontbreken in het register betekent niet dat er geen "
           "preventie is. Hoge behoefte, lage dekking: het aantal "
           f"{plural.lower()}. Doelgroep binnen {reach}: hemelsbreed, van een locatie die meetelt (in de gemeente "
           "of over de grens). Elk rapport zegt wat geschat of onvolledig is.")
    return Table(["Gemeente", "Code", "Inwoners", "Doelgroep", plural, "Locaties die meetellen",
                  "Gemeentebreed aanbod", "Hoge behoefte, lage dekking", f"Doelgroep binnen {reach}"]
                 + (["Afdrukbaar (A4)"] if pdfs else []), rows,
                 numeric=(2, 3, 4, 5, 7, 8), key=key)


@dataclass(frozen=True)
class Link:
    """A table cell that links to another page (``href`` relative; both escaped when rendered)."""

    href: str
    text: str

    def __html__(self) -> str:
        from markupsafe import escape

        return f'<a href="{escape(self.href)}">{escape(self.text)}</a>'
