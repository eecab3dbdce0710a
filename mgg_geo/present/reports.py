"""Dutch report content: every section of the municipality report and the province overview, and the index.

Notebooks call these helpers and display what they return (HTML strings
wrapped in :class:`Html`). Nothing here computes a figure: the analysis
(:mod:`mgg_geo.analysis`) has done that; this module words and formats it
(numbers through :mod:`mgg_geo.present.fmt`, words from :mod:`mgg_geo.present.labels`). Every
value that came from data (names, labels) is HTML-escaped here.

Key figures travel from each notebook run to the index page through a JSON
sidecar (``reports/data/<code>.json``, written atomically by
:func:`write_sidecar`), never by scraping HTML.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from mgg_geo.analysis import trends
from mgg_geo.analysis.chain import Analysis
from mgg_geo.data import cache, catalogue, regions
from mgg_geo.present import fmt, labels

#: Rows of the priority table shown in print (all rows are in the HTML, behind a toggle).
PRINT_ROWS = 10


class Html(str):
    """HTML that Jupyter (and so nbconvert) renders as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def _table(header: list[str], rows: list[list], caption: str = "", cls: str = "mgg-tabel",
           row_classes: list[str] | None = None) -> Html:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        f"<tr{' class=' + chr(34) + row_classes[i] + chr(34) if row_classes and row_classes[i] else ''}>"
        + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for i, r in enumerate(rows))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return Html(f'<table class="{cls}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def _p(text: str) -> Html:
    return Html(f"<p>{html.escape(text)}</p>")


def _level(result: Analysis, plural: bool = True) -> str:
    wijk = result.parameters["level"] == "wijk"
    return ("wijken" if wijk else "buurten") if plural else ("wijk" if wijk else "buurt")


def _group(result: Analysis) -> catalogue.TargetGroup:
    return catalogue.target_group(result.parameters["target_group"])


# --------------------------------------------------------------------------- key figures


def figures_of(result: Analysis, gemeente: str) -> dict:
    """The key figures of one municipality as computed by the analysis (plain values, JSON-safe)."""
    code = regions.resolve_municipality(gemeente)
    row = result.figures.loc[code]

    def plain(value):
        value = value.item() if isinstance(value, np.generic) else value
        return None if isinstance(value, float) and np.isnan(value) else value

    return {"gemeente_code": code, **{k: plain(v) for k, v in row.items()}}


def no_sites_text(result: Analysis, figures: dict) -> str:
    """What the gap classes mean when the register has no physical site in the municipality ('' otherwise)."""
    if figures["sites_physical"]:
        return ""
    level = _level(result)
    return (f"In het register staat geen enkele fysieke locatie in {figures['gemeente']}. De dekking van de "
            f"{level} komt daardoor alleen van locaties in buurgemeenten binnen "
            f"{fmt.number(figures['reach_km'])} km; waar die er niet zijn, hebben alle {level} lage dekking en "
            "onderscheiden de klassen de gebieden alleen naar behoefte.")


def summary_html(result: Analysis, gemeente: str) -> Html:
    """Plain-language summary on top of the report: who, how many reached, where the gap is."""
    f = figures_of(result, gemeente)
    group = _group(result)
    level = _level(result)
    parts = [f"In {f['gemeente']} wonen {fmt.number(f['target_population'])} {group.label} "
             f"({fmt.number(f['population'])} inwoners in totaal, {fmt.count(f['areas'], _level(result, False), level)})."]
    if f["sites_physical"]:
        approx = f" ({f['sites_approximate']} daarvan bij benadering geplaatst)" if f["sites_approximate"] else ""
        parts.append(f"{fmt.percent(f['target_within_reach_share'])} van hen woont binnen "
                     f"{fmt.number(f['reach_km'])} km van een van de "
                     f"{fmt.count(f['sites_physical'], 'fysieke locatie', 'fysieke locaties')} met preventie-aanbod "
                     f"in het register{approx}.")
    else:
        parts.append(no_sites_text(result, f))
    if f["area_wide_offers"]:
        parts.append(f"Gemeentebreed aanbod, voor alle inwoners zonder vaste locatie: "
                     f"{fmt.listing(f['area_wide_offers'])}. Dat telt niet als afstand tot een locatie.")
    top = [t["name"] for t in f["top_priority"]]
    if f["areas_target_cell"]:
        parts.append(f"{fmt.count(f['areas_target_cell'], _level(result, False), level).capitalize()} "
                     f"{'heeft' if f['areas_target_cell'] == 1 else 'hebben'} hoge behoefte en lage dekking; "
                     f"bovenaan de prioriteiten staan {fmt.listing(top)}.")
    elif top:
        parts.append(f"Geen enkel gebied heeft zowel hoge behoefte als lage dekking; bovenaan de prioriteiten "
                     f"staan {fmt.listing(top)}.")
    return Html("<div class='mgg-samenvatting'>" + "".join(f"<p>{html.escape(p)}</p>" for p in parts) + "</div>")


def key_figures_html(figures: dict, level: str = "wijk") -> Html:
    """The key-figure table of one municipality."""
    plural = "wijken" if level == "wijk" else "buurten"
    small = figures["areas_small"]
    rows = [
        ["Inwoners", fmt.number(figures["population"])],
        [f"Doelgroep ({catalogue.target_group(figures['target_group']).label})",
         fmt.number(figures["target_population"])],
        [f"Aantal {plural}", f"{figures['areas']} (waarvan {figures['areas_ranked']} gerangschikt)"],
        ["Fysieke locaties met preventie-aanbod in het register",
         f"{figures['sites_physical']}" + (f" (waarvan {figures['sites_approximate']} bij benadering geplaatst)"
                                           if figures["sites_approximate"] else "")],
        ["Gemeentebreed aanbod (zonder vaste locatie)", fmt.listing(figures["area_wide_offers"]) or "geen"],
        [f"Doelgroep binnen {fmt.number(figures['reach_km'])} km van een locatie (dekking)",
         fmt.percent(figures["target_within_reach_share"]) if figures["sites_physical"] or
         figures["target_within_reach"] else "0% (geen locatie in de gemeente)"],
        ["Mediane afstand tot de dichtstbijzijnde locatie", fmt.km(figures["median_nearest_km"])],
        [f"{plural.capitalize()} met hoge behoefte en lage dekking", figures["areas_target_cell"]],
    ]
    if small:
        rows.append([f"{plural.capitalize()} te klein om te rangschikken", fmt.listing(small)])
    if figures["areas_no_index"]:
        rows.append([f"{plural.capitalize()} zonder behoeftescore (onvoldoende gegevens)", figures["areas_no_index"]])
    if figures["excluded_unknown_age"]:
        rows.append(["Initiatieven zonder leeftijdsbereik (niet meegeteld)", figures["excluded_unknown_age"]])
    return _table(["Kerncijfer", "Waarde"], rows, f"Kerncijfers {figures['gemeente']}")


def write_sidecar(path: str | Path, figures: dict) -> Path:
    """Write key figures as JSON, atomically (the channel from a notebook run to the index)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.write_json_atomic(path, figures)
    return path


# --------------------------------------------------------------------------- tables


def priority_table(result: Analysis, gemeente: str, *, print_rows: int = PRINT_ROWS) -> Html:
    """Every ranked area by priority; in print only the first ``print_rows`` (the total is stated)."""
    code = regions.resolve_municipality(gemeente)
    frame = result.priorities(code)
    n_total = int(result.areas["ranked"].sum())
    rows, classes = [], []
    for area, r in frame.iterrows():
        interval = "–" if pd.isna(r["rank_p05"]) else f"{r['rank_p05']:.0f}–{r['rank_p95']:.0f}"
        rows.append([int(r["priority"]), area, r["name"], fmt.number(r["need_index"], 2),
                     interval + (" (onzeker)" if r.get("rank_uncertain") else ""),
                     catalogue.DOMAINS.get(r["leading_domain"], "–") if isinstance(r["leading_domain"], str) else "–",
                     fmt.percent(r["reach"]), fmt.km(r["nearest_km"]), fmt.number(r["n_3km"], 1),
                     fmt.number(r["access_norm"], 2), fmt.number(r["target_population"]),
                     labels.gap_label(r["need_class"], r["coverage_class"])])
        classes.append("" if len(rows) <= print_rows else "mgg-extra")
    header = ["Prioriteit", "Code", "Gebied", "Behoefte-index", f"Rang van {n_total} (90%-interval)",
              "Leidend domein", "Dekking", "Afstand tot locatie", "Locaties ≤ 3 km", "Bereikbaarheid (E2SFCA)",
              "Doelgroep", "Klasse"]
    table = _table(header, rows, f"Prioriteiten {regions.MUNICIPALITIES[code]}: hoge behoefte en lage dekking eerst",
                   row_classes=classes)
    shown = min(len(rows), print_rows)
    note = (f"<p class='mgg-print-noot'>Afgedrukt: de eerste {shown} van {len(rows)} gerangschikte gebieden; de "
            "volledige lijst staat in de digitale versie.</p>") if len(rows) > print_rows else ""
    explain = (f"<p class='mgg-uitleg'>Rang en interval: de rang is de plaats van het gebied onder alle {n_total} "
               "gerangschikte gebieden van het analysegebied (1 = de hoogste behoefte). Omdat de keuze van gewichten "
               "en rekenmethode de volgorde beïnvloedt, is de berekening vele keren herhaald met andere keuzes; in "
               "90% van die herhalingen viel de rang binnen het interval. Een breed interval (meer dan de helft van "
               "de lijst) heet onzeker. Leidend domein: het domein dat het meest bijdraagt aan de behoefte van het "
               "gebied. Dekking: het deel van de doelgroep dat binnen 3 km van een fysieke locatie woont.</p>")
    unranked = result.areas[(result.areas["gemeente_code"] == code) & ~result.areas["ranked"]]
    rest = ""
    if len(unranked):
        minimum = result.parameters["min_population"]
        rest = _table(["Code", "Gebied", "Inwoners", "Waarom niet gerangschikt"],
                      [[c, r["name"], fmt.number(r["population"]), labels.unranked(r["unranked"], minimum)]
                       for c, r in unranked.iterrows()],
                      "Gebieden op de kaart zonder plaats in de prioriteiten")
    return Html(f"<details class='mgg-lijst' open><summary>Alle {len(rows)} gerangschikte gebieden</summary>"
                f"{table}</details>{note}{explain}{rest}")


def indicator_table(result: Analysis, gemeente: str) -> Html:
    """Municipality vs province: population-weighted mean of each need indicator of the target group."""
    code = regions.resolve_municipality(gemeente)
    areas = result.areas
    weight = areas["population"].fillna(0) if "population" in areas else pd.Series(1.0, index=areas.index)
    rows = []
    for ind in _group(result).need_indicators:
        if ind.key not in areas:
            continue
        values = areas[ind.key]
        ok = values.notna() & (weight > 0)
        mine = ok & (areas["gemeente_code"] == code)
        prov = np.average(values[ok], weights=weight[ok]) if ok.any() else np.nan
        here = np.average(values[mine], weights=weight[mine]) if mine.any() else np.nan
        missing = int((values.isna() & (areas["gemeente_code"] == code)).sum())
        rows.append([catalogue.DOMAINS[ind.domain], ind.label, ind.unit, fmt.number(here, 1), fmt.number(prov, 1),
                     missing if missing else ""])
    return _table(["Domein", "Indicator", "Eenheid", regions.MUNICIPALITIES[code], "Provincie",
                   "Gebieden zonder cijfer"], rows, "Vergelijking met de provincie (gewogen naar inwoners)")


def whatif_html(result: Analysis, gemeente: str) -> Html:
    """The suggested new sites of one municipality (computed by the analysis) with before and after."""
    code = regions.resolve_municipality(gemeente)
    group = _group(result)
    sites = result.whatif_sites[result.whatif_sites["gemeente_code"] == code]
    w = result.whatif.loc[code]
    reach = fmt.number(w["reach_m"] / 1000)
    parts = []
    if len(sites):
        rows = [[int(r["step"]), r["name"], r["area_name"], fmt.number(r["new_population"]), r["areas_reached"]]
                for _, r in sites.iterrows()]
        parts.append(_table(["Stap", "Nieuwe locatie in de buurt van", _level(result, False).capitalize(),
                             f"Extra {group.key} binnen {reach} km", "Gebieden met meer dekking"], rows,
                            f"Voorstel: {fmt.count(len(rows), 'nieuwe locatie', 'nieuwe locaties')}"))
    if w["reason"]:
        why = labels.WHATIF_REASONS[w["reason"]].format(target=group.key, reach=reach)
        lead = "Er is geen nieuwe locatie voorgesteld" if not len(sites) else "Meer locaties voegen niets toe"
        parts.append(_p(f"{lead}: {why}."))
    parts.append(_p(
        f"Nu wonen {fmt.number(w['before_population_within'])} {group.key} ({fmt.percent(w['before_share_within'])}) "
        f"binnen {reach} km van een locatie; met de voorgestelde locaties {fmt.number(w['after_population_within'])} "
        f"({fmt.percent(w['after_share_within'])}). Het aantal {_level(result)} met hoge behoefte en lage dekking gaat "
        f"van {int(w['before_areas_high_need_low_coverage'])} naar {int(w['after_areas_high_need_low_coverage'])}. "
        "Bereik telt per buurt: een wijk komt deels binnen bereik als een deel van haar buurten dat doet."))
    return Html("".join(parts))


def _mine(frame: pd.DataFrame, code: str, result: Analysis) -> pd.DataFrame:
    """Rows of ``frame`` (with ``gemeente_code``) of municipality ``code`` or the municipalities it was formed from."""
    target = result.sources["boundaries"].get("indeling", result.sources["boundaries"]["year"])
    olds = {code} | {old for m in result.sources.values() for old in
                     regions.predecessors(code, m.get("indeling", target), target)}
    return frame[frame["gemeente_code"].isin(olds)]


_RANK = {"missing": 3, "estimated": 2, "converted": 1}


def vintage_summary(result: Analysis, gemeente: str) -> dict:
    """How the areas of one municipality got their figures: counts and residents per status.

    Each area counts once, by its worst status over the source tables
    (missing, then estimated, then converted; otherwise its own figures).
    """
    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    quality = _mine(result.quality, code, result)
    status = quality[quality["problem"].isin(list(_RANK))].assign(rank=lambda q: q["problem"].map(_RANK))
    worst = status.sort_values("rank").groupby("code")["problem"].last().reindex(areas.index).fillna("own")
    residents = areas["population"] if "population" in areas else pd.Series(np.nan, index=areas.index)
    target = result.sources["boundaries"].get("indeling", result.sources["boundaries"]["year"])
    other = {k: m for k, m in result.sources.items() if k != "boundaries" and m.get("indeling", target) != target}
    return {"target": target, "other": other,
            "counts": worst.value_counts().to_dict(),
            "residents": residents.groupby(worst).sum().to_dict(),
            "missing_names": [str(n) for n in areas.loc[worst[worst == "missing"].index, "name"]]}


def vintage_note(result: Analysis, gemeente: str) -> Html:
    """The short note above the key figures when any table comes from another indeling (empty otherwise)."""
    summary = vintage_summary(result, gemeente)
    if not summary["other"]:
        return Html("")
    level = _level(result)
    tables = " en ".join(
        f"{'de kerncijfers' if kind == 'kwb' else 'de gezondheidscijfers'} ({m.get('table_id')}, "
        f"{m['year']}, indeling {m.get('indeling')})" for kind, m in summary["other"].items())
    counts, residents = summary["counts"], summary["residents"]
    parts = []
    for status, text in (("own", "met eigen cijfers (grens ongewijzigd, gecontroleerd)"),
                         ("converted", "met de cijfers van hun vorige code of naam"),
                         ("estimated", "met geschatte cijfers (gesplitst, samengevoegd of grens gewijzigd)"),
                         ("missing", "zonder een deel van de cijfers")):
        if counts.get(status):
            parts.append(f"{fmt.count(counts[status], _level(result, False), level)} {text} "
                         f"({fmt.number(residents.get(status))} inwoners)")
    missing = summary["missing_names"]
    tail = f" Zonder cijfers: {fmt.listing(missing)}." if missing else ""
    text = (f"De kaarten tonen de {level} van {summary['target']}. {tables[0].upper() + tables[1:]} horen bij een "
            f"oudere indeling en zijn omgezet op basis van CBS-cijfers per gebied (oppervlakte, inwoners, "
            f"huishoudens). In deze gemeente: {'; '.join(parts)}.{tail} Details staan onder Datakwaliteit.")
    return Html("<div class='mgg-let-op'><p><strong>Let op: cijfers uit een andere gebiedsindeling.</strong> "
                f"{html.escape(text)}</p></div>")


def quality_html(result: Analysis, gemeente: str) -> Html:
    """The data-quality section: suppressed figures, conversions, the residents check, supply caveats."""
    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    figures = figures_of(result, code)
    parts = []
    if not figures["sites_physical"]:
        parts.append(_p(no_sites_text(result, figures)))
    suppressed = [[catalogue.INDICATOR_BY_KEY[k].label, int(areas[f"{k}__suppressed"].sum())]
                  for k in catalogue.INDICATOR_BY_KEY if f"{k}__suppressed" in areas
                  and areas[f"{k}__suppressed"].sum()]
    if suppressed:
        parts.append(_table(["Indicator", "Gebieden met geheimgehouden/onbekend cijfer"], suppressed,
                            "Door CBS/RIVM niet gepubliceerde cijfers (telt als ontbrekend, nooit als 0)"))
    changes = _mine(result.quality, code, result)
    changes = changes[changes["problem"] != "totals"]
    if len(changes):
        parts.append(_table(["Code", "Gebied", "Bron", "Wat er met de cijfers is gebeurd", "Inwoners"],
                            [[r.code, r.name if isinstance(r.name, str) else "", r.source, labels.quality_issue(r),
                              fmt.number(r.residents)] for r in changes.itertuples()],
                            "Cijfers die door een indelingswijziging zijn omgezet, geschat of ontbreken"))
    for _, t in result.totals[result.totals.index == code].iterrows():
        verdict = "binnen de afronding van CBS" if t["ok"] else "groter dan de afronding van CBS"
        parts.append(_p(f"Controle: de {fmt.count(len(areas), _level(result, False), _level(result))} tellen op tot "
                        f"{fmt.number(t['areas'])} inwoners; CBS noemt {fmt.number(t['gemeente'])} voor de "
                        f"gemeente ({t['source']}). Het verschil van {fmt.number(abs(t['difference']))} is {verdict}."))
    sites = result.sites[result.sites["gemeente_code"] == code]
    rough = sites[sites["placement"].isin(["town", "area"])]
    if len(rough):
        parts.append(_table(["Initiatief", "Programma", "Plaatsing"],
                            [[r["name"], r["programme"], labels.PLACEMENTS.get(r["placement"], r["placement"])]
                             for _, r in rough.iterrows()],
                            "Initiatieven met een benaderde locatie (op de kaart als één punt met een aantal)"))
    excluded = result.excluded[result.excluded["gemeente_code"] == code] if len(result.excluded) else result.excluded
    if len(excluded):
        parts.append(_table(["Initiatief", "Programma"], [[r["name"], r["programme"]] for _, r in excluded.iterrows()],
                            "Initiatieven zonder leeftijdsbereik: niet meegeteld voor de doelgroep "
                            "(parameter include_unknown_ages telt ze wel mee)"))
    if not parts:
        parts.append(_p("Geen bijzonderheden in de gegevens van deze gemeente."))
    return Html("".join(parts))


TREND_INDICATORS = ("lonely", "anxiety_depression_high", "making_ends_meet", "population")


def trends_html(result: Analysis, gemeente: str) -> Html:
    """The section "Ontwikkeling": change per area between the latest two vintages, on today's areas."""
    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    changes = result.changes[result.changes["gemeente_code"] == code]
    if changes.empty:
        return _p("Er zijn geen twee jaargangen van dezelfde cijfers beschikbaar; een ontwikkeling is niet te geven.")
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
                rows[c].append("–")
                continue
            r = part.loc[c]
            text = (f"{fmt.number(r['first'], decimals)} → {fmt.number(r['last'], decimals)} "
                    f"({fmt.signed(r['change'], decimals, unit)}): {labels.VERDICTS[r['verdict']]}")
            rows[c].append(text + (" *" if r["estimated"] else ""))
    table = _table(header, list(rows.values()), f"Ontwikkeling per gebied, {regions.MUNICIPALITIES[code]}")
    notes = [f"Gezondheidscijfers (RIVM) zijn schattingen: een verschil van {fmt.number(trends.HEALTH_THRESHOLD)} "
             "procentpunt of minder telt als geen duidelijke verandering.",
             f"Inwoners: een verschil van {fmt.number(trends.COUNT_THRESHOLD)} personen of minder, of minder dan "
             f"{fmt.percent(trends.COUNT_SHARE)}, telt als geen duidelijke verandering (CBS rondt af op 5).",
             "* omgerekend naar de huidige gebieden met een schatting (gesplitst, samengevoegd of grens gewijzigd).",
             "Alle jaargangen zijn eerst omgezet naar de gebiedsindeling van de kaarten; cijfers waarvan de "
             "definitie tussen de jaren veranderde, worden niet vergeleken."]
    if not any(i in set(changes["indicator"]) for i in ("low_income_share", "social_minimum_share")):
        years = sorted(result.series.loc[result.series["indicator"] == "low_income_share", "year"].unique())
        notes.append("Inkomenscijfers zijn van één jaargang beschikbaar"
                     + (f" ({', '.join(map(str, years))})" if years else "") + "; een ontwikkeling is niet te geven.")
    return Html(table + "<ul class='mgg-noten'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")


def sources_html(result: Analysis) -> Html:
    """Every source table by its id, with vintage, indeling and dates, and the attribution lines."""
    rows = []
    names = {"kwb": "CBS Kerncijfers wijken en buurten", "health": "RIVM/GGD'en/CBS Gezondheid per wijk en buurt",
             "boundaries": "CBS gebiedsindeling (PDOK)"}
    for kind, m in result.sources.items():
        where = m.get("source_url") or Path(m.get("source_file", "")).name
        columns = ", ".join(f"{catalogue.CONCEPTS[k].label} ({v['column']})" for k, v in m.get("columns", {}).items()
                            if k in catalogue.CONCEPTS)
        rows.append([names.get(kind, kind), m.get("table_id") or "", m.get("year"), m.get("indeling", m.get("year")),
                     fmt.date(m.get("modified")), fmt.date(m.get("retrieved_at")),
                     "download" if m.get("origin") == "live" else "handmatig geïmporteerd", where, columns])
    table = _table(["Bron", "Tabel", "Jaargang", "Indeling", "Gewijzigd (CBS)", "Opgehaald", "Route",
                    "Adres/bestand", "Gebruikte kolommen"], rows, "Bronnen van de cijfers")
    kwb, health, bounds = (result.sources.get(k, {}) for k in ("kwb", "health", "boundaries"))
    lines = [
        f"Bron: CBS, {kwb.get('title') or 'Kerncijfers wijken en buurten'} (tabel {kwb.get('table_id')}), licentie "
        "CC BY 4.0. CBS onderschrijft dit rapport niet.",
        f"Kaarten: Kadaster / Centraal Bureau voor de Statistiek, {bounds.get('year', '')}; gegeneraliseerde grenzen, "
        "voor weergave vereenvoudigd (bij de voorbeeldbestanden: vereenvoudigd door cartomap/nl).",
    ]
    if health:
        lines.append(f"Gezondheidscijfers: RIVM/GGD'en/CBS, Gezondheidsmonitor Volwassenen en Ouderen "
                     f"{health.get('year')} (tabel {health.get('table_id')}); modelmatige schattingen, geen metingen.")
    lines.append("Initiatieven: register van Mentaal Gezond Groningen (data/initiatives/register.csv), opgebouwd uit "
                 "openbare bronnen; per initiatief staat de bron in het register. Dit is gedocumenteerd aanbod: "
                 "ontbreken in het register betekent niet dat er geen preventie is.")
    return Html(table + "<ul class='mgg-bronnen'>" + "".join(f"<li>{html.escape(t)}</li>" for t in lines) + "</ul>")


def parameters_html(result: Analysis) -> Html:
    """The parameters of the run, in Dutch."""
    p = result.parameters
    group = _group(result)
    weights = ", ".join(f"{catalogue.DOMAINS[d].lower()} {fmt.number(w, 2)}" for d, w in p["weights"].items())
    points = {"buurt": "buurten, gewogen naar hun doelgroep", "buurt_equal": "buurten, even zwaar (geen inwonertallen "
              "per buurt beschikbaar)", "area": "één punt per gebied"}[p["points"]]
    rows = [["Gebiedsniveau", p["level"]], ["Doelgroep", f"{group.label} ({group.key})"],
            ["Standaardisatie", "z-score" if p["method"] == "zscore" else "rangpercentiel"],
            ["Domeingewichten", weights], ["Gevoeligheidsanalyse", f"{p['draws']} trekkingen (seed {p['seed']})"],
            ["Minimum aantal inwoners om te rangschikken", fmt.number(p["min_population"])],
            ["Initiatieven zonder leeftijdsbereik", "meegeteld" if p["include_unknown_ages"] else "niet meegeteld"],
            ["Dekking gemeten vanaf", points], ["Bereik (dekking en voorstel)", fmt.km(p["reach_m"] / 1000, 0)],
            ["Leeftijdsgroep gezondheidscijfers", p["age_group"]], ["Peildatum register", fmt.date(p["reference_date"])],
            ["Register", Path(p["register"]).name], ["Gemaakt op", fmt.when(p["generated_at"])]]
    return _table(["Parameter", "Waarde"], rows, "Parameters en generatietijd")


METHOD_TEXT = """
<h3>Doelgroep</h3>
<p>Dit rapport gaat over {group}. Die keuze bepaalt alles hieronder: hoeveel mensen per gebied tellen, welke cijfers
de behoefte meten, en welke initiatieven meetellen (alleen initiatieven waarvan het leeftijdsbereik de doelgroep
raakt{unknown}).</p>
<h3>Behoefte</h3>
<p>Per {level} combineren we openbare cijfers over {indicators}. Elk cijfer wordt zo gericht dat hoger meer behoefte
betekent en binnen de provincie gestandaardiseerd (hoeveel standaardafwijkingen boven of onder het gemiddelde). Per
domein nemen we het gemiddelde; de domeinen tellen {weights}. Ontbreekt een cijfer, dan rekenen we met de cijfers die
er wel zijn; een {level} met minder dan drie cijfers of twee domeinen krijgt geen score ("onvoldoende gegevens"). De
gezondheidscijfers zijn schattingen van RIVM/GGD'en/CBS die deels op inkomen zijn gebaseerd; armoede telt daardoor
mogelijk dubbel mee. Gebieden met minder dan {minimum} inwoners staan wel op de kaart maar krijgen geen plaats in de
prioriteiten: voor zulke kleine gebieden publiceert CBS de meeste inkomens- en huishoudcijfers niet.</p>
<h3>Onzekerheid</h3>
<p>De keuze van gewichten en rekenmethode beïnvloedt de volgorde. Daarom herhalen we de berekening {draws} keer met
willekeurige gewichten en methode. Het interval in de prioriteitentabel laat zien tussen welke plaatsen een gebied in
90% van de herhalingen uitkomt. Een breed interval (meer dan de helft van de ranglijst) heet "onzeker".</p>
<h3>Dekking</h3>
<p>We onderscheiden twee soorten aanbod. Een <em>fysieke locatie</em> (een school, een jongerencentrum, een inloop)
heeft een plek op de kaart. <em>Gemeentebreed aanbod</em> (zoals KoPPeLing in de gemeente Groningen) staat open voor
alle inwoners van een gemeente maar heeft geen plek; het staat apart vermeld en telt niet als afstand. De
<strong>dekking</strong> van een gebied is het deel van de doelgroep dat binnen {reach} km (hemelsbreed) van een
fysieke locatie woont. We meten dat vanaf {points}; zo komt een wijk deels binnen bereik als een deel van haar buurten
dat doet. Lage dekking is minder dan een derde, hoge dekking minstens twee derde. Dezelfde maat kleurt de kaart, bepaalt
de klassen en de prioriteiten, en telt in het voorstel voor nieuwe locaties. Daarnaast tonen we, onder hun eigen naam,
de afstand tot de dichtstbijzijnde locatie, het aantal locaties binnen 1, 3 en 5 km (zoals de CBS
Nabijheidsstatistiek) en de bereikbaarheid volgens de E2SFCA-methode (aanbod gedeeld door de doelgroep in de omgeving,
met minder gewicht naarmate de afstand groter is; 1 = provinciaal gemiddelde). Afstanden over de weg zijn groter dan in
rechte lijn.</p>
<h3>Tekort aan dekking</h3>
<p>Behoefte wordt in drie even grote groepen verdeeld (laag, midden, hoog), dekking in de drie vaste klassen hierboven.
De combinatie geeft negen klassen; "hoge behoefte, lage dekking" is waar een nieuwe inspanning het meest oplevert.
Binnen de gemeente volgt de prioriteit uit de klasse en daarna de behoefte-index. Het voorstel voor nieuwe locaties
kiest stap voor stap de buurt die de meeste {group_short} in gebieden met hoge behoefte binnen {reach} km brengt.</p>
"""


def method_html(result: Analysis) -> Html:
    """The method text in plain Dutch, filled in with this run's choices."""
    p = result.parameters
    group = _group(result)
    equal = len(set(round(w, 6) for w in p["weights"].values())) == 1
    domains = {}
    for ind in group.need_indicators:
        domains.setdefault(catalogue.DOMAINS[ind.domain].lower(), []).append(ind.label.split(" (")[0].lower())
    indicators = fmt.listing([f"{d} ({', '.join(v)})" for d, v in domains.items()])
    points = {"buurt": "de buurten binnen elk gebied, gewogen naar hun doelgroep",
              "buurt_equal": "de buurten binnen elk gebied (even zwaar: er zijn geen inwonertallen per buurt)",
              "area": "één punt binnen elk gebied"}[p["points"]]
    return Html(METHOD_TEXT.format(
        group=html.escape(group.label), group_short=html.escape(group.key), level=_level(result, False),
        indicators=html.escape(indicators), weights="even zwaar" if equal else "mee volgens de gekozen gewichten",
        draws=p["draws"], minimum=fmt.number(p["min_population"]), reach=fmt.number(p["reach_m"] / 1000),
        points=points, unknown="; initiatieven zonder leeftijdsbereik tellen mee" if p["include_unknown_ages"]
        else "; initiatieven zonder leeftijdsbereik tellen niet mee"))


# --------------------------------------------------------------------------- index page

INDEX_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}h1{font-size:1.6em}table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.fout{color:#a00}.klein{color:#555;font-size:.9em}@media print{a{color:#000;text-decoration:none}}
"""


def index_html(entries: list[dict], failures: list[dict], *, overview: str | None, generated: str) -> str:
    """The index page: one row per municipality report with its key figures, and every failure."""
    rows = []
    for e in sorted(entries, key=lambda x: x["gemeente_code"]):
        f = e.get("figures") or {}
        rows.append(
            f"<tr><td><a href=\"{html.escape(e['href'])}\">{html.escape(str(f.get('gemeente', e['gemeente_code'])))}"
            f"</a></td><td>{html.escape(e['gemeente_code'])}</td><td>{fmt.number(f.get('population'))}</td>"
            f"<td>{fmt.number(f.get('target_population'))}</td><td>{f.get('areas', '–')}</td>"
            f"<td>{f.get('sites_physical', '–')}</td>"
            f"<td>{html.escape(fmt.listing(f.get('area_wide_offers') or []) or 'geen')}</td>"
            f"<td>{f.get('areas_target_cell', '–')}</td>"
            f"<td>{fmt.percent(f.get('target_within_reach_share'))}</td></tr>")
    failed = "".join(f"<li class='fout'>{html.escape(x['gemeente_code'])} {html.escape(x.get('gemeente', ''))}: "
                     f"{html.escape(x['error'])}</li>" for x in failures)
    overview_link = (f"<p><a href=\"{html.escape(overview)}\">Provinciaal overzicht: alle tien gemeenten naast "
                     "elkaar</a></p>") if overview else ""
    return f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mentaal Gezond Groningen – rapporten dekking preventie</title><style>{INDEX_CSS}</style></head><body>
<h1>Waar is de volgende preventie-inspanning het meest nodig?</h1>
<p>Rapporten per gemeente van Mentaal Gezond Groningen: behoefte, dekking door preventie-initiatieven en de
gebieden met hoge behoefte en lage dekking. Gemaakt op {html.escape(generated)}.</p>
{overview_link}
<table><thead><tr><th>Gemeente</th><th>Code</th><th>Inwoners</th><th>Doelgroep</th><th>Gebieden</th>
<th>Fysieke locaties</th><th>Gemeentebreed aanbod</th><th>Hoge behoefte, lage dekking</th>
<th>Doelgroep binnen 3 km</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{('<h2>Niet gelukt</h2><ul>' + failed + '</ul>') if failures else ''}
<p class="klein">Bronnen: CBS (CC BY 4.0), RIVM/GGD'en/CBS, Kadaster / Centraal Bureau voor de Statistiek;
initiatievenregister van Mentaal Gezond Groningen. Elk rapport vermeldt tabellen, jaargangen en kolommen.</p>
</body></html>
"""


def today() -> str:
    """Now, in Dutch with the time zone."""
    return fmt.when()


# --------------------------------------------------------------------------- report objects for the notebooks


class _Report:
    """Sections every report has: method, sources and parameters."""

    result: Analysis

    def method(self) -> Html:
        return method_html(self.result)

    def sources(self) -> Html:
        return sources_html(self.result)

    def parameters(self) -> Html:
        return parameters_html(self.result)


class MunicipalityReport(_Report):
    """Everything the municipality notebook shows, one method per section (all Dutch, all escaped)."""

    def __init__(self, result: Analysis, gemeente: str):
        self.result = result
        self.code = regions.resolve_municipality(gemeente)
        self.name = regions.MUNICIPALITIES[self.code]
        self.areas = result.areas[result.areas["gemeente_code"] == self.code]
        self.sites = result.sites[result.sites.intersects(self.areas.geometry.union_all().buffer(5000))]
        self.year = result.sources["boundaries"]["year"]

    def title(self) -> Html:
        health = self.result.sources.get("health")
        return Html(f"<h1>Preventie in {html.escape(self.name)}: waar is de volgende inspanning het meest nodig?</h1>"
                    f"<p class='mgg-ondertitel'>Rapport van Mentaal Gezond Groningen per {_level(self.result, False)}"
                    f" · gegevens: KWB {self.result.sources['kwb']['year']}, "
                    f"{'RIVM ' + str(health['year']) + ', ' if health else ''}"
                    f"grenzen {self.year} · gemaakt op {html.escape(today())}</p>")

    def summary(self) -> Html:
        return summary_html(self.result, self.code)

    def map_link(self, output_dir: str = "") -> Html:
        """A link to this municipality's interactive map page (written by the batch next to the report)."""
        if not output_dir:
            return Html("")
        return Html(f"<p class='mgg-kaartlink'><a href=\"kaarten/{self.code}.html\">Open de interactieve kaart van "
                    f"{html.escape(self.name)}</a> (werkt ook zonder internet; een achtergrondkaart kan erbij als "
                    "er internet is).</p>")

    def key_figures(self) -> Html:
        """The key figures, preceded by a note when figures come from another indeling."""
        return Html(vintage_note(self.result, self.code)
                    + key_figures_html(figures_of(self.result, self.code), self.result.parameters["level"]))

    def need_map(self):
        from mgg_geo.present import maps
        return maps.choropleth(self.areas, "need_index", title=f"Behoefte-index per {_level(self.result, False)}",
                               legend_title="Behoefte-index (hoger = meer behoefte)", decimals=2, year=self.year,
                               bins=self.result.map_breaks.get("need_index"),
                               caption="Grijs: geen gegevens (te weinig cijfers voor een score).")

    def coverage_map(self):
        from mgg_geo.present import maps
        return maps.coverage_map(self.areas, sites=self.sites, year=self.year,
                                 title=f"Dekking: {_group(self.result).key} binnen 3 km van een locatie")

    def gap_map(self):
        from mgg_geo.present import maps
        return maps.bivariate(self.areas, title="Behoefte tegen dekking", year=self.year, sites=self.sites,
                              caption="Linksboven in de legenda: hoge behoefte en lage dekking, de plek voor een "
                                      "nieuwe inspanning. Gearceerd: niet gerangschikt.")

    def priorities(self) -> Html:
        return priority_table(self.result, self.code)

    def comparison(self) -> Html:
        return indicator_table(self.result, self.code)

    def what_if(self) -> Html:
        from mgg_geo.present import maps

        sites = self.result.whatif_sites[self.result.whatif_sites["gemeente_code"] == self.code]
        effect = self.result.whatif_areas[self.result.whatif_areas["gemeente_code"] == self.code]
        figure = maps.whatif_map(self.areas, effect, sites, existing=self.sites, year=self.year).html \
            if len(sites) else ""
        return Html(figure + whatif_html(self.result, self.code))

    def quality(self) -> Html:
        return quality_html(self.result, self.code)

    def trends(self) -> Html:
        """Section "Ontwikkeling": a slope chart of loneliness and a table of changes per area."""
        from mgg_geo.present import maps

        chart = ""
        series = self.result.series[self.result.series["code"].isin(self.areas.index)]
        if (series["indicator"] == "lonely").any():
            chart = maps.slope_chart(series, self.result.changes, self.areas["name"], indicator="lonely",
                                     title="Eenzaam (18+), per gebied").html
        return Html(chart + trends_html(self.result, self.code))

    def write_outputs(self, output_dir: str | Path, *, interactive: bool = True) -> dict:
        """Key-figure sidecar (``data/<code>.json``) and, if asked, the interactive map (``kaarten/``)."""
        out = Path(output_dir)
        figures = figures_of(self.result, self.code)
        if interactive:
            from mgg_geo.present import webmap
            webmap.save_map(self.interactive_map(), out / "kaarten" / f"{self.code}.html")
            figures["interactive_map"] = f"kaarten/{self.code}.html"
        write_sidecar(out / "data" / f"{self.code}.json", figures)
        return figures

    def interactive_map(self):
        """The interactive map of need, with coverage and class in the tooltips (offline, see mgg_geo.present.webmap)."""
        from mgg_geo.present import webmap
        tooltip = {"need_index": ("Behoefte-index", 2, ""), "reach": ("Dekking", "percent", ""),
                   "nearest_km": ("Afstand tot locatie", 1, "km"), "gap_label": ("Klasse", None, ""),
                   "low_income_share": ("Laag inkomen", 1, "%"), "lonely": ("Eenzaam (18+)", 1, "%")}
        areas = self.areas.assign(gap_label=[labels.gap_label(n, c) for n, c in
                                             zip(self.areas["need_class"], self.areas["coverage_class"], strict=True)])
        return webmap.interactive(areas, "need_index", legend_title="Behoefte-index", tooltip=tooltip,
                                  sites=self.sites, year=self.year, bins=self.result.map_breaks.get("need_index"),
                                  title=f"Kaart {self.name} – Mentaal Gezond Groningen")


class ProvinceReport(_Report):
    """The province overview: the 10 municipalities side by side."""

    def __init__(self, result: Analysis):
        self.result = result
        self.year = result.sources["boundaries"]["year"]

    def title(self) -> Html:
        return Html("<h1>Preventie in de provincie Groningen: de tien gemeenten naast elkaar</h1>"
                    f"<p class='mgg-ondertitel'>Mentaal Gezond Groningen · gemaakt op {html.escape(today())}</p>")

    def ranking(self) -> Html:
        rows = []
        for code in self.result.figures.index:
            f = figures_of(self.result, code)
            areas = self.result.areas[self.result.areas["gemeente_code"] == code]
            rows.append((f, areas["need_index"].mean()))
        rows.sort(key=lambda r: (-r[0]["areas_target_cell"], -(r[1] if r[1] == r[1] else -9)))
        body = [[i + 1, f["gemeente"], fmt.number(f["target_population"]), f["areas"], f["sites_physical"],
                 fmt.listing(f["area_wide_offers"]) or "geen", f["areas_target_cell"], fmt.number(mean, 2),
                 fmt.percent(f["target_within_reach_share"])] for i, (f, mean) in enumerate(rows)]
        return _table(["#", "Gemeente", "Doelgroep", "Gebieden", "Fysieke locaties", "Gemeentebreed aanbod",
                       "Hoge behoefte, lage dekking", "Gem. behoefte-index", "Doelgroep binnen 3 km"], body,
                      "Gemeenten gerangschikt naar het aantal gebieden met hoge behoefte en lage dekking")

    def gap_counts(self) -> Html:
        areas = self.result.areas
        classes = [f"{n}-{c}" for n in (3, 2, 1) for c in (1, 2, 3)]
        body = []
        for code in self.result.figures.index:
            counts = areas.loc[areas["gemeente_code"] == code, "gap_class"].value_counts()
            body.append([regions.MUNICIPALITIES[code]] + [int(counts.get(c, 0)) for c in classes]
                        + [int(counts.get("", 0))])
        header = ["Gemeente"] + [labels.gap_label(int(c[0]), int(c[2])) for c in classes] + ["Niet gerangschikt"]
        return _table(header, body, "Aantal gebieden per klasse (behoefte, dekking)")

    def small_multiples(self):
        from mgg_geo.present import maps
        return maps.small_multiples(self.result.areas, year=self.year)

