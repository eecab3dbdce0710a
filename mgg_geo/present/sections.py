"""The sections of the Dutch reports as text values: every figure worded and formatted, nothing computed.

Each builder takes the :class:`~mgg_geo.analysis.Analysis` (key figures,
what-if and everything else already computed) and a municipality code, and
returns :class:`Table` and :class:`Block` values: text cells, formatted by
:mod:`mgg_geo.present.fmt` and worded with :mod:`mgg_geo.present.labels`.
:func:`section` renders them through ``templates/blocks.html.j2`` (escaped).
:mod:`mgg_geo.present.reports` puts the sections together per report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mgg_geo.analysis import trends
from mgg_geo.analysis.chain import ORIGIN_STATUSES, Analysis
from mgg_geo.data import catalogue, regions
from mgg_geo.present import fmt, labels, maps, pages
from mgg_geo.present.pages import Html

#: Rows of the priority table shown in print (all rows are in the HTML, behind a toggle).
PRINT_ROWS = 10
#: Indicators of the section "Ontwikkeling".
TREND_INDICATORS = ("lonely", "anxiety_depression_high", "making_ends_meet", "population")
#: Names of the source kinds in the sources table.
SOURCE_NAMES = {"kwb": "CBS Kerncijfers wijken en buurten", "health": "RIVM/GGD'en/CBS Gezondheid per wijk en buurt",
                "boundaries": "CBS Wijk- en buurtkaart (gebiedsindeling)"}


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
    """One block of a section, rendered by ``templates/blocks.html.j2``: ``kind`` is ``p``, ``table``,
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


def no_sites_text(result: Analysis, figures: dict) -> str:
    """What the classes mean when the register has no physical site in the municipality ('' otherwise)."""
    if figures["sites_physical"]:
        return ""
    level = level_word(result)
    return (f"In het register staat geen enkele fysieke locatie in {figures['gemeente']}. De dekking van de "
            f"{level} komt daardoor alleen van locaties in buurgemeenten binnen {fmt.km(figures['reach_km'], 0)}; "
            f"waar die er niet zijn, hebben alle {level} lage dekking en onderscheiden de klassen de gebieden alleen "
            "naar behoefte.")


def summary_blocks(result: Analysis, code: str) -> list[Block]:
    """The plain-language summary on top of the report: who, how many are reached, where the gap is."""
    f = figures_of(result, code)
    group = target_of(result)
    parts = [f"In {f['gemeente']} wonen {fmt.number(f['target_population'])} {group.label} "
             f"({fmt.number(f['population'])} inwoners in totaal, verdeeld over {_areas(result, f['areas'])})."]
    if f["sites_physical"]:
        approx = (f" ({fmt.number(f['sites_approximate'])} daarvan bij benadering geplaatst)"
                  if f["sites_approximate"] else "")
        parts.append(f"Van hen woont {fmt.percent(f['target_within_reach_share'])} binnen "
                     f"{fmt.km(f['reach_km'], 0)} van een van de "
                     f"{fmt.count(f['sites_physical'], 'fysieke locatie', 'fysieke locaties')} met preventie-aanbod "
                     f"in het register{approx}.")
    else:
        parts.append(no_sites_text(result, f))
    if f["area_wide_offers"]:
        parts.append(f"Gemeentebreed aanbod, voor alle inwoners en zonder vaste locatie: "
                     f"{fmt.listing(f['area_wide_offers'])}. Dat aanbod telt niet mee in de afstand tot een locatie.")
    top = [t["name"] for t in f["top_priority"]]
    if f["areas_target_cell"]:
        verb = "heeft" if f["areas_target_cell"] == 1 else "hebben"
        text = _areas(result, f["areas_target_cell"])
        parts.append(f"{text[0].upper() + text[1:]} {verb} hoge behoefte en lage dekking; bovenaan de prioriteiten "
                     f"staan {fmt.listing(top)}.")
    elif top:
        parts.append(f"Geen enkel gebied heeft zowel hoge behoefte als lage dekking; bovenaan de prioriteiten staan "
                     f"{fmt.listing(top)}.")
    return [Block("summary", items=parts)]


def key_figures_table(figures: dict, level: str = "wijk") -> Table:
    """The key-figure table of one municipality."""
    plural = "wijken" if level == "wijk" else "buurten"
    small = figures["areas_small"]
    reach = fmt.km(figures["reach_km"], 0)
    rows = [
        ["Inwoners", fmt.number(figures["population"])],
        [f"Doelgroep ({catalogue.target_group(figures['target_group']).label})",
         fmt.number(figures["target_population"])],
        [f"Aantal {plural}", f"{fmt.number(figures['areas'])} (waarvan {fmt.number(figures['areas_ranked'])} "
                             "gerangschikt)"],
        ["Fysieke locaties met preventie-aanbod in het register",
         fmt.number(figures["sites_physical"]) + (f" (waarvan {fmt.number(figures['sites_approximate'])} bij "
                                                  "benadering geplaatst)" if figures["sites_approximate"] else "")],
        ["Gemeentebreed aanbod (zonder vaste locatie)", fmt.listing(figures["area_wide_offers"]) or "geen"],
        [f"Doelgroep binnen {reach} van een locatie (dekking)",
         fmt.percent(figures["target_within_reach_share"]) if figures["sites_physical"]
         or figures["target_within_reach"] else "0% (geen locatie binnen bereik)"],
        ["Mediane afstand tot de dichtstbijzijnde locatie", fmt.km(figures["median_nearest_km"])],
        [f"{plural.capitalize()} met hoge behoefte en lage dekking", fmt.number(figures["areas_target_cell"])],
    ]
    if small:
        rows.append([f"{plural.capitalize()} te klein om te rangschikken", fmt.listing(small)])
    if figures["areas_no_index"]:
        rows.append([f"{plural.capitalize()} zonder behoeftescore (onvoldoende gegevens)",
                     fmt.number(figures["areas_no_index"])])
    if figures["excluded_unknown_age"]:
        rows.append(["Initiatieven zonder leeftijdsbereik (niet meegeteld)",
                     fmt.number(figures["excluded_unknown_age"])])
    return Table(["Kerncijfer", "Waarde"], rows, f"Kerncijfers {figures['gemeente']}")


def origins_block(result: Analysis, code: str) -> list[Block]:
    """The note above the key figures when a source table comes from another indeling (empty otherwise): the
    evidence used in this municipality and how many areas got which label."""
    summary = figures_of(result, code)["origins"]
    if not summary["other"]:
        return []
    tables = " en ".join(
        f"{'de kerncijfers' if kind == 'kwb' else 'de gezondheidscijfers'} (tabel {m['table_id']}, {m['year']}, "
        f"indeling {m['indeling']})" for kind, m in summary["other"].items())
    counts, residents = summary["counts"], summary["residents"]
    parts = [f"{labels.STATUS_LABELS[status]}: {_areas(result, counts[status])} "
             f"({fmt.number(residents.get(status))} inwoners)"
             for status in ORIGIN_STATUSES if counts.get(status)]
    evidence = [labels.EVIDENCE[t] for t in summary.get("evidence", []) if t in labels.EVIDENCE]
    how = (f"Ze zijn per gebied omgezet met het sterkste bewijs dat er is; in deze gemeente: {fmt.listing(evidence)}."
           if evidence else "In deze gemeente veranderde geen grens: elk gebied heeft zijn eigen cijfers.")
    missing = summary["missing_names"]
    tail = f" Zonder cijfers: {fmt.listing(missing)}." if missing else ""
    text = (f"De kaarten tonen de {level_word(result)} van de indeling {summary['target']}. "
            f"{tables[0].upper() + tables[1:]} horen bij een oudere indeling. {how} Per gebied: {'; '.join(parts)}."
            f"{tail} Wat elk label betekent en de details per gebied staan onder Datakwaliteit.")
    return [Block("note", title="Let op: cijfers uit een andere gebiedsindeling.", text=text)]


# --------------------------------------------------------------------------- tables


def priority_blocks(result: Analysis, code: str, *, print_rows: int = PRINT_ROWS) -> list[Block]:
    """Every ranked area by priority; in print only the first ``print_rows`` (the total is stated)."""
    frame = result.priorities(code)
    rows = []
    for area, r in frame.iterrows():
        interval = (fmt.MISSING if pd.isna(r["rank_p05"])
                    else f"{fmt.number(r['rank_p05'])}–{fmt.number(r['rank_p95'])}")
        domain = catalogue.DOMAINS.get(r["leading_domain"], fmt.MISSING) if isinstance(r["leading_domain"], str) \
            else fmt.MISSING
        rows.append([fmt.number(r["priority"]), area, r["name"], fmt.number(r["need_index"], 2),
                     interval + (" (onzeker)" if r.get("rank_uncertain") else ""), domain, fmt.percent(r["reach"]),
                     fmt.km(r["nearest_km"]), fmt.number(r["n_3km"]), fmt.number(r["access_norm"], 2),
                     fmt.number(r["target_population"]), labels.gap_label(r["need_class"], r["coverage_class"])])
    classes = ["" if i < print_rows else "mgg-extra" for i in range(len(rows))]
    ranked_all = int(result.figures.loc[code, "areas_ranked_province"])  # ranks are the province's
    header = ["Prio\u00adriteit", "Code", "Gebied", "Behoefte-index", f"Rang van {fmt.number(ranked_all)} (90%)",
              "Leidend domein", "Dekking", "Afstand", "Loc. ≤ 3 km", "E2SFCA", "Doelgroep", "Klasse"]
    table = Table(header, rows, f"Prioriteiten {regions.MUNICIPALITIES[code]}: hoge behoefte en lage dekking eerst",
                  numeric=(0, 3, 6, 7, 8, 9, 10), row_classes=classes,
                  key="Rang (90%): plaats onder alle gerangschikte gebieden met het 90%-interval. Afstand: tot de "
                      "dichtstbijzijnde fysieke locatie. Loc. ≤ 3 km: locaties binnen 3 km. E2SFCA: bereikbaarheid "
                      "(1 = gemiddelde van de provincie).")
    blocks = [Block("details", title=f"Alle {fmt.number(len(rows))} gerangschikte gebieden", table=table)]
    if len(rows) > print_rows:
        blocks.append(_p(f"Afgedrukt: de eerste {fmt.number(print_rows)} van {fmt.number(len(rows))} gerangschikte "
                         "gebieden; de volledige lijst staat in de digitale versie.", "mgg-print-noot"))
    blocks.append(_p(
        f"Rang en interval: de rang is de plaats van het gebied onder alle {fmt.number(ranked_all)} gerangschikte "
        "gebieden van de provincie (1 = de hoogste behoefte). Omdat de keuze van gewichten en rekenmethode de volgorde "
        "beïnvloedt, is de berekening vele keren herhaald met andere keuzes; in 90% van die herhalingen viel de rang "
        "binnen het interval. Een breed interval (meer dan de helft van de lijst) heet onzeker. Leidend domein: het "
        "domein dat het meest bijdraagt aan de behoefte van het gebied. Dekking: het deel van de doelgroep dat binnen "
        "3 km van een fysieke locatie woont.", "mgg-uitleg"))
    unranked = result.areas[(result.areas["gemeente_code"] == code) & ~result.areas["ranked"]]
    if len(unranked):
        minimum = result.parameters["min_population"]
        blocks.append(Block("table", table=Table(
            ["Code", "Gebied", "Inwoners", "Waarom niet gerangschikt"],
            [[c, r["name"], fmt.number(r["population"]), labels.unranked(r["unranked"], minimum)]
             for c, r in unranked.iterrows()],
            "Gebieden op de kaart zonder plaats in de prioriteiten", numeric=(2,))))
    return blocks


def comparison_table(result: Analysis, code: str) -> Table:
    """Municipality against province: the resident-weighted mean of each need indicator (from the analysis)."""
    rows = []
    for r in result.comparison[result.comparison["gemeente_code"] == code].itertuples():
        ind = catalogue.INDICATOR_BY_KEY[r.indicator]
        rows.append([catalogue.DOMAINS[ind.domain], ind.label, ind.unit, fmt.number(r.value, 1),
                     fmt.number(r.province, 1), fmt.number(r.missing) if r.missing else ""])
    return Table(["Domein", "Indicator", "Eenheid", regions.MUNICIPALITIES[code], "Provincie",
                  "Gebieden zonder cijfer"], rows, "Vergelijking met de provincie (gewogen naar inwoners)",
                 numeric=(3, 4, 5))


def whatif_blocks(result: Analysis, code: str, figure: maps.Figure | None = None) -> list[Block]:
    """The suggested new sites of one municipality (computed by the analysis), before and after."""
    group = target_of(result)
    sites = result.whatif_sites[result.whatif_sites["gemeente_code"] == code]
    w = result.whatif.loc[code]
    reach = fmt.km(w["reach_m"] / 1000, 0)
    blocks = [Block("figure", figure=figure)] if figure is not None else []
    if len(sites):
        rows = [[fmt.number(r["step"]), r["name"], r["area_name"], fmt.number(r["new_population"]),
                 fmt.number(r["areas_reached"])] for _, r in sites.iterrows()]
        blocks.append(Block("table", table=Table(
            ["Stap", "Nieuwe locatie in de buurt van", level_word(result, False).capitalize(),
             f"Extra {group.key} binnen {reach}", "Gebieden met meer dekking"], rows,
            f"Voorstel: {fmt.count(len(rows), 'nieuwe locatie', 'nieuwe locaties')}", numeric=(0, 3, 4))))
    if w["reason"]:
        why = labels.WHATIF_REASONS[w["reason"]].format(target=group.key, reach=reach)
        lead = "Er is geen nieuwe locatie voorgesteld" if not len(sites) else "Meer locaties voegen niets toe"
        blocks.append(_p(f"{lead}: {why}."))
    blocks.append(_p(
        f"Nu wonen {fmt.number(w['before_population_within'])} {group.key} ({fmt.percent(w['before_share_within'])}) "
        f"binnen {reach} van een locatie; met de voorgestelde locaties zijn dat er "
        f"{fmt.number(w['after_population_within'])} ({fmt.percent(w['after_share_within'])}). Het aantal "
        f"{level_word(result)} met hoge behoefte en lage dekking gaat van "
        f"{fmt.number(w['before_areas_high_need_low_coverage'])} naar "
        f"{fmt.number(w['after_areas_high_need_low_coverage'])}. Bereik telt per buurt: een wijk komt deels binnen "
        "bereik als een deel van haar buurten dat doet."))
    return blocks


def quality_blocks(result: Analysis, code: str) -> list[Block]:
    """The data-quality section: suppressed figures, conversions, the residents check, supply caveats."""
    areas = result.areas[result.areas["gemeente_code"] == code]
    figures = figures_of(result, code)
    blocks = []
    if not figures["sites_physical"]:
        blocks.append(_p(no_sites_text(result, figures)))
    suppressed = [[catalogue.INDICATOR_BY_KEY[k].label, fmt.number(n)] for k, n in figures["suppressed"].items()]
    if suppressed:
        blocks.append(Block("table", table=Table(
            ["Indicator", "Gebieden met geheimgehouden of onbekend cijfer"], suppressed,
            "Door CBS/RIVM niet gepubliceerde cijfers (telt als ontbrekend, nooit als 0)", numeric=(1,))))
    changes = result.quality[(result.quality["report_gemeente"] == code) & (result.quality["problem"] != "totals")]
    if len(changes):
        texts = [labels.quality_issue(r) for r in changes.itertuples()]
        blocks.append(Block("table", table=Table(
            ["Code", "Gebied", "Bron", "Wat er met de cijfers is gebeurd", "Inwoners"],
            [[r.code, r.name if isinstance(r.name, str) else "", r.source, text, fmt.number(r.residents)]
             for r, text in zip(changes.itertuples(), texts, strict=True)],
            "Cijfers die door een indelingswijziging zijn omgezet, geschat of ontbreken", numeric=(4,))))
        keys = {labels.quality_key(r) for r in changes.itertuples()}
        used = [key for key in labels.ORIGINS if key in keys]
        blocks.append(Block("table", table=Table(
            ["Label", "Betekenis"], [[key, labels.ORIGINS[key]] for key in used],
            "Betekenis van de labels (het sterkste bewijs gaat voor: grenzen of de indelingswijziging van CBS, dan "
            "de overlap van de grenzen, dan CBS-cijfers per gebied, als laatste het gemiddelde van de voormalige "
            "gemeenten)")))
    for _, t in result.totals[result.totals.index == code].iterrows():
        verdict = "binnen de afronding van CBS" if t["ok"] else "groter dan de afronding van CBS"
        blocks.append(_p(
            f"Controle: de {_areas(result, len(areas))} tellen op tot {fmt.number(t['areas'])} inwoners; CBS noemt "
            f"{fmt.number(t['gemeente'])} voor de gemeente ({t['source']}). Het verschil van "
            f"{fmt.number(abs(t['difference']))} is {verdict}."))
    sites = result.sites[result.sites["gemeente_code"] == code]
    rough = sites[sites["placement"].isin(maps.APPROXIMATE)]
    if len(rough):
        blocks.append(Block("table", table=Table(
            ["Initiatief", "Programma", "Plaatsing"],
            [[r["name"], r["programme"], labels.PLACEMENTS.get(r["placement"], r["placement"])]
             for _, r in rough.iterrows()],
            "Initiatieven met een benaderde locatie (op de kaart één open symbool met een aantal)")))
    excluded = result.excluded[result.excluded["gemeente_code"] == code] if len(result.excluded) else result.excluded
    if len(excluded):
        blocks.append(Block("table", table=Table(
            ["Initiatief", "Programma"], [[r["name"], r["programme"]] for _, r in excluded.iterrows()],
            "Initiatieven zonder leeftijdsbereik: niet meegeteld voor de doelgroep (de parameter "
            "include_unknown_ages telt ze wel mee)")))
    if not blocks:
        blocks.append(_p("Geen bijzonderheden in de gegevens van deze gemeente."))
    return blocks


def trends_blocks(result: Analysis, code: str, figure: maps.Figure | None = None) -> list[Block]:
    """The section "Ontwikkeling": change per area between the latest two vintages, on today's areas."""
    areas = result.areas[result.areas["gemeente_code"] == code]
    changes = result.changes[result.changes["gemeente_code"] == code]
    if changes.empty:
        return [_p("Er zijn geen twee jaargangen van dezelfde cijfers beschikbaar; een ontwikkeling is niet te geven.")]
    shown = [i for i in TREND_INDICATORS if i in set(changes["indicator"])]
    header, rows = ["Gebied"], {c: [areas.at[c, "name"]] for c in areas.index}
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
            rows[c].append(f"{values}: {labels.VERDICTS[r['verdict']]}" + (" *" if r["estimated"] else ""))
    notes = [f"Gezondheidscijfers (RIVM) zijn schattingen: een verschil van {fmt.number(trends.HEALTH_THRESHOLD)} "
             "procentpunt of minder telt als geen duidelijke verandering.",
             f"Inwoners: een verschil van {fmt.number(trends.COUNT_THRESHOLD)} personen of minder, of minder dan "
             f"{fmt.percent(trends.COUNT_SHARE)}, telt als geen duidelijke verandering (CBS rondt af op 5).",
             *(["* Beide jaren zijn op dezelfde manier geschat uit de overlap van de grenzen; het verschil is dat "
                "van die schatting."] if changes["estimated"].any() else []),
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


def sources_blocks(result: Analysis) -> list[Block]:
    """Every source table by its id, with vintage, indeling and dates; the columns used; the attribution lines."""
    rows, used = [], []
    for kind, m in result.sources.items():
        live = m.get("origin") == "live"
        where = m.get("source_url") or Path(m.get("source_file", "")).name
        rows.append([SOURCE_NAMES.get(kind, kind), source_id(kind, m), str(m.get("year", "")),
                     str(m.get("indeling", m.get("year", ""))),
                     fmt.date(m.get("modified")) if m.get("modified") else "niet vermeld in het bestand",
                     f"{'gedownload' if live else 'geïmporteerd'} op {fmt.date(m.get('retrieved_at'))}"])
        columns = [f"{catalogue.CONCEPTS[k].label} ({v['column']})" for k, v in m.get("columns", {}).items()
                   if k in catalogue.CONCEPTS]
        used.append(f"{source_id(kind, m)} ({'adres' if live else 'bestand'}: {where})"
                    + (f": {'; '.join(columns)}." if columns else "."))
    table = Table(["Bron", "Tabel", "Jaar", "Indeling", "Gewijzigd door CBS", "Opgehaald"], rows,
                  "Bronnen van de cijfers")
    kwb, health, bounds = (result.sources.get(k, {}) for k in ("kwb", "health", "boundaries"))
    lines = [
        f"Bron: CBS, {kwb.get('title') or 'Kerncijfers wijken en buurten'} (tabel {source_id('kwb', kwb)}, "
        f"{kwb.get('year')}), licentie CC BY 4.0. CBS onderschrijft dit rapport niet.",
        f"Kaarten: Kadaster / Centraal Bureau voor de Statistiek, {source_id('boundaries', bounds)}; "
        "gegeneraliseerde grenzen, voor weergave vereenvoudigd.",
    ]
    if health:
        lines.append(f"Gezondheidscijfers: RIVM/GGD'en/CBS, Gezondheidsmonitor Volwassenen en Ouderen "
                     f"{health.get('year')} (tabel {source_id('health', health)}); modelmatige schattingen, geen "
                     "metingen.")
    lines.append("Initiatieven: register van Mentaal Gezond Groningen (data/initiatives/register.csv), opgebouwd uit "
                 "openbare bronnen; per initiatief staat de bron in het register. Dit is gedocumenteerd aanbod: "
                 "ontbreken in het register betekent niet dat er geen preventie is.")
    return [Block("table", table=table), _p("Gebruikte kolommen per tabel:", "mgg-bronnen"),
            Block("list", items=used, cls="mgg-bronnen"), _p("Naamsvermelding:", "mgg-bronnen"),
            Block("list", items=lines, cls="mgg-bronnen")]


def source_id(kind: str, manifest: dict) -> str:
    """The id of a source table: the CBS table id, or for boundaries the PDOK dataset with its year."""
    table = manifest.get("table_id")
    if kind == "boundaries" and (not table or not str(table).endswith("NED")):
        return f"PDOK gebiedsindelingen / CBS Wijk- en buurtkaart {manifest.get('year', '')}".strip()
    return str(table) if table else "onbekende tabel"


def parameters_table(result: Analysis) -> Table:
    """The parameters of the run, in Dutch."""
    p = result.parameters
    group = target_of(result)
    weights = ", ".join(f"{catalogue.DOMAINS[d].lower()} {fmt.number(w, 2)}" for d, w in p["weights"].items())
    points = {"buurt": "buurten, gewogen naar hun doelgroep",
              "buurt_equal": "buurten, even zwaar (geen inwonertallen per buurt beschikbaar)",
              "area": "één punt per gebied"}[p["points"]]
    rows = [["Gebiedsniveau", p["level"]], ["Doelgroep", f"{group.label} ({group.key})"],
            ["Standaardisatie", "z-score" if p["method"] == "zscore" else "rangpercentiel"],
            ["Domeingewichten", weights],
            ["Gevoeligheidsanalyse", f"{fmt.number(p['draws'])} trekkingen (seed {p['seed']})"],
            ["Klassengrenzen", "over de hele provincie" if p.get("class_breaks", "provincie") == "provincie"
             else "per gemeente"],
            ["Minimum aantal inwoners om te rangschikken", fmt.number(p["min_population"])],
            ["Initiatieven zonder leeftijdsbereik", "meegeteld" if p["include_unknown_ages"] else "niet meegeteld"],
            ["Dekking gemeten vanaf", points], ["Bereik (dekking en voorstel)", fmt.km(p["reach_m"] / 1000, 0)],
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
        domains.setdefault(catalogue.DOMAINS[ind.domain].lower(), []).append(ind.label.split(" (")[0].lower())
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
        minimum=fmt.number(p["min_population"]), reach=fmt.km(p["reach_m"] / 1000, 0), points=points,
        unknown="wel mee" if p["include_unknown_ages"] else "niet mee", breaks=breaks)


# --------------------------------------------------------------------------- index page


def index_table(entries: list[dict]) -> Table:
    """The table of the index page: one row per municipality report with its key figures."""
    rows = []
    for e in sorted(entries, key=lambda x: x["gemeente_code"]):
        f = e.get("figures") or {}
        rows.append([Link(e["href"], str(f.get("gemeente", e["gemeente_code"]))), e["gemeente_code"],
                     fmt.number(f.get("population")), fmt.number(f.get("target_population")),
                     fmt.number(f.get("areas")), fmt.number(f.get("sites_physical")),
                     fmt.listing(f.get("area_wide_offers") or []) or "geen", fmt.number(f.get("areas_target_cell")),
                     fmt.percent(f.get("target_within_reach_share"))])
    return Table(["Gemeente", "Code", "Inwoners", "Doelgroep", "Gebieden", "Fysieke locaties", "Gemeentebreed aanbod",
                  "Hoge behoefte, lage dekking", "Doelgroep binnen 3 km"], rows, numeric=(2, 3, 4, 5, 7, 8))


@dataclass(frozen=True)
class Link:
    """A table cell that links to another page (``href`` relative; both escaped when rendered)."""

    href: str
    text: str

    def __html__(self) -> str:
        from markupsafe import escape

        return f'<a href="{escape(self.href)}">{escape(self.text)}</a>'
