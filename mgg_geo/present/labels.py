"""Dutch words for everything a policy advisor reads: the one vocabulary of reports, maps and exports.

The analysis works with codes (relation ``renumbered``, cause
``cbs_boundary_changed``, ...); this module turns them into Dutch. Nothing
here computes a figure.
"""

from __future__ import annotations

import pandas as pd

from mgg_geo import rules
from mgg_geo.present import fmt

#: How an area got its figures from a source table, worst last: the label and what it means. README
#: "Indelingen" lists the same labels, and every report's "Datakwaliteit" explains those it uses with these texts.
ORIGINS: dict[str, str] = {
    "eigen cijfers": "de cijfers horen bij precies dit gebied: dezelfde code en dezelfde grens",
    "hernoemd": "hetzelfde gebied onder een andere naam; de cijfers zijn ongewijzigd overgenomen",
    "omgenummerd": "hetzelfde gebied onder een andere code (de grens is gelijk volgens de grenzen van beide jaren "
                   "of volgens de indelingswijziging van CBS met de buurten die doorlopen); de cijfers zijn "
                   "ongewijzigd overgenomen",
    "geschat uit overlap": "de grens is veranderd; het cijfer is geschat uit de gebieden van het bronjaar die het "
                           "gebied overlappen, naar oppervlakte en inwoners",
    "geschat uit kerncijfers": "de grens is veranderd en grenzen van het bronjaar ontbreken; het cijfer is geschat met "
                               "de CBS-oppervlakte, -inwoners en -huishoudens per gebied van beide jaren",
    "gemiddelde van de voormalige gemeenten": "niets koppelt het gebied aan een gebied van het bronjaar; het cijfer is "
                                              "het gemiddelde van de gemeenten waaruit de huidige gemeente is "
                                              "gevormd (naar inwoners) en zegt niets over verschillen binnen de "
                                              "gemeente",
    "geen cijfers": "er is geen betrouwbare koppeling, of het gebied heeft geen of te weinig inwoners voor een "
                    "schatting; de reden staat erbij",
}

#: Why an area has no figure for an indicator (:data:`mgg_geo.data.areas.MISSING_REASONS`), in the order the report
#: shows them: the column header of the data-quality table and what it means.
MISSING_REASONS: dict[str, tuple[str, str]] = {
    "suppressed": ("Niet gepubliceerd door CBS/RIVM",
                   "CBS of RIVM geeft voor het gebied geen cijfer (geheimgehouden of onbekend)"),
    "not_converted": ("Niet geschat bij de omzetting",
                      "het cijfer hoort bij een andere gebiedsindeling en is niet op het gebied omgezet, omdat het "
                      "te weinig inwoners heeft voor een geschat cijfer of omdat een betrouwbare koppeling ontbreekt "
                      "(zie de tabel hieronder)"),
    "empty": ("Gebied zonder inwoners of huishoudens",
              "het gebied heeft geen inwoners, of geen huishoudens om een aandeel van te nemen; er is niets te meten"),
}

#: The statuses of :func:`mgg_geo.analysis.chain.origins` as labels (keys of :data:`ORIGINS`).
STATUS_LABELS: dict[str, str] = {"own": "eigen cijfers", "renamed": "hernoemd", "renumbered": "omgenummerd",
                                 "overlap": "geschat uit overlap", "fingerprint": "geschat uit kerncijfers",
                                 "average": "gemiddelde van de voormalige gemeenten", "missing": "geen cijfers"}
#: The kinds of evidence of a crosswalk (:data:`mgg_geo.data.crosswalks.EVIDENCE`), as the reports name them.
EVIDENCE: dict[str, str] = {
    "geometry": "de grenzen van beide jaren",
    "indicator": "de indelingswijziging van CBS met de buurten die doorlopen",
    "overlap": "de overlap van de grenzen van beide jaren",
    "fingerprint": "CBS-cijfers per gebied (oppervlakte, inwoners, huishoudens)",
    "average": "het gemiddelde van de voormalige gemeenten",
}

#: Why an area has no figures from a source table (keys of :data:`mgg_geo.data.crosswalks.CAUSES`).
CAUSES: dict[str, str] = {
    "cbs_code_changed": "CBS gaf het gebied een nieuwe code en er zijn geen buurten van beide jaren om de oude code te "
                        "herkennen",
    "cbs_boundary_changed": "CBS wijzigde de grens van het gebied en er zijn geen grenzen of cijfers van het bronjaar "
                            "om de oude cijfers te verdelen",
    "no_match": "geen gebied uit het bronjaar heeft een passende oppervlakte en een passend inwonertal",
    "no_source_figures": "er zijn geen cijfers per gebied uit het bronjaar om het mee te vergelijken",
    "no_overlap": "geen gebied uit het bronjaar overlapt het",
    "no_evidence": "grenzen of kerncijfers van het bronjaar ontbreken",
    "merged_municipality": "de gemeente is gefuseerd; alleen de gemeente als geheel is bruikbaar",
    "not_linked": "geen gebied uit het bronjaar sluit erop aan",
    "no_residents": "het gebied heeft geen inwoners",
    "few_residents": "te weinig inwoners voor een geschat cijfer",
}


def origin_key(relation: object, tier: object = None, withheld: object = None) -> str:
    """The label (a key of :data:`ORIGINS`) that follows from a crosswalk relation and its evidence.

    Examples
    --------
    >>> origin_key("renumbered"), origin_key("split", "overlap"), origin_key("reshaped", "fingerprint")
    ('omgenummerd', 'geschat uit overlap', 'geschat uit kerncijfers')
    >>> origin_key("average"), origin_key(None), origin_key("renumbered", "indicator", "no_residents")
    ('gemiddelde van de voormalige gemeenten', 'geen cijfers', 'geen cijfers')
    """
    if isinstance(withheld, str) or not isinstance(relation, str):
        return "geen cijfers"
    if relation == "same":
        return "eigen cijfers"
    if relation == "renamed":
        return "hernoemd"
    if relation == "renumbered":
        return "omgenummerd"
    if relation == "average":
        return "gemiddelde van de voormalige gemeenten"
    return "geschat uit kerncijfers" if tier == "fingerprint" else "geschat uit overlap"


def origin_text(relation: object, from_codes: object, tier: object = None, withheld: object = None,
                cause: object = None) -> str:
    """An area's origin label with its details, e.g. "omgenummerd (was WK001001)", "geschat uit overlap (uit
    WK000300)", "geen cijfers: het gebied heeft geen inwoners"."""
    key = origin_key(relation, tier, withheld)
    if key == "geen cijfers":
        why = withheld if isinstance(withheld, str) else cause
        return f"geen cijfers: {CAUSES.get(why, 'geen betrouwbare koppeling')}" if isinstance(why, str) \
            else "geen cijfers: geen betrouwbare koppeling"
    if key == "eigen cijfers":
        return key
    if key in ("omgenummerd", "hernoemd"):
        return f"{key} (was {from_codes})"
    return f"{key} (uit {from_codes})"


def figures_origin(vintages: pd.DataFrame) -> pd.Series:
    """Per area code, how its figures were obtained where not directly, e.g.
    "KWB 2021: omgenummerd (was WK196600); RIVM 2020: geen cijfers: ..."; areas whose every source gave its own
    figures are absent."""
    parts: dict[str, list[str]] = {}
    for row in vintages.itertuples():
        withheld = getattr(row, "withheld", None)
        if row.relation == "same" and not isinstance(withheld, str):
            continue
        text = origin_text(row.relation, row.from_codes, getattr(row, "tier", None), withheld, row.cause)
        parts.setdefault(row.code, []).append(f"{row.source}: {text}")
    return pd.Series({code: "; ".join(texts) for code, texts in parts.items()}, dtype="object")


def quality_key(row) -> str | None:
    """The origin label (a key of :data:`ORIGINS`) of a data-quality row; None for unused codes and totals."""
    if row.problem not in ("converted", "estimated", "average", "withheld", "missing"):
        return None
    return origin_key(row.relation, row.tier, row.cause if row.problem == "withheld" else None)


def quality_issue(row) -> str:
    """One data-quality row (see :func:`mgg_geo.data.areas.quality_table`) as Dutch text: the origin label with
    its details."""
    if row.problem in ("converted", "estimated", "average", "withheld", "missing"):
        withheld = row.cause if row.problem == "withheld" else None
        return origin_text(row.relation, row.from_codes, row.tier, withheld, row.cause)
    if row.problem == "unused":
        return f"cijfers van deze code niet gebruikt: {CAUSES.get(row.cause, 'geen betrouwbare koppeling')}"
    return f"de gebieden tellen niet op tot het CBS-totaal van de gemeente ({row.detail})"


#: Verdicts on a change between vintages (see :mod:`mgg_geo.analysis.trends`).
VERDICTS: dict[str, str] = {"up": "gestegen", "down": "gedaald", "none": "geen duidelijke verandering",
                            "boundary": "grens gewijzigd, niet vergelijkbaar",
                            "not_own": "geen eigen cijfers, niet vergelijkbaar"}
#: Colours of those verdicts in charts (rise: orange, fall: blue, no clear change and not comparable: grey).
VERDICT_COLOURS: dict[str, str] = {"up": "#b35806", "down": "#2166ac", "none": "#9a9a9a", "boundary": "#cfcfcf",
                                   "not_own": "#cfcfcf"}


#: Need and coverage classes (1 laag, 2 midden, 3 hoog) and the bivariate label.
NEED_CLASSES: dict[int, str] = {1: "lage behoefte", 2: "middelmatige behoefte", 3: "hoge behoefte"}
COVERAGE_CLASSES: dict[int, str] = {1: "lage dekking", 2: "middelmatige dekking", 3: "hoge dekking"}
#: How precisely an initiative's location is known (for legends, popups and tables).
PLACEMENTS: dict[str, str] = {"exact": "exacte locatie", "address": "adres", "postcode": "postcode",
                              "town": "plaats (bij benadering)", "area": "gebied (bij benadering)"}
#: Register statuses (:data:`mgg_geo.supply.initiatives.STATUSES`) and what each means.
STATUSES: dict[str, str] = {"actief": "actief", "gedateerd": "gedateerd", "gepland": "gepland", "gesloten": "gesloten"}
STATUS_MEANINGS: dict[str, str] = {
    "gedateerd": "de bron beschrijft de plek op één moment, vaak jaren terug; of ze nu nog bestaat, is niet nagegaan",
    "gepland": "aangekondigd, niet bekend of de plek open is",
    "gesloten": "waarschijnlijk gesloten",
}
#: Why a register row does not count for the target group (:func:`mgg_geo.analysis.chain.register_holdings`), as
#: "<n> <phrase>".
NOT_COUNTED: dict[str, str] = {"gedateerd": "met status gedateerd", "gepland": "met status gepland",
                               "gesloten": "met status gesloten", "ended": "beëindigd (einddatum)",
                               "unknown_age": "zonder leeftijdsbereik",
                               "partial_age": "met een onvolledig leeftijdsbereik",
                               "other_age": "met een leeftijdsbereik buiten de doelgroep"}
#: The same per row, for the register table.
ROW_REASONS: dict[str, str] = {
    "counted": "telt mee", "gedateerd": "telt niet mee: status gedateerd", "gepland": "telt niet mee: status gepland",
    "gesloten": "telt niet mee: status gesloten", "ended": "telt niet mee: beëindigd",
    "unknown_age": "telt niet mee: geen leeftijdsbereik",
    "partial_age": "telt niet mee: onvolledig leeftijdsbereik (of het de doelgroep bereikt, is onbekend)",
    "other_age": "telt niet mee: leeftijd buiten de doelgroep"}
#: Why the school-based where-next chose fewer schools than asked (besides :data:`WHATIF_REASONS`).
SCHOOL_REASONS: dict[str, str] = {
    "no_candidates": "er is geen school in de gemeente zonder {programme} volgens het register",
    "all_chosen": "elke kandidaat-school in de gemeente is al gekozen (vestigingen op één punt samen)",
    "no_gain": "geen kandidaat-school brengt nog {target} binnen {reach} die er nu buiten wonen; wie nog buiten bereik "
               "woont, woont verder dan {reach} van elke kandidaat-school",
    # the same, measured from where approximately placed schools are drawn (their town's centre)
    "no_gain_approximate": "geen kandidaat-school brengt, op haar plek bij benadering (zie Plaatsing), nog {target} "
                           "binnen {reach} die er nu buiten wonen; op hun adres kan dat anders uitvallen",
    # every candidate chosen, where there was one
    "all_chosen_one": "de enige kandidaat-school in de gemeente is gekozen",
}
#: Why an area is not ranked (see :func:`mgg_geo.analysis.gap.ranked`).
UNRANKED: dict[str, str] = {"small": "minder dan {min_population} inwoners", "insufficient": "onvoldoende gegevens"}
#: Why the what-if placed fewer sites than asked (see :func:`mgg_geo.analysis.whatif.what_if`); ``reach`` is a
#: formatted distance with its unit (:func:`mgg_geo.present.fmt.radius`).
WHATIF_REASONS: dict[str, str] = {
    "covered": "alle {target} in gebieden met een behoeftescore wonen al binnen {reach} van een locatie",
    "no_ranked": "geen enkel gebied in deze gemeente heeft een behoeftescore en genoeg inwoners om te rangschikken",
    "no_population": "de gebieden zonder locatie binnen bereik hebben geen {target}",
}
#: Whose young people a proposal counts (:func:`mgg_geo.analysis.whatif.what_if`, ``scope``): the municipality's own.
OWN_ONLY = ("Alleen {target} die in de gemeente zelf wonen tellen; wie over de gemeentegrens nieuw binnen bereik komt, "
            "telt niet mee: het voorstel noemt hen wel (bestaande locaties over de grens tellen wel mee voor de "
            "dekking). Over de grens betekent hier: in de andere gemeenten van de provincie; Drenthe, Friesland en "
            "Duitsland zitten niet in de gegevens. ")
#: Between places that bring as much, in the order :func:`mgg_geo.analysis.whatif.what_if` tries (``tie_by``), what
#: put the chosen one first, after "... krijgt voorrang omdat ze".
TIE_REASONS: dict[str, str] = {
    "served": "{target} bereikt in de {level} die het eerst aan de beurt is (zie Prioriteiten)",
    "border": "in de andere gemeenten van de provincie meer {target} bereikt, geteld naar behoefte (die tellen verder "
              "niet mee)",
    "lies": "ligt in de {level} die het eerst aan de beurt is (zie Prioriteiten)",
}
#: The tie rule in one sentence (the objectives and the school objective end with it).
TIE_RULE = ("Bij gelijke opbrengst krijgt eerst de {noun} voorrang die {target} bereikt in de {level} die het eerst "
            "aan de beurt is, dan de {noun} die in de andere gemeenten van de provincie het meest oplevert, geteld "
            "naar behoefte, dan de {noun} in de {level} die het eerst aan de beurt is; is ook dat gelijk, dan is de "
            "keuze willekeurig.")
#: The objectives of the what-if (:data:`mgg_geo.analysis.whatif.OBJECTIVES`), each in one sentence that holds for
#: every step. ``weights`` is filled in from :data:`mgg_geo.rules.NEED_WEIGHTS`.
#: The objective of the school-based where-next (the same weights as :data:`OBJECTIVES` ``need``).
SCHOOL_OBJECTIVE = ("Elke stap kiest de school waar {programme} de meeste {target} nieuw binnen {reach} brengt, geteld "
                    "naar de behoefte van hun {level}: wie in een {level} met hoge behoefte woont telt {high}, met "
                    "middelmatige behoefte {middle} en met lage behoefte {low}; {levels} zonder behoefteklasse tellen "
                    "niet mee. Het is hetzelfde doel als bij het voorstel hierboven, maar alleen scholen komen in "
                    "aanmerking. " + TIE_RULE.replace("{noun}", "school"))
OBJECTIVE_NAMES: dict[str, str] = {"need": "gewogen naar behoefte (dit voorstel)",
                                   "people": "alleen het aantal bereikte {target}"}
OBJECTIVES: dict[str, str] = {
    "need": "Elke stap kiest de buurt waar een nieuwe locatie de meeste {target} nieuw binnen {reach} brengt, geteld "
            "naar de behoefte van hun {level}: wie in een {level} met hoge behoefte woont telt {high}, met "
            "middelmatige behoefte {middle} en met lage behoefte {low}; {levels} zonder behoefteklasse tellen niet "
            "mee. " + OWN_ONLY + TIE_RULE.replace("{noun}", "plek"),
    "people": "Elke stap kiest de buurt waar een nieuwe locatie de meeste {target} nieuw binnen {reach} brengt, "
              "ongeacht de behoefte van hun {level}.",
}
#: The age groups of the RIVM health figures (:data:`mgg_geo.data.catalogue.HEALTH_AGE_GROUPS`) in running text.
AGE_GROUPS: dict[str, str] = {"18+": "volwassenen van 18 jaar en ouder", "18-64": "volwassenen van 18 tot 65 jaar",
                              "65+": "ouderen van 65 jaar en ouder", "16-25": "jongvolwassenen van 16 tot 25 jaar"}
#: What a need indicator's figure is a share or average of (:attr:`mgg_geo.data.catalogue.Indicator.base`), plural.
BASES: dict[str, str] = {"households": "huishoudens", "dwellings": "woningen", "population": "inwoners"}
#: An area with too many need indicators missing (see :func:`mgg_geo.analysis.gap.partial_data`).
PARTIAL = "onvolledige gegevens"
PARTIAL_RULE = "meer dan {share} van de behoeftecijfers ontbreekt"
#: An area with at least one figure estimated from the areas of a source's year
#: (:data:`mgg_geo.analysis.chain.ESTIMATED_STATUSES`), in tables and tooltips, and what that means.
ESTIMATED = "deels geschat"
ESTIMATED_FROM = "geschat uit de gebieden van het jaar van de bron"
ESTIMATED_RULE = f"een deel van de cijfers is {ESTIMATED_FROM}"


def area_label(name, partial: bool = False, estimated: bool = False) -> str:
    """An area's name for tables, lists and tooltips, with "(onvolledige gegevens)" when flagged and "(deels
    geschat)" when asked, in one bracket when both ("(onvolledige gegevens; deels geschat)"); "–" when the name
    is missing."""
    notes = [note for note, on in ((PARTIAL, partial), (ESTIMATED, estimated)) if on]
    return f"{fmt.name(name)} ({'; '.join(notes)})" if notes else fmt.name(name)


def gap_label(need_class: float, coverage_class: float, reaches=()) -> str:
    """e.g. "Hoge behoefte, lage dekking"; "geen klasse" when either class is missing. ``reaches``: the need classes
    the area's rank interval reaches (``need_class_high``, ``need_class_low``), named when other than its own:
    "Hoge behoefte (op de grens met middelmatige), lage dekking", or "(marge over alle drie klassen)"."""
    if pd.isna(need_class) or pd.isna(coverage_class):
        return "geen klasse"
    # every class between the ends of the interval: a high area whose interval reaches low crosses middle too
    ends = [int(c) for c in (need_class, *reaches) if not pd.isna(c)]
    others = sorted(set(range(min(ends), max(ends) + 1)) - {int(need_class)}, reverse=True)
    border = ("" if not others else " (marge over alle drie klassen)" if len(others) == 2 else
              f" (op de grens met {NEED_CLASSES[others[0]].split()[0]})")
    text = f"{NEED_CLASSES[int(need_class)]}{border}, {COVERAGE_CLASSES[int(coverage_class)]}"
    return text[0].upper() + text[1:]


def gap_labels(areas: pd.DataFrame) -> list[str]:
    """:func:`gap_label` per area of ``areas`` (``need_class``, ``coverage_class`` and, when present, the classes its
    rank interval reaches: ``need_class_high``, ``need_class_low``)."""
    reach = areas.reindex(columns=["need_class_high", "need_class_low"])
    return [gap_label(n, c, tuple(r)) for n, c, r in zip(areas["need_class"], areas["coverage_class"],
                                                        reach.itertuples(index=False), strict=True)]


def rank_interval_share() -> str:
    """The share of the draws the rank interval ("marge") holds, from :data:`mgg_geo.rules.RANK_PERCENTILES`: "90%"."""
    low, high = rules.RANK_PERCENTILES
    return fmt.percent((high - low) / 100)


def unranked(reason: object, min_population: float) -> str:
    """Dutch reason an area is not ranked ('' when it is)."""
    if not isinstance(reason, str):
        return ""
    return UNRANKED[reason].format(min_population=fmt.number(min_population))

