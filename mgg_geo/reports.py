"""Dutch report content: key figures, tables, method and source texts, key-figure sidecars, the index page.

Notebooks call these helpers and display what they return (HTML strings
wrapped in :class:`Html`). Every value that came from data (names, labels)
is HTML-escaped here.

Key figures travel from each notebook run to the index page through a JSON
sidecar (``reports/data/<code>.json``, written atomically by
:func:`write_sidecar`), never by scraping HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import cache, catalogue, gap, labels, regions
from .analysis import Analysis
from .coverage import target_population
from .initiatives import PLACEMENT_LABELS



class Html(str):
    """HTML that Jupyter (and so nbconvert) renders as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def _num(value, decimals: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    text = f"{value:,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return text + unit


def _table(header: list[str], rows: list[list], caption: str = "", cls: str = "mgg-tabel") -> Html:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return Html(f'<table class="{cls}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


# --------------------------------------------------------------------------- key figures


def key_figures(result: Analysis, gemeente: str) -> dict:
    """Key figures of one municipality (plain numbers, for the report and the index)."""
    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    youth = target_population(areas)
    sites = result.register.active
    within = youth[areas["nearest_km"] <= result.whatif.distance_m / 1000.0].sum()
    return {
        "gemeente_code": code,
        "gemeente": regions.MUNICIPALITIES[code],
        "level": result.parameters["level"],
        "areas": int(len(areas)),
        "population": float(areas["population"].sum()) if "population" in areas else None,
        "youth": float(youth.sum()),
        "initiatives": int((sites["gemeente_code"] == code).sum()),
        "areas_target_cell": int((areas["gap_class"] == gap.TARGET_CLASS).sum()),
        "areas_no_index": int(areas["need_index"].isna().sum()),
        "youth_within_reach_share": float(within / youth.sum()) if youth.sum() else None,
        "reach_km": result.whatif.distance_m / 1000.0,
        "median_nearest_km": float(areas["nearest_km"].median()),
        "top_priority": [{"code": c, "name": str(n)} for c, n in
                         result.priorities(code, top=3)["name"].items()],
        "generated_at": result.parameters["generated_at"],
    }


def key_figures_html(figures: dict) -> Html:
    level = "wijken" if figures["level"] == "wijk" else "buurten"
    rows = [
        ["Inwoners", _num(figures["population"], 0)],
        ["Jongeren 0 tot 25 jaar", _num(figures["youth"], 0)],
        [f"Aantal {level}", figures["areas"]],
        ["Preventie-initiatieven in het register (actief)", figures["initiatives"]],
        [f"{level.capitalize()} met hoge behoefte en lage dekking", figures["areas_target_cell"]],
        [f"Jongeren binnen {_num(figures['reach_km'], 0)} km van een initiatief",
         _num(None if figures["youth_within_reach_share"] is None else 100 * figures["youth_within_reach_share"],
              0, " %")],
        ["Mediane afstand tot het dichtstbijzijnde initiatief", _num(figures["median_nearest_km"], 1, " km")],
        [f"{level.capitalize()} zonder behoeftescore (onvoldoende gegevens)", figures["areas_no_index"]],
    ]
    return _table(["Kerncijfer", "Waarde"], rows, f"Kerncijfers {figures['gemeente']}")


def write_sidecar(path: str | Path, figures: dict) -> Path:
    """Write key figures as JSON, atomically (the channel from a notebook run to the index)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.write_json_atomic(path, figures)
    return path


# --------------------------------------------------------------------------- tables


def priority_table(result: Analysis, gemeente: str, top: int = 10) -> Html:
    code = regions.resolve_municipality(gemeente)
    frame = result.priorities(code, top=top)
    rows = []
    for area, r in frame.iterrows():
        interval = "–" if pd.isna(r["rank_p05"]) else f"{r['rank_p05']:.0f}–{r['rank_p95']:.0f}"
        rows.append([int(r["priority"]), area, r["name"], _num(r["need_index"], 2), interval
                     + (" (onzeker)" if r.get("rank_uncertain") else ""),
                     _num(r["nearest_km"], 1, " km"), int(r["n_3km"]), _num(r["access_norm"], 2),
                     _num(r["youth_0_14"] + r["youth_15_24"] if pd.notna(r["youth_0_14"]) else np.nan, 0),
                     r["gap_label"]])
    n = int(result.areas["need_index"].notna().sum())
    return _table(["Prioriteit", "Code", "Gebied", "Behoefte-index", f"Rang (5–95 %, van {n})", "Afstand",
                   "Initiatieven ≤ 3 km", "Bereikbaarheid (1 = gemiddeld)", "Jongeren 0–24", "Klasse"], rows,
                  f"Prioriteiten {regions.MUNICIPALITIES[code]}: hoge behoefte en lage dekking eerst")


def indicator_table(result: Analysis, gemeente: str) -> Html:
    """Municipality vs province: population-weighted mean of each indicator."""
    code = regions.resolve_municipality(gemeente)
    areas = result.areas
    weight = areas["population"].fillna(0) if "population" in areas else pd.Series(1.0, index=areas.index)
    rows = []
    for ind in catalogue.INDICATORS:
        if ind.key not in areas:
            continue
        values = areas[ind.key]
        ok = values.notna() & (weight > 0)
        mine = ok & (areas["gemeente_code"] == code)
        prov = np.average(values[ok], weights=weight[ok]) if ok.any() else np.nan
        here = np.average(values[mine], weights=weight[mine]) if mine.any() else np.nan
        missing = int((values.isna() & (areas["gemeente_code"] == code)).sum())
        rows.append([catalogue.DOMAINS[ind.domain], ind.label, ind.unit, _num(here), _num(prov),
                     missing if missing else ""])
    return _table(["Domein", "Indicator", "Eenheid", regions.MUNICIPALITIES[code], "Provincie",
                   "Gebieden zonder cijfer"], rows, "Vergelijking met de provincie (gewogen naar inwoners)")


def coverage_sites(result: Analysis):
    """The initiatives that count for coverage in this analysis (active, age range met)."""
    from .coverage import select_sites

    return select_sites(result.register.initiatives, ages=tuple(result.parameters["target_ages"]))


def whatif_table(result: Analysis, gemeente: str, k: int = 3) -> tuple[Html, dict]:
    """Best new sites within one municipality and the before/after figures."""
    code = regions.resolve_municipality(gemeente)
    sites = coverage_sites(result)
    outcome = gap.what_if(result.areas, sites, k=k, distance_m=result.whatif.distance_m,
                          scope=(result.areas["gemeente_code"] == code).to_numpy())
    rows = [[int(r["step"]), r["code"], r["name"], _num(r["new_population"], 0), int(r["areas_reached"])]
            for _, r in outcome.chosen.iterrows()]
    table = _table(["Stap", "Code", "Gebied (nieuwe locatie)", "Extra jongeren binnen bereik", "Gebieden bereikt"],
                   rows, f"Voorstel: {len(rows)} nieuwe locatie(s) binnen {_num(outcome.distance_m / 1000, 0)} km")
    return table, {"before": outcome.before, "after": outcome.after, "chosen": outcome.chosen}


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
    level = "wijken" if result.parameters["level"] == "wijk" else "buurten"
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
            noun = level if counts[status] != 1 else level.removesuffix("en")
            parts.append(f"{counts[status]} {noun} {text} ({_num(residents.get(status), 0)} inwoners)")
    missing = summary["missing_names"]
    tail = f" Zonder cijfers: {html.escape(', '.join(missing))}." if missing else ""
    return Html(f"<div class='mgg-let-op'><p><strong>Let op: cijfers uit een andere gebiedsindeling.</strong> "
                f"De kaarten tonen de {level} van {summary['target']}. {tables[0].upper() + tables[1:]} horen bij een "
                f"oudere indeling en zijn omgezet op basis van CBS-cijfers per gebied (oppervlakte, inwoners, "
                f"huishoudens). In deze gemeente: {'; '.join(parts)}.{tail} Details staan onder Datakwaliteit.</p>"
                "</div>")


def quality_html(result: Analysis, gemeente: str) -> Html:
    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    parts = []
    suppressed = [[catalogue.INDICATOR_BY_KEY[k].label, int(areas[f"{k}__suppressed"].sum())]
                  for k in catalogue.INDICATOR_BY_KEY if f"{k}__suppressed" in areas
                  and areas[f"{k}__suppressed"].sum()]
    if suppressed:
        parts.append(_table(["Indicator", "Gebieden met geheimgehouden/onbekend cijfer"], suppressed,
                            "Door CBS/RIVM niet gepubliceerde cijfers (telt als ontbrekend, nooit als 0)"))
    mine = _mine(result.quality, code, result)
    changes = mine[mine["problem"] != "totals"]
    if len(changes):
        parts.append(_table(["Code", "Gebied", "Bron", "Wat er met de cijfers is gebeurd", "Inwoners"],
                            [[r.code, r.name if isinstance(r.name, str) else "", r.source, labels.quality_issue(r),
                              _num(r.residents, 0)] for r in changes.itertuples()],
                            "Cijfers die door een indelingswijziging zijn omgezet, geschat of ontbreken"))
    totals = result.totals[result.totals.index == code]
    for gm, t in totals.iterrows():
        verdict = "binnen de afronding van CBS" if t["ok"] else "groter dan de afronding van CBS: zie hierboven"
        parts.append(Html(f"<p>Controle: de {areas.shape[0]} gebieden tellen op tot {_num(t['areas'], 0)} inwoners; "
                          f"CBS noemt {_num(t['gemeente'], 0)} voor de gemeente ({html.escape(str(t['source']))}). "
                          f"Het verschil van {_num(abs(t['difference']), 0)} is {verdict}.</p>"))
    reg = result.register.initiatives
    here = reg[reg["gemeente_code"] == code]
    rough = here[here["placement"].isin(["town", "area"])]
    if len(rough):
        parts.append(_table(["Initiatief", "Programma", "Plaatsing"],
                            [[r["name"], r["programme"], PLACEMENT_LABELS.get(r["placement"], r["placement"])]
                             for _, r in rough.iterrows()], "Initiatieven met een benaderde locatie"))
    if not parts:
        parts.append(Html("<p>Geen bijzonderheden in de gegevens van deze gemeente.</p>"))
    return Html("".join(parts))


TREND_INDICATORS = ("lonely", "anxiety_depression_high", "making_ends_meet", "population")


def trends_html(result: Analysis, gemeente: str) -> Html:
    """The section "Ontwikkeling": change per area between the latest two vintages, on today's areas."""
    from . import trends

    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    changes = result.changes[result.changes["gemeente_code"] == code]
    if changes.empty:
        return Html("<p>Er zijn geen twee jaargangen van dezelfde cijfers beschikbaar; een ontwikkeling is niet te "
                    "geven.</p>")
    shown = [i for i in TREND_INDICATORS if i in set(changes["indicator"])]
    header, rows = ["Gebied"], {c: [areas.at[c, "name"]] for c in areas.index}
    for indicator in shown:
        part = changes[changes["indicator"] == indicator].set_index("code")
        first, last = int(part["first_year"].iloc[0]), int(part["last_year"].iloc[0])
        label = catalogue.INDICATOR_BY_KEY[indicator].label if indicator in catalogue.INDICATOR_BY_KEY \
            else catalogue.CONCEPTS[indicator].label
        header.append(f"{label} {first} → {last}")
        count = catalogue.CONCEPTS[indicator].extensive
        for c in areas.index:
            if c not in part.index:
                rows[c].append("–")
                continue
            r = part.loc[c]
            change = _num(r["change"], 0 if count else 1, "" if count else " pt")
            text = (f"{_num(r['first'], 0 if count else 1)} → {_num(r['last'], 0 if count else 1)} "
                    f"({'+' if r['change'] > 0 else ''}{change}): {labels.VERDICTS[r['verdict']]}")
            rows[c].append(text + (" *" if r["estimated"] else ""))
    table = _table(header, list(rows.values()), f"Ontwikkeling per gebied, {regions.MUNICIPALITIES[code]}")
    notes = [f"Gezondheidscijfers (RIVM) zijn schattingen: een verschil van {_num(trends.HEALTH_THRESHOLD, 0)} "
             "procentpunt of minder telt als geen duidelijke verandering.",
             f"Inwoners: een verschil van {_num(trends.COUNT_THRESHOLD, 0)} personen of minder, of minder dan "
             f"{_num(100 * trends.COUNT_SHARE, 0)} %, telt als geen duidelijke verandering (CBS rondt af op 5).",
             "* omgerekend naar de huidige gebieden met een schatting (gesplitst, samengevoegd of grens gewijzigd).",
             "Alle jaargangen zijn eerst omgezet naar de gebiedsindeling van de kaarten; cijfers waarvan de "
             "definitie tussen de jaren veranderde, worden niet vergeleken."]
    income = [i for i in ("low_income_share", "social_minimum_share") if i in set(changes["indicator"])]
    if not income:
        years = sorted(result.series.loc[result.series["indicator"] == "low_income_share", "year"].unique())
        notes.append("Inkomenscijfers zijn van één jaargang beschikbaar"
                     + (f" ({', '.join(map(str, years))})" if years else "") + "; een ontwikkeling is niet te geven.")
    return Html(table + "<ul class='mgg-noten'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")


def sources_html(result: Analysis) -> Html:
    rows = []
    names = {"kwb": "CBS Kerncijfers wijken en buurten", "health": "RIVM/GGD'en/CBS Gezondheid per wijk en buurt",
             "boundaries": "CBS gebiedsindeling (PDOK)"}
    for kind, m in result.sources.items():
        where = m.get("source_url") or Path(m.get("source_file", "")).name
        columns = ", ".join(f"{catalogue.CONCEPTS[k].label} ({v['column']})" for k, v in m.get("columns", {}).items()
                            if k in catalogue.CONCEPTS)
        rows.append([names.get(kind, kind), m.get("table_id") or "", m.get("year"), m.get("indeling", m.get("year")),
                     (m.get("modified") or "")[:10] or "onbekend", (m.get("retrieved_at") or "")[:10],
                     "download" if m.get("origin") == "live" else "handmatig geïmporteerd", where, columns])
    table = _table(["Bron", "Tabel", "Jaargang", "Indeling", "Gewijzigd (CBS)", "Opgehaald", "Route",
                    "Adres/bestand", "Gebruikte kolommen"], rows, "Bronnen van de cijfers")
    kwb, health, bounds = (result.sources.get(k, {}) for k in ("kwb", "health", "boundaries"))
    lines = [
        f"Bron: CBS, {html.escape(kwb.get('title') or 'Kerncijfers wijken en buurten')} "
        f"(tabel {html.escape(str(kwb.get('table_id')))}), licentie CC BY 4.0. CBS onderschrijft dit rapport niet.",
        f"Kaarten: Kadaster / Centraal Bureau voor de Statistiek, {bounds.get('year', '')}; gegeneraliseerde grenzen, "
        "voor weergave vereenvoudigd (bij de voorbeeldbestanden: vereenvoudigd door cartomap/nl).",
    ]
    if health:
        lines.append(f"Gezondheidscijfers: RIVM/GGD'en/CBS, Gezondheidsmonitor Volwassenen en Ouderen "
                     f"{health.get('year')} (tabel {html.escape(str(health.get('table_id')))}); modelmatige "
                     "schattingen, geen metingen.")
    lines.append("Initiatieven: register van Mentaal Gezond Groningen (data/initiatives/register.csv), "
                 "opgebouwd uit openbare bronnen; per initiatief staat de bron in het register. Dit is "
                 "<em>gedocumenteerd</em> aanbod: ontbreken in het register betekent niet dat er geen preventie is.")
    return Html(table + "<ul class='mgg-bronnen'>" + "".join(f"<li>{t}</li>" for t in lines) + "</ul>")


def parameters_html(result: Analysis, extra: dict | None = None) -> Html:
    p = {**result.parameters, **(extra or {})}
    weights = ", ".join(f"{catalogue.DOMAINS[d].lower()} {w:.2f}" for d, w in p["weights"].items())
    rows = [["Gebiedsniveau", p["level"]], ["Standaardisatie", "z-score" if p["method"] == "zscore" else "rangpercentiel"],
            ["Domeingewichten", weights], ["Gevoeligheidsanalyse", f"{p['draws']} trekkingen (seed {p['seed']})"],
            ["Doelgroep (leeftijden initiatieven)", f"{p['target_ages'][0]:.0f}–{p['target_ages'][1]:.0f} jaar"],
            ["Leeftijdsgroep gezondheidscijfers", p["age_group"]], ["Peildatum register", p["reference_date"]],
            ["Register", Path(p["register"]).name], ["Bereik voor het voorstel", f"{p['distance_m'] / 1000:g} km"],
            ["Gemaakt op", p["generated_at"]]]
    return _table(["Parameter", "Waarde"], rows, "Parameters en generatietijd")


METHOD_TEXT = """
<h3>Behoefte</h3>
<p>Per {level} combineren we openbare cijfers over armoede (huishoudens met een laag inkomen, rond het sociaal
minimum, bijstand per 1.000 inwoners, moeite met rondkomen), wonen (WOZ-waarde, corporatiewoningen), sociaal
isolement (eenpersoonshuishoudens, eenzaamheid), mentale gezondheid (hoog risico op angst of depressie, veel stress)
en demografie (aandeel 65-plussers). Elk cijfer wordt zo gericht dat hoger meer behoefte betekent en binnen de
provincie gestandaardiseerd (hoeveel standaardafwijkingen boven of onder het gemiddelde). Per domein nemen we het
gemiddelde; de domeinen tellen {weights}. Ontbreekt een cijfer, dan rekenen we met de cijfers die er wel zijn; een
{level} met minder dan drie cijfers of twee domeinen krijgt geen score ("onvoldoende gegevens"). De
gezondheidscijfers zijn schattingen van RIVM/GGD'en/CBS die deels op inkomen zijn gebaseerd; armoede telt daardoor
mogelijk dubbel mee.</p>
<h3>Onzekerheid</h3>
<p>De keuze van gewichten en rekenmethode beïnvloedt de volgorde. Daarom herhalen we de berekening {draws} keer met
willekeurige gewichten en methode. De rangorde in de tabellen is de gewone rangorde; het interval (5–95 %) laat zien
tussen welke plaatsen een gebied in 90 % van de herhalingen uitkomt. Een breed interval (meer dan de helft van de
ranglijst) heet "onzeker".</p>
<h3>Dekking</h3>
<p>We meten vanaf een punt binnen elk gebied (het representatieve punt van de CBS-grens) de afstand in rechte lijn
tot het dichtstbijzijnde initiatief, het aantal initiatieven binnen 1, 3 en 5 km (zoals de CBS
Nabijheidsstatistiek), en de bereikbaarheid volgens de E2SFCA-methode: het aanbod (capaciteit, 1 als die onbekend
is) gedeeld door het aantal jongeren in de omgeving, met minder gewicht naarmate de afstand groter is (tot 1 km
volledig, 1–3 km 0,68, 3–5 km 0,22). Gemeentebreed aanbod (zoals KoPPeLing) telt voor elk gebied in die gemeente.
Alleen initiatieven voor (een deel van) de leeftijd 0–24 jaar tellen mee. Afstanden over de weg zijn groter dan in
rechte lijn.</p>
<h3>Tekort aan dekking</h3>
<p>Behoefte en bereikbaarheid worden elk in drie even grote groepen verdeeld (laag, midden, hoog). De combinatie
geeft negen klassen; "hoge behoefte, lage dekking" is waar een nieuwe inspanning het meest oplevert. Binnen de
gemeente volgt de prioriteit uit de klasse en daarna de behoefte-index. Het voorstel voor nieuwe locaties kiest
stap voor stap de plek die de meeste jongeren in gebieden met hoge behoefte binnen bereik brengt.</p>
"""


def method_html(result: Analysis) -> Html:
    p = result.parameters
    equal = len(set(round(w, 6) for w in p["weights"].values())) == 1
    weights = "even zwaar" if equal else "mee volgens de gekozen gewichten (zie parameters)"
    level = "wijk" if p["level"] == "wijk" else "buurt"
    return Html(METHOD_TEXT.format(level=level, weights=weights, draws=p["draws"]))


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
        share = f.get("youth_within_reach_share")
        rows.append(
            f"<tr><td><a href=\"{html.escape(e['href'])}\">{html.escape(f.get('gemeente', e['gemeente_code']))}</a>"
            f"</td><td>{html.escape(e['gemeente_code'])}</td><td>{_num(f.get('population'), 0)}</td>"
            f"<td>{_num(f.get('youth'), 0)}</td><td>{f.get('areas', '–')}</td><td>{f.get('initiatives', '–')}</td>"
            f"<td>{f.get('areas_target_cell', '–')}</td>"
            f"<td>{_num(None if share is None else 100 * share, 0, ' %')}</td></tr>")
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
<table><thead><tr><th>Gemeente</th><th>Code</th><th>Inwoners</th><th>Jongeren 0–24</th><th>Gebieden</th>
<th>Initiatieven</th><th>Hoge behoefte, lage dekking</th><th>Jongeren binnen bereik</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{('<h2>Niet gelukt</h2><ul>' + failed + '</ul>') if failures else ''}
<p class="klein">Bronnen: CBS (CC BY 4.0), RIVM/GGD'en/CBS, Kadaster / Centraal Bureau voor de Statistiek;
initiatievenregister van Mentaal Gezond Groningen. Elk rapport vermeldt tabellen, jaargangen en kolommen.</p>
</body></html>
"""


def today() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")


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
        sites = result.register.active
        self.sites = sites[sites.intersects(self.areas.geometry.union_all().buffer(5000))]
        self.year = result.sources["boundaries"]["year"]
        self.level_plural = "wijken" if result.parameters["level"] == "wijk" else "buurten"

    def title(self) -> Html:
        return Html(f"<h1>Preventie in {html.escape(self.name)}: waar is de volgende inspanning het meest nodig?</h1>"
                    f"<p class='mgg-ondertitel'>Rapport van Mentaal Gezond Groningen per {self.result.parameters['level']}"
                    f" · gegevens: KWB {self.result.sources['kwb']['year']}, "
                    f"{'RIVM ' + str(self.result.sources['health']['year']) + ', ' if 'health' in self.result.sources else ''}"
                    f"grenzen {self.year} · gemaakt op {html.escape(today())}</p>")

    def key_figures(self) -> Html:
        """The key figures, preceded by a note when figures come from another indeling."""
        return Html(vintage_note(self.result, self.code) + key_figures_html(key_figures(self.result, self.code)))

    def need_map(self):
        from . import maps
        return maps.choropleth(self.areas, "need_index", title=f"Behoefte-index per {self.result.parameters['level']}",
                               legend_title="Behoefte-index (hoger = meer behoefte)", fmt="{:.2f}", year=self.year,
                               bins=self.result.map_breaks.get((self.code, "need_index")),
                               caption="Grijs: geen gegevens (te weinig cijfers voor een score).")

    def coverage_map(self):
        from . import maps
        return maps.choropleth(self.areas, "nearest_km", title="Afstand tot het dichtstbijzijnde initiatief",
                               legend_title="Afstand (km)", colours=maps.SEQUENTIAL, fmt="{:.1f}", unit=" km",
                               year=self.year, sites=self.sites, bins=self.result.map_breaks.get((self.code, "nearest_km")),
                               caption="Kleur per programma; vorm: rondje = exacte locatie of adres, vierkant = "
                                       "plaats of postcode, driehoek = gebied (bij benadering).")

    def gap_map(self):
        from . import maps
        return maps.bivariate(self.areas, title="Behoefte tegen dekking", year=self.year, sites=self.sites,
                              caption="Paars-rood: hoge behoefte en lage dekking, de plek voor een nieuwe inspanning.")

    def priorities(self, top: int = 10) -> Html:
        return priority_table(self.result, self.code, top=top)

    def comparison(self) -> Html:
        return indicator_table(self.result, self.code)

    def what_if(self, k: int = 3) -> Html:
        table, figures = whatif_table(self.result, self.code, k=k)
        b, a = figures["before"], figures["after"]
        reach = _num(self.result.whatif.distance_m / 1000, 0)
        text = (f"<p>Nu wonen {_num(b['population_within'], 0)} jongeren ({_num(100 * b['share_within'], 0, ' %')} "
                f"van de jongeren in {html.escape(self.name)}) binnen {reach} km van een initiatief; met de "
                f"voorgestelde locaties {_num(a['population_within'], 0)} ({_num(100 * a['share_within'], 0, ' %')}). "
                f"Het aantal {self.level_plural} met hoge behoefte en lage dekking gaat van "
                f"{b['areas_high_need_low_coverage']} naar {a['areas_high_need_low_coverage']} (zelfde klassengrenzen "
                "als op de kaart).</p>")
        return Html(table + text)

    def quality(self) -> Html:
        return quality_html(self.result, self.code)

    def trends(self) -> Html:
        """Section "Ontwikkeling": a slope chart of loneliness and a table of changes per area."""
        from . import maps

        chart = ""
        series = self.result.series[self.result.series["code"].isin(self.areas.index)]
        if (series["indicator"] == "lonely").any():
            chart = maps.slope_chart(series, self.result.changes, self.areas["name"], indicator="lonely",
                                     title="Eenzaam (18+), per gebied").html
        return Html(chart + trends_html(self.result, self.code))

    def write_outputs(self, output_dir: str | Path, *, interactive: bool = True) -> dict:
        """Key-figure sidecar (``data/<code>.json``) and, if asked, the interactive map (``kaarten/``)."""
        out = Path(output_dir)
        figures = key_figures(self.result, self.code)
        if interactive:
            from . import maps
            fmap = self.interactive_map()
            maps.save_map(fmap, out / "kaarten" / f"{self.code}.html")
            figures["interactive_map"] = f"kaarten/{self.code}.html"
        write_sidecar(out / "data" / f"{self.code}.json", figures)
        return figures

    def interactive_map(self):
        from . import maps
        tooltip = {"need_index": ("Behoefte-index", "{:.2f}", ""), "nearest_km": ("Afstand", "{:.1f}", " km"),
                   "gap_label": ("Klasse", "{}", ""), "low_income_share": ("Laag inkomen", "{:.1f}", " %"),
                   "lonely": ("Eenzaam (18+)", "{:.1f}", " %")}
        areas = self.areas.assign(gap_label=self.areas["gap_label"].astype(object))
        return maps.interactive(areas, "need_index", legend_title="Behoefte-index", tooltip=tooltip,
                                sites=self.sites, year=self.year,
                                bins=self.result.map_breaks.get((self.code, "need_index")))


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
        for code in regions.MUNICIPALITIES:
            f = key_figures(self.result, code)
            areas = self.result.areas[self.result.areas["gemeente_code"] == code]
            rows.append((f, areas["need_index"].mean()))
        rows.sort(key=lambda r: (-r[0]["areas_target_cell"], -(r[1] if r[1] == r[1] else -9)))
        body = [[i + 1, f["gemeente"], _num(f["youth"], 0), f["areas"], f["initiatives"], f["areas_target_cell"],
                 _num(mean, 2), _num(None if f["youth_within_reach_share"] is None
                                     else 100 * f["youth_within_reach_share"], 0, " %")]
                for i, (f, mean) in enumerate(rows)]
        return _table(["#", "Gemeente", "Jongeren 0–24", "Gebieden", "Initiatieven", "Hoge behoefte, lage dekking",
                       "Gem. behoefte-index", "Jongeren binnen bereik"], body,
                      "Gemeenten gerangschikt naar het aantal gebieden met hoge behoefte en lage dekking")

    def gap_counts(self) -> Html:
        areas = self.result.areas
        classes = [f"{n}-{c}" for n in (3, 2, 1) for c in (1, 2, 3)]
        body = []
        for code, name in regions.MUNICIPALITIES.items():
            counts = areas.loc[areas["gemeente_code"] == code, "gap_class"].value_counts()
            body.append([name] + [int(counts.get(c, 0)) for c in classes])
        header = ["Gemeente"] + [gap.gap_label(int(c[0]), int(c[2])) for c in classes]
        return _table(header, body, "Aantal gebieden per klasse (behoefte, dekking)")

    def small_multiples(self):
        from . import maps
        return maps.small_multiples(self.result.areas, year=self.year)
