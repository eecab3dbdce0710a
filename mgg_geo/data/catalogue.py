"""The catalogue: every source table and every figure mgg_geo reads or derives, declared once.

Three kinds of entries:

:class:`Table`
    A CBS/RIVM table: its id, the catalogue host, the periods it holds and the
    **indeling** (boundary year) its area codes belong to. KWB tables use the
    indeling of their own year; the RIVM tables restate every survey year on
    one indeling (50090NED: 2020, 50120NED: 2022, 50150NED: 2024).

:class:`Concept`
    A column read from a source table. It carries the names under which CBS
    publishes it in each format, so that one concept is found in every vintage:

    * ``odata``: OData keys without their per-edition numeric suffix
      (``HuishoudensMetEenLaagInkomen`` matches ``HuishoudensMetEenLaagInkomen_89``
      in 85984NED and ``..._72`` in older tables);
    * ``titles``: StatLine titles, compared after :func:`normalise_title`;
    * ``kwb``: the short names of the CBS kwb xls/csv downloads (``p_hh_lkk``).

:class:`Indicator`
    A figure of the need index or the target population, either a concept
    itself or a ratio of two concepts, with its Dutch label, domain, direction
    (+1: higher means more need; -1: higher means less need) and unit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """A CBS or RIVM table.

    Attributes
    ----------
    table_id
        StatLine identifier, e.g. ``85039NED``.
    kind
        ``kwb`` (Kerncijfers wijken en buurten) or ``health`` (RIVM/GGD'en/CBS).
    title
        Dutch title (the table's own ``TableInfos.Title`` wins when downloaded).
    indeling
        The boundary year the table's area codes belong to.
    periods
        The reference or survey years the table holds.
    host
        ``opendata`` (opendata.cbs.nl) or ``dataderden`` (dataderden.cbs.nl, RIVM).
    levels
        The area levels it publishes.
    """

    table_id: str
    kind: str
    title: str
    indeling: int
    periods: tuple[int, ...]
    host: str
    levels: tuple[str, ...] = ("gemeente", "wijk", "buurt")


def _kwb(year: int, table_id: str) -> Table:
    return Table(table_id, "kwb", f"Kerncijfers wijken en buurten {year}", year, (year,), "opendata")


#: Every table mgg_geo knows. KWB: one table per reference year, in that year's indeling.
TABLES: tuple[Table, ...] = (
    _kwb(2020, "84799NED"), _kwb(2021, "85039NED"), _kwb(2022, "85318NED"), _kwb(2023, "85618NED"),
    _kwb(2024, "85984NED"), _kwb(2025, "86165NED"),
    Table("50090NED", "health", "Gezondheid per wijk en buurt; 2012/2016/2020 (indeling 2020)", 2020,
          (2012, 2016, 2020), "dataderden"),
    Table("50120NED", "health", "Gezondheid per wijk en buurt; 2012/2016/2020/2022 (indeling 2022)", 2022,
          (2012, 2016, 2020, 2022), "dataderden"),
    Table("50150NED", "health", "Gezondheid per wijk en buurt; 2012-2024 (indeling 2024)", 2024,
          (2012, 2016, 2020, 2022, 2024), "dataderden"),
    Table("50140NED", "health", "Gezondheidsmonitor Jongvolwassenen 2024; regio", 2024, (2024,), "dataderden",
          ("gemeente",)),
)
TABLE_BY_ID: dict[str, Table] = {t.table_id: t for t in TABLES}
#: Kerncijfers wijken en buurten: table id per reference year.
KWB_TABLES: dict[int, str] = {t.periods[0]: t.table_id for t in TABLES if t.kind == "kwb"}
#: RIVM Leeftijd dimension codes and the project's age-group labels.
HEALTH_AGE_GROUPS: dict[str, str] = {"20300": "18+", "53115": "18-64", "80200": "65+"}
#: The age group of the adult health indicators in the need index.
HEALTH_DEFAULT_AGE: str = "18+"

#: Who publishes the boundaries (CBS Wijk- en buurtkaart, PDOK gebiedsindelingen): named on every map, in the
#: sources of every report and in the boundaries' manifests (:func:`boundary_attribution`).
BOUNDARY_HOLDER: str = "Kadaster / Centraal Bureau voor de Statistiek"


def boundary_attribution(year) -> str:
    """The attribution of the boundaries of ``year`` (or of a table id): "Kadaster / Centraal Bureau voor de
    Statistiek, 2024"."""
    return f"{BOUNDARY_HOLDER}, {year}"


#: Who simplified an imported boundary file, told by a column of its own (the cartomap/nl extracts carry
#: ``cartomap_feature_id``): its attribution adds "vereenvoudigd door <name>" (CBS's terms for simplified geometry).
SIMPLIFIED_BY: dict[str, str] = {"cartomap": "cartomap/nl"}


def table(table_id: str | None) -> Table | None:
    """The catalogue entry of ``table_id`` (None when unknown)."""
    return TABLE_BY_ID.get(str(table_id or "").upper())


def health_tables(period: int, *, level: str = "wijk", indeling: int | None = None) -> list[Table]:
    """RIVM tables that hold survey ``period`` at ``level``, best first.

    Best is the table whose indeling equals ``indeling`` (no conversion
    needed), then the newest indeling.
    """
    found = [t for t in TABLES if t.kind == "health" and period in t.periods and level in t.levels]
    return sorted(found, key=lambda t: (t.indeling != indeling, -t.indeling))


def health_periods(level: str = "wijk") -> list[int]:
    """Every survey year a known RIVM table holds at ``level``, newest first."""
    return sorted({p for t in TABLES if t.kind == "health" and level in t.levels for p in t.periods}, reverse=True)


# --------------------------------------------------------------------------- concepts


@dataclass(frozen=True)
class Concept:
    """A column read from a source table (see the module docstring).

    ``unit`` decides how the figure converts between indelingen: counts and
    areas (``aantal``, ``ha``) are *extensive* (they add up), codes are
    *categorical*, everything else (percentages, averages) is *intensive*.
    ``breaks`` lists the years in which CBS changed the definition: figures
    on either side of a break are not compared.
    """

    key: str
    source: str  # "kwb" or "health"
    label: str  # Dutch, as shown to readers
    unit: str
    odata: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    kwb: tuple[str, ...] = ()
    required: bool = True  # a live table lacking it is an error, not a silent gap
    breaks: tuple[int, ...] = ()

    @property
    def is_percentage(self) -> bool:
        """True when the concept is a share in percent (0-100)."""
        return self.unit == "%"

    @property
    def extensive(self) -> bool:
        """True for counts and areas: they add up over areas."""
        return self.unit in ("aantal", "ha")

    @property
    def categorical(self) -> bool:
        """True for codes (e.g. urbanity): neither summed nor averaged."""
        return self.unit == "code"

    def comparable(self, first: int, second: int) -> bool:
        """True when the definition did not change between years ``first`` and ``second``."""
        lo, hi = sorted((first, second))
        return not any(lo < b <= hi for b in self.breaks)


def _c(key, source, label, unit, odata=(), titles=(), kwb=(), required=True, breaks=()) -> Concept:
    return Concept(key, source, label, unit, tuple(odata), tuple(titles), tuple(kwb), required, tuple(breaks))


#: Kerncijfers wijken en buurten concepts (opendata.cbs.nl, 2021-2025).
KWB_CONCEPTS: tuple[Concept, ...] = (
    _c("population", "kwb", "Aantal inwoners", "aantal", ["AantalInwoners"], ["Aantal inwoners"], ["a_inw"]),
    _c("pop_0_14", "kwb", "Inwoners 0 tot 15 jaar", "aantal", ["k_0Tot15Jaar"], ["0 tot 15 jaar"], ["a_00_14"]),
    _c("pop_15_24", "kwb", "Inwoners 15 tot 25 jaar", "aantal", ["k_15Tot25Jaar"], ["15 tot 25 jaar"], ["a_15_24"]),
    _c("pop_65plus", "kwb", "Inwoners 65 jaar of ouder", "aantal", ["k_65JaarOfOuder"], ["65 jaar of ouder"],
       ["a_65_oo"]),
    _c("households", "kwb", "Huishoudens totaal", "aantal", ["HuishoudensTotaal"],
       ["Huishoudens totaal", "Aantal huishoudens"], ["a_hh"]),
    _c("one_person_households", "kwb", "Eenpersoonshuishoudens", "aantal", ["Eenpersoonshuishoudens"],
       ["Eenpersoonshuishoudens"], ["a_1p_hh"]),
    _c("dwellings", "kwb", "Woningvoorraad", "aantal", ["Woningvoorraad"], ["Woningvoorraad"], ["a_woning"]),
    _c("woz_value", "kwb", "Gemiddelde WOZ-waarde van woningen", "x 1 000 euro",
       ["GemiddeldeWOZWaardeVanWoningen", "GemiddeldeWoningwaarde"],
       ["Gemiddelde WOZ-waarde van woningen", "Gemiddelde woningwaarde", "Gemiddelde WOZ-waarde"], ["g_wozbag"],
       breaks=[2024]),
    _c("corporation_share", "kwb", "Woningen in bezit van woningcorporaties", "%", ["InBezitWoningcorporatie"],
       ["In bezit woningcorporatie", "Woningen in bezit woningcorporatie"], ["p_wcorpw"], breaks=[2024]),
    _c("low_income_share", "kwb", "Huishoudens met een laag inkomen", "%", ["HuishoudensMetEenLaagInkomen"],
       ["Huishoudens met een laag inkomen"], ["p_hh_lkk"]),
    _c("social_minimum_share", "kwb", "Huishoudens onder of rond het sociaal minimum", "%",
       ["HuishOnderOfRondSociaalMinimum", "HuishoudensOnderOfRondSociaalMinimum"],
       ["Huish. onder of rond sociaal minimum", "Huishoudens onder of rond sociaal minimum"], ["p_hh_osm"]),
    _c("social_assistance", "kwb", "Personen met een bijstandsuitkering", "aantal",
       ["PersonenPerSoortUitkeringBijstand"], ["Personen per soort uitkering; Bijstand"], ["a_soz_wb"]),
    _c("land_area", "kwb", "Oppervlakte land", "ha", ["OppervlakteLand"],
       ["Oppervlakte land", "Oppervlakte land (hectaren)"], ["a_lan_ha"]),
    # land and water: a boundary change moves it, CBS's redrawing of its land/water line does not (Schildwolde,
    # WK195213: land 1,721 -> 1,567 ha as the Schildmeer was measured anew, total 1,780 ha in 2021, 2022 and 2024)
    _c("total_area", "kwb", "Oppervlakte totaal", "ha", ["OppervlakteTotaal"],
       ["Oppervlakte totaal", "Oppervlakte totaal (hectaren)"], ["a_opp_ha"], required=False),
    _c("urbanity", "kwb", "Mate van stedelijkheid (1 = zeer sterk, 5 = niet stedelijk)", "code",
       ["MateVanStedelijkheid"], ["Mate van stedelijkheid"], ["ste_mvs"], required=False),
    # CBS's own statement per code, relative to the table of the year before: 1 code and boundary unchanged,
    # 2 code changed but boundary unchanged, 3 boundary changed (see mgg_geo.data.vintages).
    _c("boundary_change", "kwb", "Indelingswijziging ten opzichte van het jaar ervoor", "code",
       ["IndelingswijzigingGemeenteWijkBuurt", "IndelingswijzigingWijkenEnBuurten"],
       ["Indelingswijziging gemeente, wijk, buurt", "Indelingswijziging wijken en buurten"], ["ind_wbi"],
       required=False),
)
#: Concepts that identify an area across indelingen (see :mod:`mgg_geo.data.vintages`).
FINGERPRINT_CONCEPTS = ("land_area", "total_area", "population", "households")

#: RIVM/GGD'en/CBS health concepts (dataderden.cbs.nl). The adult tables
#: (50090NED, 50120NED) give estimates per wijk and buurt; the young-adult
#: monitor 50140NED (16-25 years) only per gemeente.
HEALTH_CONCEPTS: tuple[Concept, ...] = (
    _c("lonely", "health", "Eenzaam", "%", ["Eenzaam"], ["Eenzaam"]),
    _c("severely_lonely", "health", "Ernstig tot zeer ernstig eenzaam", "%", ["ErnstigZeerErnstigEenzaam"],
       ["Ernstig/zeer ernstig eenzaam", "Ernstig zeer ernstig eenzaam"]),
    _c("anxiety_depression_high", "health", "Hoog risico op angststoornis of depressie", "%",
       ["HoogRisicoOpAngstOfDepressie"], ["Hoog risico op angst of depressie"]),
    _c("stress_high", "health", "Heel veel stress in de afgelopen 4 weken", "%",
       ["HeelVeelStressInAfgelopen4Weken"], ["(Heel) veel stress in afgelopen 4 weken"], required=False),
    _c("making_ends_meet", "health", "Moeite met rondkomen", "%", ["MoeiteMetRondkomen"], ["Moeite met rondkomen"]),
    _c("psych_complaints", "health", "Psychische klachten (MHI-5)", "%", ["PsychischeKlachten"],
       ["Psychische klachten (MHI-5<=60)", "Psychische klachten"], required=False),
    # Gezondheidsmonitor Jongvolwassenen (50140NED, 16-25 jaar, per gemeente)
    _c("ya_good_mental_health", "health", "Jongvolwassenen: goed ervaren mentale gezondheid", "%",
       ["GoedErvarenMentaleGezondheid"], required=False),
    _c("ya_anxiety_depression", "health", "Jongvolwassenen: angst- of depressiegevoelens (afgelopen 4 weken)", "%",
       ["AngstDepressiegevoelensAfg4Weken"], required=False),
    _c("ya_suicidal_thoughts", "health", "Jongvolwassenen: wel eens suïcidegedachten", "%",
       ["SuicidegedachtenWelEens"], required=False),
    _c("ya_stress", "health", "Jongvolwassenen: heel vaak gestrest", "%", ["HeelVaakGestrest"], required=False),
    _c("ya_lonely", "health", "Jongvolwassenen: enigszins tot sterk eenzaam", "%", ["EnigszinsTotSterkEenzaam"],
       required=False),
    _c("ya_strongly_lonely", "health", "Jongvolwassenen: sterk eenzaam", "%", ["SterkEenzaam"], required=False),
)

CONCEPTS: dict[str, Concept] = {c.key: c for c in KWB_CONCEPTS + HEALTH_CONCEPTS}
#: The GGD region of the province in the young-adult monitor: GGD Groningen, the ten municipalities.
PROVINCE_GGD = "GG0111"
#: The ages of the young-adult monitor (50140NED; years, both included): a target group of other ages gets no
#: young-adult section (review: reports for people of 65 and over showed it as theirs).
YOUNG_ADULT_AGES = (16.0, 25.0)
#: The figures of the young-adult monitor (50140NED, 16-25 years, per gemeente) the reports show, in order,
#: with +1 when a higher value is worse (more young people with the problem) and -1 when it is better.
YOUNG_ADULT_FIGURES: tuple[tuple[str, int], ...] = (
    ("ya_good_mental_health", -1), ("ya_anxiety_depression", +1), ("ya_suicidal_thoughts", +1), ("ya_stress", +1),
    ("ya_lonely", +1), ("ya_strongly_lonely", +1), ("making_ends_meet", +1),
)
#: Concepts whose presence marks a KWB table as carrying income figures.
INCOME_CONCEPTS = ("low_income_share", "social_minimum_share")


def normalise_title(title: object) -> str:
    """Fold a StatLine title or column header for comparison.

    Lower case, accents and non-breaking spaces removed, every run of other
    characters turned into one space: ``"Huish. onder of rond sociaal minimum\\xa0"``
    and ``"huish_onder_of_rond_sociaal_minimum"`` compare equal.
    """
    text = unicodedata.normalize("NFKD", str(title)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def strip_suffix(key: str) -> str:
    """Drop the per-edition numeric suffix of an OData key (``AantalInwoners_5`` -> ``AantalInwoners``)."""
    return re.sub(r"_\d+$", "", str(key).strip())


def match_columns(
    columns: list[str], concepts: tuple[Concept, ...], titles: dict[str, str] | None = None
) -> dict[str, str]:
    """Map concepts to the columns of a table.

    Parameters
    ----------
    columns
        Column names of the table: OData keys, kwb short names or StatLine titles.
    concepts
        The concepts to look for.
    titles
        Optional ``{column: Title}`` from the table's DataProperties.

    Returns
    -------
    dict
        ``{concept key: column}`` for every concept found; a concept is matched
        by kwb short name, then OData key prefix, then normalised title. Each
        column serves one concept at most.
    """
    titles = titles or {}
    by_short = {c.strip().lower(): c for c in columns}
    by_prefix: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for col in columns:
        by_prefix.setdefault(strip_suffix(col).lower(), col)
        by_title.setdefault(normalise_title(titles.get(col, col)), col)
        by_title.setdefault(normalise_title(col), col)
    found: dict[str, str] = {}
    used: set[str] = set()
    for concept in concepts:
        if not concept.is_percentage:  # a header that says "%" never serves a count or an average
            by_title_here = {t: c for t, c in by_title.items() if "%" not in c and "%" not in titles.get(c, "")}
        else:
            by_title_here = by_title
        candidates = (
            [by_short.get(k.lower()) for k in concept.kwb]
            + [by_prefix.get(k.lower()) for k in concept.odata]
            + [by_title_here.get(normalise_title(t)) for t in concept.titles]
        )
        for col in candidates:
            if col is not None and col not in used:
                found[concept.key] = col
                used.add(col)
                break
    return found


# --------------------------------------------------------------------------- indicators

DOMAINS: dict[str, str] = {
    "armoede": "Armoede",
    "wonen": "Wonen",
    "isolement": "Sociaal isolement",
    "mentale_gezondheid": "Mentale gezondheid",
    "demografie": "Demografie",
}


@dataclass(frozen=True)
class Indicator:
    """A need indicator: a concept with its domain and direction (+1: higher means more need, -1: less),
    label and unit (Dutch)."""
    key: str
    label: str  # Dutch
    domain: str | None  # a DOMAINS key; None for the target population
    direction: int  # +1: higher = more need; -1: higher = less need
    unit: str
    numerator: str  # a concept key
    denominator: str | None = None  # concept key; None: the concept itself
    factor: float = 1.0  # e.g. 100 for a percentage, 1000 for per 1,000
    #: What one unit of the figure is a share or average of (a concept key): the weight of an area when the figures
    #: of several are averaged, so that a municipality's figure is CBS's ratio over the whole municipality
    #: (households for a share of households, dwellings for the average WOZ-value, residents otherwise; for
    #: RIVM's figures for adults, residents only approximate the adults).
    base: str = "population"

    @property
    def concepts(self) -> tuple[str, ...]:
        """The concepts the indicator is computed from (itself, or its numerator and denominator)."""
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


def _i(key, label, domain, direction, unit, numerator, denominator=None, factor=1.0, base="population") -> Indicator:
    return Indicator(key, label, domain, direction, unit, numerator, denominator, factor, base)


INDICATORS: tuple[Indicator, ...] = (
    _i("low_income_share", "Huishoudens met een laag inkomen", "armoede", +1, "%", "low_income_share",
       base="households"),
    _i("social_minimum_share", "Huishoudens onder of rond het sociaal minimum", "armoede", +1, "%",
       "social_minimum_share", base="households"),
    _i("social_assistance_per_1000", "Personen met bijstand per 1.000 inwoners", "armoede", +1, "per 1.000 inwoners",
       "social_assistance", "population", 1000.0),
    _i("making_ends_meet", "Moeite met rondkomen (18+)", "armoede", +1, "%", "making_ends_meet"),
    _i("woz_value", "Gemiddelde WOZ-waarde (lager = meer behoefte)", "wonen", -1, "x 1.000 euro", "woz_value",
       base="dwellings"),
    _i("corporation_share", "Woningen van woningcorporaties", "wonen", +1, "%", "corporation_share",
       base="dwellings"),
    _i("one_person_share", "Eenpersoonshuishoudens", "isolement", +1, "%", "one_person_households", "households",
       100.0, base="households"),
    _i("lonely", "Eenzaam (18+)", "isolement", +1, "%", "lonely"),
    _i("severely_lonely", "Ernstig eenzaam (18+)", "isolement", +1, "%", "severely_lonely"),
    _i("anxiety_depression_high", "Hoog risico op angst of depressie (18+)", "mentale_gezondheid", +1, "%",
       "anxiety_depression_high"),
    _i("stress_high", "Heel veel stress (18+)", "mentale_gezondheid", +1, "%", "stress_high"),
    _i("share_65plus", "Inwoners van 65 jaar of ouder", "demografie", +1, "%", "pop_65plus", "population", 100.0),
)

INDICATOR_BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}


# --------------------------------------------------------------------------- target groups


def ages_meet(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two age ranges (years, both ends included) share some age: a target group and a source's or a
    programme's ages."""
    return a[0] <= b[1] and b[0] <= a[1]


@dataclass(frozen=True)
class TargetGroup:
    """Who the prevention effort is for: one choice that drives demand, need, supply and wording.

    Attributes
    ----------
    key
        Parameter value, e.g. ``jongeren``.
    label
        Dutch, as in running text ("jongeren van 0 tot 25 jaar").
    ages
        Inclusive age bounds in years; an initiative counts when its age
        range meets them.
    demand
        KWB population concepts (age bands) whose sum is the target
        population per area.
    indicators
        The need indicators that count for this group (keys of
        :data:`INDICATORS`): e.g. the share of residents aged 65+ is need for
        older people, not for young people.
    """

    key: str
    label: str
    ages: tuple[float, float]
    demand: tuple[str, ...]
    indicators: tuple[str, ...]

    def meets(self, ages: tuple[float, float]) -> bool:
        """Whether the group holds some of the ages ``ages`` (years, both included)."""
        return ages_meet(self.ages, ages)

    @property
    def need_indicators(self) -> tuple[Indicator, ...]:
        """The need indicators of this target group (:data:`INDICATORS` filtered by ``indicators``)."""
        return tuple(INDICATOR_BY_KEY[k] for k in self.indicators)


_ALL_BUT_AGE = tuple(i.key for i in INDICATORS if i.key != "share_65plus")
#: The target groups; Mentaal Gezond Groningen focuses first on young people.
TARGET_GROUPS: dict[str, TargetGroup] = {
    "jongeren": TargetGroup("jongeren", "jongeren van 0 tot 25 jaar", (0.0, 24.0), ("pop_0_14", "pop_15_24"),
                            _ALL_BUT_AGE),
    "jongvolwassenen": TargetGroup("jongvolwassenen", "jongeren van 15 tot 25 jaar", (15.0, 24.0), ("pop_15_24",),
                                   _ALL_BUT_AGE),
    "ouderen": TargetGroup("ouderen", "inwoners van 65 jaar of ouder", (65.0, 120.0), ("pop_65plus",),
                           tuple(i.key for i in INDICATORS)),
}
DEFAULT_TARGET_GROUP = "jongeren"


def target_group(key: str | TargetGroup | None) -> TargetGroup:
    """The :class:`TargetGroup` named ``key`` (None: the default, jongeren)."""
    from mgg_geo.errors import ParameterError

    if isinstance(key, TargetGroup):
        return key
    group = TARGET_GROUPS.get(str(key or DEFAULT_TARGET_GROUP).strip().lower())
    if group is None:
        raise ParameterError(f"target_group: unknown target group {key!r}; choose one of {', '.join(TARGET_GROUPS)}.")
    return group


def compute_indicators(frame: pd.DataFrame, indicators=INDICATORS) -> pd.DataFrame:
    """Compute indicator values (and their suppressed flags) from concept columns.

    A ratio is missing when its numerator or denominator is missing or the
    denominator is 0; it is flagged suppressed when an input was suppressed.
    Concepts that are absent altogether give an all-missing column that is not
    flagged suppressed (the source simply does not publish it).

    Parameters
    ----------
    frame
        Concept columns and ``<concept>__suppressed`` flags (see :mod:`mgg_geo.data.cbs`).

    Returns
    -------
    pandas.DataFrame
        One column per indicator plus ``<indicator>__suppressed``, same index.
    """
    out = {}
    for ind in indicators:
        num = _col(frame, ind.numerator)
        flag = _flag(frame, ind.numerator)
        if ind.denominator is None:
            value = num * ind.factor if ind.factor != 1.0 else num
        else:
            den = _col(frame, ind.denominator)
            value = (num / den.where(den != 0)) * ind.factor
            flag = flag | _flag(frame, ind.denominator)
        out[ind.key] = value.astype("float64")
        out[f"{ind.key}__suppressed"] = flag & value.isna()
    return pd.DataFrame(out, index=frame.index)


def _col(frame: pd.DataFrame, key: str) -> pd.Series:
    if key in frame:
        return pd.to_numeric(frame[key], errors="coerce")
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def _flag(frame: pd.DataFrame, key: str) -> pd.Series:
    col = f"{key}__suppressed"
    if col in frame:
        return frame[col].fillna(False).astype(bool)
    return pd.Series(False, index=frame.index)
