"""The Dutch reports: the municipality report and the province overview as the notebooks show them.

Notebooks call :class:`MunicipalityReport` and :class:`ProvinceReport` and
display what their methods return: one method per section, built by
:mod:`mgg_geo.present.sections` and rendered from the templates of
:mod:`mgg_geo.present.pages`. Nothing here computes a figure.

Key figures travel from each notebook run to the index page through a JSON
sidecar (``reports/data/<code>.json``, written atomically by
:func:`mgg_geo.present.folder.write_sidecar`), never by scraping HTML.
"""

from __future__ import annotations

from pathlib import Path

from mgg_geo.analysis.chain import Analysis
from mgg_geo.data import catalogue, kinds, regions
from mgg_geo.present import fmt, labels, mapclasses, maps, pages
from mgg_geo.present.folder import report_stem, write_sidecar
from mgg_geo.present.pages import Html
from mgg_geo.present.sections import (
    PAGE_ONE_PRIORITIES,
    YOUTH_SHORT,
    YOUTH_SURVEY,
    Block,
    Table,
    comparison_table,
    figures_of,
    key_figures_table,
    level_word,
    method_html,
    objectives_blocks,
    origins_block,
    page_one,
    parameters_table,
    partial_rule,
    priority_blocks,
    quality_blocks,
    ranking_caveats,
    reference_words,
    register_blocks,
    school_blocks,
    section,
    sources_blocks,
    spread_text,
    target_of,
    trends_blocks,
    whatif_blocks,
    youth_blocks,
    youth_missing_text,
    youth_not_theirs,
    youth_rows,
    youth_source_line,
)

#: The height of the gap map on page 1 (inches, as printed): low enough for the page to hold the summary with it.
PAGE_ONE_MAP_HEIGHTS = (2.1, 2.6)

#: The small multiples: maps in the first figure (three rows of two), and what every caption adds.
SMALL_MULTIPLES_FIRST = 6
SMALL_MULTIPLES_CAPTION = "Dezelfde klassen als in de gemeenterapporten."
#: Every small-multiples panel fills its cell, so the panels differ in scale (Pekela drawn as large as Groningen)
SMALL_MULTIPLES_SCALE = "Elk kaartje heeft een eigen schaal (zie de schaalstok)."

__all__ = ["Html", "MunicipalityReport", "ProvinceReport", "Table"]


# --------------------------------------------------------------------------- report objects for the notebooks


class _Report:
    """Sections every report has: method, sources and parameters."""

    def __init__(self, result: Analysis):
        self.result = result
        self.boundaries = kinds.BOUNDARIES.of(result.sources)  # their year and who simplified them: the attribution
        self._scope = result.map_breaks.get("scope", "provincie")  # where the need classes are cut

    def method(self) -> Html:
        return method_html(self.result)

    def sources(self) -> Html:
        return section(sources_blocks(self.result))

    def parameters(self) -> Html:
        return section([Block("table", table=parameters_table(self.result))])

    def _subtitle(self, extra: str = "") -> str:
        used = [f"{kind.short} {m['year']}" for kind, m in kinds.present(self.result.sources) if kind.role != "region"]
        parts = ["gegevens: " + ", ".join(used)]
        return " · ".join(p for p in ["Rapport van Mentaal Gezond Groningen" + extra, ", ".join(x for x in parts if x),
                                      f"gemaakt op {fmt.when(self.result.parameters['generated_at'])}"] if p)


class MunicipalityReport(_Report):
    """Everything the municipality notebook shows, one method per section (all Dutch, all escaped)."""

    def __init__(self, result: Analysis, gemeente: str):
        super().__init__(result)
        self.code = regions.resolve_municipality(gemeente)
        self.name = regions.MUNICIPALITIES[self.code]
        self.areas = result.areas[result.areas["gemeente_code"] == self.code]
        self.sites = result.sites_near(self.code)
        self.outlines = result.municipalities if len(result.municipalities) else None

    def title(self) -> Html:
        """The heading and subtitle (data years, time of generation)."""
        return pages.render("title.html.j2",
                            title=f"Preventie in {self.name}: waar is de volgende inspanning het meest nodig?",
                            subtitle=self._subtitle(f" per {level_word(self.result, False)}"))

    def summary(self) -> Html:
        """Page 1, section "In het kort": the plain-language summary, the gap map with the first priorities named,
        the priorities and the where-next in words; printed on a page of its own."""
        return page_one(self.result, self.code, self.gap_map())

    def map_link(self, output_dir: str = "") -> Html:
        """A link to this municipality's interactive map page (written by the batch next to the report)."""
        if not output_dir:
            return Html("")
        return section([Block("link", href=f"kaarten/{self.code}.html", cls="mgg-kaartlink",
                              text=f"Open de interactieve kaart van {self.name}",
                              tail=" (werkt ook zonder internet; een achtergrondkaart kan erbij als er internet is).")])

    def key_figures(self) -> Html:
        """The key figures, preceded by a note when figures come from another indeling."""
        return section(origins_block(self.result, self.code)
                       + [Block("table", table=key_figures_table(figures_of(self.result, self.code),
                                                                 self.result.parameters["level"],
                                                                 spread_text(self.result)))])

    def method(self) -> Html:
        """The method, then this municipality's proposal next to the plain people-reached choice."""
        return Html(method_html(self.result) + section(objectives_blocks(self.result, self.code)))

    def young_adults(self) -> Html:
        """Section "Jongvolwassenen (16–25 jaar)": the young-adult monitor for the municipality, the province and
        the Netherlands, with its source line."""
        return section(youth_blocks(self.result, self.code))

    def _partial_caption(self) -> str:
        if not self.areas["partial_data"].astype(bool).any():
            return ""
        return f" Gestippeld: {labels.PARTIAL} ({partial_rule(self.result)})."

    def _need_bins(self) -> list[float]:
        breaks = self.result.map_breaks
        return breaks.get("by_gemeente", {}).get(self.code) or breaks.get("need_index", [])

    def need_map(self) -> maps.Figure:
        """The need index in six classes centred at 0, with the province-wide bounds."""
        classes = mapclasses.need_classes(self.areas["need_index"], self._need_bins(), scope=self._scope)
        return maps.class_map(self.areas, classes, title=f"Behoefte-index per {level_word(self.result, False)}",
                              year=self.boundaries, outlines=self.outlines, code=self.code,
                              caption="Oranje: meer behoefte dan gemiddeld in de provincie; paars: minder. Gearceerd: "
                                      "geen gegevens (te weinig cijfers voor een score)." + self._partial_caption()
                                      + f" {mapclasses.need_class_note(self.result.map_breaks, self.code)}".rstrip(),
                              partial=self.areas["partial_data"])

    def coverage_map(self) -> maps.Figure:
        """The coverage measure in its three fixed classes, with the physical sites."""
        reach_m = self.result.parameters["reach_m"]
        return maps.class_map(self.areas, mapclasses.coverage_classes(self.areas["reach"], reach_m), sites=self.sites,
                              year=self.boundaries, outlines=self.outlines, code=self.code,
                              title=f"Dekking: {target_of(self.result).key} binnen {fmt.radius(reach_m)} van een "
                                    "locatie",
                              caption=f"Dekking: het deel van de doelgroep dat binnen {fmt.radius(reach_m)} "
                                      "(hemelsbreed) van een fysieke locatie woont, gemeten per buurt. Gemeentebreed "
                                      "aanbod heeft geen locatie en staat in de kerncijfers." + self._partial_caption(),
                              partial=self.areas["partial_data"])

    def gap_map(self) -> maps.Figure:
        """Need against coverage in the 3x3 classes, with the physical sites and the first priorities named (page 1)."""
        top = self.result.priorities(self.code).head(PAGE_ONE_PRIORITIES)
        named = {area: (fmt.number(r["priority"]), fmt.name(r["name"])) for area, r in top.iterrows()}
        return maps.bivariate(self.areas, title="", year=self.boundaries, sites=self.sites,
                              outlines=self.outlines, code=self.code, named=named, heights=PAGE_ONE_MAP_HEIGHTS,
                              key=False,
                              caption="Waar is het tekort het grootst? Zwart: hoge behoefte en lage dekking. Met "
                                      f"nummer: de eerste {fmt.number(len(named))} prioriteiten. Gearceerd: niet "
                                      "gerangschikt. "
                                      f"{mapclasses.bivariate_key(self.result.parameters['reach_m'], self._scope)}"
                                      + self._partial_caption())

    def priorities(self) -> Html:
        """Every ranked area by priority, the rank intervals explained, the unranked listed."""
        return section(priority_blocks(self.result, self.code))

    def comparison(self) -> Html:
        """The need indicators of the municipality against the province."""
        return section([Block("table", table=comparison_table(self.result, self.code))])

    def what_if(self) -> Html:
        """The suggested new sites on a map and in a table, with the effect on coverage."""
        sites = self.result.whatif_sites[self.result.whatif_sites["gemeente_code"] == self.code]
        effect = self.result.whatif_areas[self.result.whatif_areas["gemeente_code"] == self.code]
        figure = maps.whatif_map(self.areas, effect, sites, existing=self.sites, year=self.boundaries,
                                 outlines=self.outlines, code=self.code, target=target_of(self.result).key,
                                 reach_m=self.result.parameters["reach_m"]) \
            if len(sites) else None
        return section(whatif_blocks(self.result, self.code, figure))

    def register(self) -> Html:
        """Section "Wat het register bevat": the places per programme and status, each with its status, source
        date and whether it counts; coverage describes the register."""
        return section(register_blocks(self.result, self.code))

    def next_school(self) -> Html:
        """Section "Welke school als volgende?": the schools where the school-based programme (STORM) would reach
        the most young people in need, with address, placement and the areas each adds."""
        return section(school_blocks(self.result, self.code))

    def quality(self) -> Html:
        """Data quality: suppressed figures, conversions, the residents check, caveats."""
        return section(quality_blocks(self.result, self.code))

    def trends(self) -> Html:
        """Section "Ontwikkeling": a slope chart of loneliness and a table of changes per area."""
        series = self.result.series[self.result.series["code"].isin(self.areas.index)]
        chart = None
        if (series["indicator"] == "lonely").any():
            chart = maps.slope_chart(series, self.result.changes, self.areas["name"], indicator="lonely",
                                     title="Eenzaam (18+), per gebied", ylabel="% van de inwoners van 18 jaar en ouder")
        return section(trends_blocks(self.result, self.code, chart))

    def write_outputs(self, output_dir: str | Path, *, interactive: bool = True) -> dict:
        """Key-figure sidecar (``data/<code>.json``) and, if asked, the interactive map (``kaarten/``)."""
        out = Path(output_dir)
        figures = figures_of(self.result, self.code)
        if interactive:
            from mgg_geo.present import webmap

            webmap.save_map(self.interactive_map(report_href=f"../{report_stem(self.code)}.html"),
                            out / "kaarten" / f"{self.code}.html")
            figures["interactive_map"] = f"kaarten/{self.code}.html"
        write_sidecar(out / "data" / f"{self.code}.json", figures)
        return figures

    def interactive_map(self, report_href: str | None = None):
        """The interactive map: need, coverage, distance and class as layers, Dutch tooltips, offline;
        ``report_href``: the link back to the report (the batch's map pages have it)."""
        from mgg_geo.present import webmap

        return webmap.municipality_map(self.result, self.code, self._need_bins(), report_href=report_href)


class ProvinceReport(_Report):
    """The province overview: the 10 municipalities side by side."""

    def title(self) -> Html:
        """The heading and subtitle of the overview."""
        return pages.render("title.html.j2", title="Preventie in de provincie Groningen: de tien gemeenten naast "
                                                   "elkaar", subtitle=self._subtitle())

    def ranking(self) -> Html:
        """The municipalities in the order of the analysis: the largest share of the target group in areas with high
        need and low coverage first, with the number of those areas beside it."""
        figures = self.result.figures.sort_values("province_rank")
        group = catalogue.target_group(self.result.parameters["target_group"])
        # need classes per municipality: "high" is high within each one, shares do not compare (review)
        own = self.result.map_breaks.get("scope") == "gemeente"
        intro = [("De tien gemeenten van de provincie naast elkaar, met dezelfde methode en dezelfde klassen als in de "
                  "gemeenterapporten. Zo is te zien waar in de provincie hoge behoefte aan preventie en lage dekking "
                  "door bekende initiatieven samengaan."),
                 ("De gemeenten op volgorde van het deel van hun doelgroep dat in een gebied met hoge behoefte en lage "
                  "dekking woont; het aantal van die gebieden staat ernaast.")] if not own else [
            ("De tien gemeenten van de provincie naast elkaar, met dezelfde methode als in de gemeenterapporten. De "
             "klassen van behoefte zijn in deze run per gemeente bepaald: in elke gemeente heet ongeveer een derde "
             "van de gebieden hoog (bij weinig gebieden kan dat niet precies). Hoge behoefte betekent hier dus hoog "
             "binnen de eigen gemeente, en de aandelen in gebieden met hoge behoefte en lage dekking zijn tussen "
             "gemeenten niet te vergelijken."),
            ("De gemeenten staan daarom op volgorde van hun gemiddelde behoefte-index, die over de hele provincie "
             "gelijk is gemeten; de aandelen staan ernaast, voor binnen elke gemeente.")]
        rows = [[fmt.number(f["province_rank"]), f["gemeente"], fmt.number(f["target_population"]),
                 fmt.percent(f["target_cell_share"]), fmt.number(f["target_in_target_cell"]),
                 fmt.number(f["areas_target_cell"])
                 + (f" (waarvan {fmt.number(f['areas_target_cell_partial'])} met {labels.PARTIAL})"
                    if f["areas_target_cell_partial"] else ""),
                 fmt.number(f["areas"]), fmt.number(f["sites_physical"]), fmt.number(f["mean_need_index"], 2),
                 fmt.percent(f["target_within_reach_share"])]
                for _, f in figures.iterrows()]
        reach = fmt.radius(self.result.parameters["reach_m"])
        table = Table(["#", "Gemeente", "Doel\u00adgroep", "Aandeel HB/LD", f"{group.key.capitalize()} HB/LD",
                       "Gebieden HB/LD", "Gebie\u00adden", "Fysieke loca\u00adties", "Gem. behoefte\u00adindex",
                       f"Binnen {reach}"], rows,
                      f"Gemeenten gerangschikt naar het aandeel van de doelgroep ({group.label}) dat in gebieden met "
                      "hoge behoefte en lage dekking woont" if not own else
                      f"Gemeenten gerangschikt naar de gemiddelde behoefte-index ({group.label}; hoge behoefte per "
                      "gemeente bepaald)",
                      numeric=(0, 2, 3, 4, 5, 6, 7, 8, 9),
                      key="Doelgroep: de som over de gebieden (CBS rondt elk gebied af op 5, dus het cijfer van CBS "
                          "voor de hele gemeente kan iets afwijken). "
                          "HB/LD: in gebieden met hoge behoefte en lage dekking. Aandeel HB/LD: het deel van de "
                          "doelgroep van de gemeente dat daar woont; "
                          + ("bij gelijke stand telt het aantal van die gebieden, dan de gemiddelde behoefte-index. "
                             if not own else "bij gelijke gemiddelde behoefte-index telt het aandeel. ")
                          +
                          f"Binnen {reach}: het deel van de doelgroep binnen {reach} van een fysieke locatie. Gem. "
                          "behoefte-index: het gemiddelde over de gerangschikte gebieden van de gemeente, elk gebied "
                          f"even zwaar (0 = {reference_words(self.result, noun=True)})."
                          + (f" {labels.PARTIAL.capitalize()}: {partial_rule(self.result)}."
                             if figures["areas_target_cell_partial"].any() else ""))
        caveats = ranking_caveats(self.result)
        return section([*(Block("p", text=t) for t in intro), Block("table", table=table)]
                       + ([Block("list", items=caveats, cls="mgg-uitleg")] if caveats else []))

    def method(self) -> Html:
        """The method, then per municipality what the proposal reaches next to the plain people-reached choice."""
        group = catalogue.target_group(self.result.parameters["target_group"])
        level = level_word(self.result)
        rows = []
        for code, w in self.result.whatif.iterrows():
            rows.append([regions.MUNICIPALITIES[code],
                         fmt.number(w["after_population_within"] - w["before_population_within"]),
                         fmt.number(w["after_high_need_within"] - w["before_high_need_within"]),
                         fmt.number(w["people_after_population_within"] - w["before_population_within"]),
                         fmt.number(w["people_after_high_need_within"] - w["before_high_need_within"])])
        table = Table(["Gemeente", f"Gewogen naar behoefte: {group.key} erbij", f"van wie in {level} met hoge "
                       "behoefte", f"Alleen het aantal: {group.key} erbij", f"van wie in {level} met hoge behoefte"],
                      rows, f"Voorstel voor {fmt.number(self.result.parameters['k'])} nieuwe locaties per gemeente: "
                            "twee doelen naast elkaar", numeric=(1, 2, 3, 4))
        return Html(method_html(self.result) + section([Block("table", table=table)]))

    def young_adults(self) -> Html:
        """The young-adult monitor (16-25) for every municipality, the province and the Netherlands (only for a
        target group of those ages)."""
        if not catalogue.target_group(self.result.parameters["target_group"]).meets(catalogue.YOUNG_ADULT_AGES):
            return section([Block("p", text=youth_not_theirs(self.result))])
        intro = Block("p", text="De Gezondheidsmonitor Jongvolwassenen per gemeente, naast de provincie en Nederland.")
        if not len(self.result.youth):
            return section([intro, Block("p", text=youth_missing_text())])
        codes = [*self.result.figures.index, catalogue.PROVINCE_GGD, "NL01"]
        names = [regions.MUNICIPALITIES.get(c, c) for c in self.result.figures.index] + \
            ["Provincie (GGD Groningen)", "Nederland"]
        by_figure = youth_rows(self.result, codes)  # one row per figure: label, then a value per region
        rows = [[name] + [row[i + 1] for row in by_figure] for i, name in enumerate(names)]
        year = kinds.YOUTH.of(self.result.sources).get("year")
        table = Table(["Gebied"] + [YOUTH_SHORT[k] for k, _ in catalogue.YOUNG_ADULT_FIGURES], rows,
                      f"Jongvolwassenen per gemeente ({year}, % van de 16- tot 25-jarigen)",
                      numeric=tuple(range(1, len(by_figure) + 1)),
                      key="; ".join(f"{YOUTH_SHORT[k].replace(chr(173), '')}: {row[0].lower()}"
                                    for (k, _), row in zip(catalogue.YOUNG_ADULT_FIGURES, by_figure, strict=True)))
        return section([intro, Block("table", table=table),
                        Block("list", items=[YOUTH_SURVEY, youth_source_line(self.result)], cls="mgg-bronnen")])

    def gap_counts(self) -> Html:
        """The number of areas per 3x3 class and municipality."""
        classes = [f"{n}-{c}" for n in (3, 2, 1) for c in (1, 2, 3)]
        body = [[regions.MUNICIPALITIES[code]] + [fmt.number(f["gap_counts"].get(c, 0)) for c in classes]
                + [fmt.number(f["gap_counts"].get("", 0)), fmt.number(len(f["areas_partial"]))]
                for code, f in self.result.figures.iterrows()]
        short = {1: "laag", 2: "midden", 3: "hoog"}
        header = (["Gemeente"] + [f"B {short[int(c[0])]} / D {short[int(c[2])]}" for c in classes]
                  + ["Niet gerang\u00adschikt", labels.PARTIAL.capitalize()])
        return section([Block("table", table=Table(
            header, body, "Aantal gebieden per klasse", numeric=tuple(range(1, 12)),
            key="B: behoefte, D: dekking. B hoog / D laag is hoge behoefte en lage dekking. "
                f"{labels.PARTIAL.capitalize()}: gebieden waarvan {partial_rule(self.result)} (ze staan ook in de "
                "klassen ervoor)."))])

    def small_multiples(self) -> Html:
        """The 10 municipalities side by side in the 3x3 classes, in the order of the ranking: two figures of two
        maps a row (each map 8.7 cm wide in print), the second with the legend."""
        outlines = self.result.municipalities if len(self.result.municipalities) else None
        order = list(self.result.figures.sort_values("province_rank").index)
        first, rest = order[:SMALL_MULTIPLES_FIRST], order[SMALL_MULTIPLES_FIRST:]
        names = [regions.MUNICIPALITIES[c] for c in first]
        figures = [maps.small_multiples(self.result.areas, year=self.boundaries, outlines=outlines, codes=first,
                                        legend=not rest, reach_m=self.result.parameters["reach_m"], scope=self._scope,
                                        caption=f"Behoefte tegen dekking per gemeente, in de volgorde van de "
                                                f"rangschikking: {fmt.listing(names)}. {SMALL_MULTIPLES_SCALE} "
                                        + ("De legenda staat onder het vervolg." if rest
                                           else SMALL_MULTIPLES_CAPTION))]
        if rest:
            figures.append(maps.small_multiples(
                self.result.areas, year=self.boundaries, outlines=outlines, codes=rest,
                reach_m=self.result.parameters["reach_m"], scope=self._scope,
                caption=f"Vervolg: {fmt.listing([regions.MUNICIPALITIES[c] for c in rest])}. "
                        f"{SMALL_MULTIPLES_SCALE} {SMALL_MULTIPLES_CAPTION}"))
        return section([Block("figure", figure=f) for f in figures])
