"""The report batch end to end, its failure handling, escaping, and a real headless Chromium on the output."""
import json
import os
import re
import shutil

import pytest

from mgg_geo import batch, cli, settings
from mgg_geo.analysis.parameters import ReportParameters
from mgg_geo.data import kinds
from mgg_geo.errors import ParameterError
from mgg_geo.present import mapclasses, maps, reports, webmap
from tests import pdfcheck
from tests.conftest import REPORTS, offline_context, offline_kernels

pytestmark = pytest.mark.shared


@pytest.fixture
def kernel_env(memo_cache, tmp_path, monkeypatch):
    """A private copy of the imported cache (with the analysis of ``REPORTS`` saved), visible to the notebook kernels
    (separate processes)."""
    cache = tmp_path / "cache"
    shutil.copytree(memo_cache, cache)
    monkeypatch.setattr(settings, "CACHE_DIR", cache)
    monkeypatch.setenv("MGG_CACHE_DIR", str(cache))
    for name in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL", "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("MGG_HTTP_RETRIES", "0")
    return cache


COMMON = ReportParameters(offline=True, reference_date="2026-01-01", draws=200)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, imported_cache):
    """Two municipalities (one with a '<script>' initiative name) plus the overview, rendered once."""
    root = tmp_path_factory.mktemp("batch")
    cache = root / "cache"
    shutil.copytree(imported_cache, cache)
    register = root / "register.csv"
    text = (settings.PROJECT_ROOT / "data/initiatives/register.csv").read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(";")
    row = dict.fromkeys(header, "") | {"naam": '"<script>alert(\'mgg\')</script> & Co"', "programma": "jongerenwerk",
                                       "preventieniveau": "universeel", "plaats": "Oude Pekela", "gemeente": "Pekela",
                                       "gebiedscode": "WK076501", "opmerkingen": "test"}
    text += ";".join(row.values()) + "\r\n"
    register.write_text(text, encoding="utf-8-sig")
    with offline_kernels(cache):
        result = batch.run(COMMON.replace(register_path=register), reports_for=["GM0765", "GM0047"],
                           out_dir=root / "reports", workers=2, progress=False)
    return result, root / "reports"


def test_batch_two_municipalities_and_overview(rendered):
    result, out = rendered
    assert result.exit_code == 0, [o.error for o in result.failures]
    assert {o.job.key for o in result.outcomes} == {"GM0765", "GM0047", "overview"}
    for name in ("GM0765-pekela", "GM0047-veendam", "provincie-groningen"):
        html = (out / f"{name}.html").read_text(encoding="utf-8")
        assert (out / "notebooks" / f"{name}.ipynb").exists()
        assert '<html lang="nl">' in html and "Bronnen" in html
        assert "Kadaster / Centraal Bureau voor de Statistiek" in html
        assert "vereenvoudigd door cartomap/nl" in html  # the shared boundary files are cartomap/nl extracts
        assert "rapport.key_figures()" not in html and "gemeente_code =" not in html  # no code in the report
        assert 'src="http' not in html and "cdnjs" not in html  # nothing from the internet
        assert (out / f"{name}.html").stat().st_size <= 2 * 1024 * 1024
    figures = json.loads((out / "data" / "GM0765.json").read_text())
    assert figures["gemeente"] == "Pekela" and figures["areas"] == 2
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="GM0765-pekela.html"' in index and 'href="GM0047-veendam.html"' in index
    assert 'href="provincie-groningen.html"' in index and "Niet gelukt" not in index
    style = index[index.index("<style>"):index.index("</style>")]
    assert 'font-family: system-ui' in style and "&#34;" not in style and "&gt;" not in style  # the CSS as written
    # the table says what its columns count (it had no key: "Fysieke locaties 0" read as "no offer at all")
    kwb_year = figures["population_year"]
    assert "<th class=\"getal\">Wijken</th>" in index and "Locaties die meetellen" in index
    assert (f"Inwoners en doelgroep (jongeren van 0 tot 25 jaar): som over de wijken (CBS op 1 januari {kwb_year})"
            in index and "ontbreken in het register betekent niet dat er geen preventie is" in index)
    assert index.count('href="GM0765-pekela.html"') == 1  # once: the build records beside the key figures are not
    assert not list(out.rglob(".mgg-tmp"))  # no temporary file left


def test_register_names_are_text_not_markup(rendered):
    _, out = rendered
    html = (out / "GM0765-pekela.html").read_text(encoding="utf-8")
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert('mgg')&lt;/script&gt; &amp; Co" in html


def test_failing_municipality_leaves_others_intact(kernel_env, tmp_path, capsys):
    out = tmp_path / "reports"
    params = ReportParameters(**REPORTS)
    with pytest.raises(ParameterError, match="--level: 'kwartier' is not allowed"):  # checked before anything runs
        batch.run(params, reports_for=["GM0765"], out_dir=out, per_municipality={"GM0765": {"level": "kwartier"}})
    assert not out.exists()
    result = batch.run(params, reports_for=["GM0765", "GM0047"], out_dir=out, workers=2, overview=False,
                       per_municipality={"GM0765": {"kwb_year": 2023}}, progress=False)  # valid, but not cached
    assert result.exit_code == 1
    failed = {o.job.key: o.error for o in result.failures}
    assert list(failed) == ["GM0765"] and "2023" in failed["GM0765"]
    assert (out / "GM0047-veendam.html").exists() and not (out / "GM0765-pekela.html").exists()
    assert (out / "notebooks" / "GM0765-pekela.ipynb").exists()  # the failed run is kept for the audit trail
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Niet gelukt" in index and "2023" in index and 'href="GM0047-veendam.html"' in index


def test_cli_reports_exit_code_and_unknown_municipality(kernel_env, tmp_path, capsys):
    assert cli.main(["reports", "--gemeente", "Nergenshuizen", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --gemeente: Unknown municipality 'Nergenshuizen'") and err.count("\n") == 1


@pytest.mark.browser
def test_report_and_index_in_headless_chromium_offline(rendered, output_dir, chromium):
    _, out = rendered
    outside, dialogs, failed = [], [], []
    with offline_context(chromium, outside, viewport={"width": 1280, "height": 1800}) as context:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("requestfailed", lambda r: failed.append(r.url))
        for name in ("GM0765-pekela", "provincie-groningen", "index"):
            page.goto((out / f"{name}.html").as_uri(), wait_until="load")
            assert page.title()
            # the stylesheet applies (escaped in a <style>, its quoted fonts and '>' selectors were dropped)
            assert "Segoe UI" in page.evaluate("getComputedStyle(document.body).fontFamily"), name
            if name != "index":
                images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
                assert images and all(done and width > 300 for done, width in images), images
                assert page.locator("table.mgg-tabel").first.is_visible()
                assert page.locator("figure.mgg-kaart img").first.is_visible()
            page.screenshot(path=str(output_dir / f"chromium-{name}.png"), full_page=True)
        page.goto((out / "GM0765-pekela.html").as_uri())
        assert page.get_by_text("<script>alert('mgg')</script> & Co").count() >= 1
        page.goto((out / "index.html").as_uri())
        assert page.locator("a", has_text="Pekela").first.is_visible()
        page.locator("a", has_text="Pekela").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("GM0765-pekela.html")
    assert dialogs == []  # no script from the register ran
    assert outside == [] and failed == []  # the report asks nothing from the network and nothing of its own is broken


#: The printable width of an A4 page with the stylesheet's margins (210 mm - 2 x 14 mm) in CSS pixels.
A4_CONTENT_PX = round((210 - 2 * 14) / 25.4 * 96)
OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const clipped = ['TABLE', 'TD', 'TH', 'P', 'FIGURE', 'DIV'].includes(el.tagName)
      && el.scrollWidth > el.clientWidth + 1;
    if (box.right > limit + 0.5 || clipped) out.push(el.tagName + ' ' + (el.textContent || '').slice(0, 60));
  }
  return out;
}"""


@pytest.mark.browser
def test_every_report_prints_on_a4_without_overflow(rendered, output_dir, chromium):
    """Print media at the A4 content width: no element sticks out of the page box; then a real A4 PDF."""
    _, out = rendered
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 4  # two municipalities, the overview, the index
    with offline_context(chromium, [], viewport={"width": A4_CONTENT_PX, "height": 1100}) as context:
        page = context.new_page()
        for path in pages:
            page.goto(path.as_uri(), wait_until="load")
            page.emulate_media(media="print")
            assert page.evaluate(OVERFLOW) == [], path.name
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                           path=str(output_dir / f"print-{path.stem}.pdf"))
            assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") >= 1
            if path.name == "index.html":
                continue
            page_html = path.read_text(encoding="utf-8")
            assert pdfcheck.layout_problems(pdf, page_html) == [], path.name  # headings with what follows them
            for figure in pdfcheck.printed_figures(pdf, page_html):
                assert figure.scale == pytest.approx(1.0, abs=0.02) and (not figure.legend_pt or figure.legend_pt
                                                                          >= maps.MIN_LEGEND_PT), (path.name, figure)
            if path.name.startswith("GM"):  # page 1 is a summary of its own, all of it on page 1
                first = pdfcheck.pages(pdf)[:2]
                assert "Waar een nieuwe locatie het meest oplevert" in first[0].text, path.name
                assert first[1].lines[0] == "Over dit rapport", path.name


@pytest.mark.browser
def test_report_text_is_dutch_and_links_to_a_map_that_draws_offline(rendered, chromium):
    """Visible text uses decimal commas and the report's map link opens a page that draws its areas with the
    network blocked."""
    _, out = rendered
    outside = []
    with offline_context(chromium, outside, viewport={"width": 1280, "height": 1000}) as context:
        page = context.new_page()
        page.goto((out / "GM0765-pekela.html").as_uri(), wait_until="load")
        assert page.title() == "Preventie in Pekela – Mentaal Gezond Groningen"
        text = page.inner_text("main")
        assert re.findall(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])", text) == []  # no decimal points: "6,5 km", "0,51"
        assert "-0,00" not in text and "−0,00" not in text
        assert "In Pekela wonen 3.105 jongeren van 0 tot 25 jaar (12.175 inwoners in totaal" in text
        page.get_by_text("Open de interactieve kaart van Pekela").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("kaarten/GM0765.html")
        assert page.locator("path.leaflet-interactive").count() >= 2  # both wijken drawn, no tiles needed
        assert page.locator(".leaflet-control-scale-line").first.inner_text().endswith(("km", "m"))
        # switching the layer switches the legend
        page.locator(".leaflet-control-layers-base label", has_text="Behoefte tegen dekking").click()
        assert page.locator('.mgg-legenda [data-laag="Behoefte tegen dekking"]').is_visible()
        assert not page.locator('.mgg-legenda [data-laag="Behoefte-index"]').is_visible()
    assert outside == []


def test_the_pekela_report_prints_its_key_figures(province_analysis):
    """The printed figures are the analysis' own: residents, target group, distance, CBS's own total."""

    rapport = reports.MunicipalityReport(province_analysis, "Pekela")
    summary = rapport.summary()
    assert ("In Pekela wonen 3.105 jongeren van 0 tot 25 jaar (12.175 inwoners in totaal, verdeeld over 2 wijken)."
            in summary)
    key = rapport.key_figures()
    # half of Pekela's young people live within 6,2 km of a site (the mean distances of its two wijken: 5,9 and 7,1 km)
    for cell in ("<td>12.175</td>", "<td>3.105</td>", "<td>6,2 km</td>", "<td>0% (geen locatie binnen bereik)</td>"):
        assert cell in key, cell
    assert "tellen op tot 12.175 inwoners; CBS noemt 12.176 voor de gemeente" in rapport.quality()
    priorities = rapport.priorities()
    assert priorities.index("Wijk 00") < priorities.index("Wijk 01")  # the order the analysis gave
    sources = rapport.sources()
    for table in ("85039NED", "50090NED", "PDOK gebiedsindelingen / CBS Wijk- en buurtkaart 2024"):
        assert table in sources, table
    assert "onbekend" not in sources


def test_rendered_page_one_names_what_the_register_lacks_and_the_youth_section_cites_its_source(rendered):
    """In the rendered HTML: Veendam's youth centre without an age range is named on page 1 (and the hostile name
    added to Pekela's register too, as text); every report has the 16-25 section with its source line."""
    _, out = rendered
    veendam = (out / "GM0047-veendam.html").read_text(encoding="utf-8")
    summary = veendam[veendam.index('<div class="mgg-samenvatting">'):]
    summary = summary[:summary.index("</div>")]
    assert "1 locatie zonder leeftijdsbereik niet meegeteld: Jongerencentrum Break! (deBasis Veendam); vul dit aan " \
           "in het register." in summary
    pekela = (out / "GM0765-pekela.html").read_text(encoding="utf-8")
    # more than two: page 1 counts them (it must stay one A4) and the key figures name them, the hostile one as text
    assert "3 locaties zonder leeftijdsbereik niet meegeteld: hun namen staan onder Kerncijfers; vul dit aan" \
        in pekela
    assert ("<td>3: Club P.kel (Oude Pekela), De Badde (welzijnsorganisatie gemeente Pekela) en "
            "&lt;script&gt;alert('mgg')&lt;/script&gt; &amp; Co; met die plekken meegeteld (voor de hele doelgroep) "
            "zou de dekking ") in pekela
    for page in (veendam, pekela):
        assert "Jongvolwassenen (16–25 jaar)" in page
        assert "Bron: RIVM/GGD'en/CBS, Gezondheidsmonitor Jongvolwassenen 2024 (tabel 50140NED)" in page
        assert " km km" not in page and "&lt;NA&gt;" not in page
    overview = (out / "provincie-groningen.html").read_text(encoding="utf-8")
    assert "Gemeenten gerangschikt naar het aandeel van de doelgroep" in overview
    assert "twee doelen naast elkaar" in overview
    # each small map fills its panel (Pekela as large as Groningen), and the first figure's legend is in the second
    assert overview.count(reports.SMALL_MULTIPLES_SCALE) == 2 and "De legenda staat onder het vervolg." in overview


def _indelingen() -> str:
    text = (settings.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Indelingen"):text.index("## Initiative register")]


def test_readme_lists_the_evidence_order_and_what_each_label_means():
    from mgg_geo.data import crosswalks
    from mgg_geo.present import labels

    section = _indelingen()
    steps = re.findall(r"^(\d)\. \*\*([^*]+)\*\*", section, flags=re.M)
    assert [n for n, _ in steps] == ["1", "2", "3", "4"]
    assert [t for _, t in steps] == ["Identical geometry", "Overlap of both years' geometry", "Fingerprints",
                                     "The merged municipality's average"]
    assert "**CBS's change indicator**" in section.split("\n2. ")[0]  # evidence 1 is either of the two
    # the same order in the code: exact links first, then overlap, fingerprints, the average
    order = [crosswalks.STRENGTH[t] for t in ("geometry", "indicator", "overlap", "fingerprint", "average")]
    assert order == sorted(order) and len(set(order)) == 4
    rows = re.findall(r"^\| ([a-z ]+) \| [^|]+ \| [^|]+ \|$", section, flags=re.M)
    assert rows == ["label"] + list(labels.ORIGINS)


def test_every_report_explains_its_labels_and_names_the_evidence_it_used(province_analysis):
    from mgg_geo.data import regions
    from mgg_geo.present import labels

    readme = _indelingen()
    for code in regions.MUNICIPALITIES:
        rapport = reports.MunicipalityReport(province_analysis, code)
        quality = rapport.quality()
        rows = province_analysis.quality[(province_analysis.quality["report_gemeente"] == code)
                                         & (province_analysis.quality["problem"] != "totals")]
        used = [k for k in labels.ORIGINS if k in {labels.quality_key(r) for r in rows.itertuples()}]
        legend = re.findall(r"<tr><td>([a-z ]+)</td><td>([^<]+)</td></tr>", quality)
        assert [k for k, _ in legend if k in labels.ORIGINS] == used, code
        for key, meaning in legend:
            if key in labels.ORIGINS:
                assert meaning == labels.ORIGINS[key].replace("'", "&#39;") and f"| {key} |" in readme
        note = rapport.key_figures()
        evidence = province_analysis.figures.loc[code, "origins"]["evidence"]
        for tier in evidence:
            assert labels.EVIDENCE[tier] in note, (code, tier)
        if not evidence:  # nothing converted: a plain line, not a warning (an attack found the warning empty)
            assert "gemeente veranderde sindsdien geen grens: elk gebied heeft zijn eigen cijfers" in note, code
            assert "Let op: cijfers uit een andere gebiedsindeling" not in note, code
    note = reports.MunicipalityReport(province_analysis, "Eemsdelta").key_figures()
    assert "omgenummerd: 9 wijken (25.895 inwoners); geschat uit overlap: 8 wijken (19.690 inwoners); " \
           "geen cijfers: 2 wijken (10 inwoners)" in note
    assert "Zonder cijfers: Oosterhorn en Tussengebied." in note


def map_tooltips(fmap) -> dict[str, dict[str, str]]:
    """The tooltip rows of an interactive map page, per area name, read from the page's data block."""
    from mgg_geo.present import webmap

    page = webmap.render(fmap)
    fields = json.loads(re.search(r"mgg\.fields = (\[.*?\]);", page).group(1))
    data = json.loads(re.search(r"mgg\.data = (\{.*?\});mgg\.", page).group(1))
    return {f["properties"]["v"][0]: dict(zip(fields, f["properties"]["v"], strict=True)) for f in data["features"]}


def test_the_eemsdelta_report_shows_each_wijks_own_figures(province_analysis):
    """The figures the issue was about, in the report text and the map tooltips, as in the analysis."""

    rapport = reports.MunicipalityReport(province_analysis, "Eemsdelta")
    trends = rapport.trends()
    for name, values in (("Delfzijl-Centrum", "52,9 → 52,7"), ("Noord", "55,2 → 54,6"),
                         ("Buitengebied Noord-Stedum", "→ 40,8"), ("Appingedam-Centrum", "→ 49,4")):
        cell = re.search(rf"<td>{re.escape(name)}</td>\s*<td>([^<]*)</td>", trends)
        assert cell and values in cell.group(1), (name, cell and cell.group(1))
    assert "gestegen" not in re.search(r"<td>Delfzijl-Centrum</td>\s*<td>([^<]*)</td>", trends).group(1)
    quality = rapport.quality()
    assert "<td>omgenummerd (was WK001001)</td>" in quality
    assert "<td>geen cijfers: het gebied heeft geen inwoners</td>" in quality  # Oosterhorn
    fmap = rapport.interactive_map()
    tooltips = map_tooltips(fmap)
    for name, lonely in (("Delfzijl-Centrum", "52,7%"), ("Noord", "54,6%"), ("Oosterhorn", "–")):
        assert tooltips[name]["Eenzaam (18+)"] == lonely, tooltips[name]
        assert tooltips[name]["Plaatsen"] == ""  # a named wijk: no row of places
    # a wijk named only by its number says where it is, as the report's text does
    pekela = map_tooltips(reports.MunicipalityReport(province_analysis, "Pekela").interactive_map())
    assert (pekela["Wijk 00"]["Plaatsen"], pekela["Wijk 01"]["Plaatsen"]) == ("Oude Pekela",
                                                                            "Nieuwe Pekela en Boven-Pekela")
    # the map page names the tables of its figures, as the report's sources do (it named only the boundaries)
    kwb, rivm = (kinds.get(k).of(province_analysis.sources) for k in ("kwb", "health"))
    assert f"Cijfers: CBS Kerncijfers wijken en buurten {kwb['year']} (tabel {kwb['table_id']}); RIVM/GGD&#x27;en/" \
           f"CBS Gezondheid per wijk en buurt {rivm['year']} (tabel {rivm['table_id']}); locaties: het " \
           "initiatievenregister van Mentaal Gezond Groningen; scholen: DUO." in webmap.render(fmap)
    groningen = reports.MunicipalityReport(province_analysis, "Groningen").trends()
    assert "<td>10.873 → 11.335: grens gewijzigd, niet vergelijkbaar</td>" in groningen  # Hoogkerk e.o.
    assert "Grens gewijzigd, niet vergelijkbaar: de grens van het gebied veranderde" in groningen


def test_the_map_legend_shows_only_the_site_symbols_the_map_draws():
    """Westerkwartier's five places are all placed on their town: its legend explained a filled circle for an exact
    address that its map never drew. Each symbol is explained only when a place is drawn with it."""
    import pandas as pd

    from tests import grid_world

    areas = grid_world.areas()
    layer = webmap.Layer("Dekking", mapclasses.coverage_classes(pd.Series(0.5, areas.index)))
    exact, rough = "rondje: locatie op een exacte plek of adres", "open rondje: plek bij benadering"
    for placements, shown in ((["town", "town"], {rough}), (["address", "address"], {exact}),
                              (["address", "town"], {exact, rough})):
        sites = grid_world.sites([grid_world.centre(0, 0), grid_world.centre(4, 4)], placement=placements)
        page = webmap.render(webmap.interactive(areas, [layer], tooltip={}, sites=sites, title="Proef"))
        legend = page[page.index('<details class="mgg-legenda"'):]
        assert {t for t in (exact, rough) if t in legend} == shown, placements
    # a pink place without an age range at an exact address has its own line: it explains no filled circle
    sites = grid_world.sites([grid_world.centre(0, 0), grid_world.centre(4, 4)], placement=["address", "town"])
    sites["programme"] = [mapclasses.UNCOUNTED, "STORM"]
    page = webmap.render(webmap.interactive(areas, [layer], tooltip={}, sites=sites, title="Proef"))
    legend = page[page.index('<details class="mgg-legenda"'):]
    assert exact not in legend and rough in legend and "roze: " in legend


#: The map object of a folium page (its variable is map_<n>).
MAP = "(() => { for (const k in window) { if (k.startsWith('map_') && window[k] && window[k].getZoom) " \
      "return window[k]; } })()"


@pytest.mark.browser
def test_approximate_sites_are_open_circles_and_exact_ones_filled(tmp_path, chromium):
    """On a map with one site at its exact address and one placed on its town: the first is a filled circle in its
    programme's colour, the second an open (white), dashed circle, as the legend says."""
    import pandas as pd

    from tests import grid_world

    areas = grid_world.areas()
    sites = grid_world.sites([grid_world.centre(0, 0), grid_world.centre(4, 4)], placement=["address", "town"])
    sites["name"] = ["Op adres", "In het dorp"]
    layer = webmap.Layer("Dekking", mapclasses.coverage_classes(pd.Series(0.5, areas.index)))
    fmap = webmap.interactive(areas, [layer],
                              tooltip={}, sites=sites, title="Proef", report_href="../rapport.html")
    path = webmap.save_map(fmap, tmp_path / "kaart.html")
    with offline_context(chromium, [], viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        drawn = page.evaluate(f"""() => {{ const found = {{}};
            {MAP}.eachLayer(l => {{ if (l instanceof L.CircleMarker && l.getTooltip()) {{
              found[l.getTooltip().getContent().textContent] = [l._path.getAttribute('fill'),
                                                                l._path.getAttribute('stroke-dasharray')]; }} }});
            return found; }}""")
        assert drawn["Op adres"] == [mapclasses.PROGRAMME_COLOURS["STORM"], None]
        assert drawn["In het dorp"][0] == "#ffffff" and drawn["In het dorp"][1]  # open and dashed
        assert "open rondje: plek bij benadering" in page.locator(".mgg-legenda").inner_text()
        assert page.locator("a.mgg-terug").get_attribute("href") == "../rapport.html"


@pytest.mark.browser
def test_an_area_tooltip_wraps_its_long_lines_within_the_window(tmp_path, chromium):
    """A long tooltip value (an estimated area's "Gegevens": about 190 characters) wraps: Leaflet's tooltips never
    wrap, and Tuikwerd's ran 1.127 px wide, off a 1.400 px window and under the legend. A row with nothing for an
    area is left out (the places of a wijk named only by its number: "Wijk 00" of Pekela is Oude Pekela)."""
    import pandas as pd

    from tests import grid_world

    areas = grid_world.areas()
    areas["gegevens"] = "volledig; deels geschat: " + "een deel van de cijfers is geschat uit de overlap " * 4
    areas["plaatsen"] = ""  # a row of nothing is left out: only a wijk named by its number says its places
    areas.loc["WK000013", "plaatsen"] = "Ezinge en Feerwerd"
    layer = webmap.Layer("Dekking", mapclasses.coverage_classes(pd.Series(0.5, areas.index)))
    fmap = webmap.interactive(areas, [layer], tooltip={"gegevens": ("Gegevens", None, ""),
                                                       "plaatsen": ("Plaatsen", None, "")}, title="Proef")
    path = webmap.save_map(fmap, tmp_path / "kaart.html")
    with offline_context(chromium, [], viewport={"width": 800, "height": 700}) as context:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        page.locator("path.mgg-gebied").nth(12).hover()
        tip = page.locator(".leaflet-tooltip:not(.mgg-naam)").first
        tip.wait_for(state="visible")
        box = tip.bounding_box()
        assert "deels geschat" in tip.inner_text() and "Plaatsen" not in tip.inner_text()
        assert box["width"] <= 380 and box["x"] >= 0 and box["x"] + box["width"] <= 800, box
        page.mouse.move(0, 0)
        page.locator("path.mgg-gebied").nth(13).hover()
        page.wait_for_function("document.querySelector('.leaflet-tooltip:not(.mgg-naam)') && "
                               "document.querySelector('.leaflet-tooltip:not(.mgg-naam)').innerText"
                               ".includes('Ezinge en Feerwerd')")
        assert "Plaatsen" in page.locator(".leaflet-tooltip:not(.mgg-naam)").first.inner_text()


@pytest.mark.browser
def test_on_a_phone_the_layer_switch_is_a_button_that_leaves_the_title_free(rendered, chromium):
    """Pekela's map 390 px wide: the layer list is closed (open, it covered the title, the way back to the report
    and the zoom buttons) and opens on a tap of its button (or the keyboard); on a wide screen it is open."""
    _, out = rendered

    def overlaps(a, b):
        return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
            a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]

    with offline_context(chromium, [], viewport={"width": 390, "height": 800}) as context:
        page = context.new_page()
        page.goto((out / "kaarten" / "GM0765.html").as_uri(), wait_until="load")
        switch = page.locator(".leaflet-control-layers").bounding_box()
        for other in (".mgg-kop", "a.mgg-terug", ".leaflet-control-zoom"):
            assert not overlaps(switch, page.locator(other).bounding_box()), other
        assert not page.locator(".leaflet-control-layers-list").is_visible()
        page.locator(".leaflet-control-layers-toggle").focus()  # a tap (or the keyboard) opens it
        assert page.locator(".leaflet-control-layers-list").is_visible()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.mouse.click(640, 700)
        assert page.locator(".leaflet-control-layers-list").is_visible()


@pytest.mark.browser
def test_a_square_of_schools_is_green_only_when_every_one_runs_the_programme(tmp_path, chromium):
    """Three schools on one point of which one runs STORM: a green-edged square "×3", as the legend says (it was
    green, "heeft STORM al", as if all three did: Groningen's "×27" held 2 STORM schools); two that both run it: a
    green square; a proposed school among candidates: its step."""
    import geopandas as gpd
    import pandas as pd

    from tests import grid_world

    areas = grid_world.areas()
    points = [grid_world.centre(1, 1)] * 3 + [grid_world.centre(3, 3)] * 2 + [grid_world.centre(1, 3)] * 2
    schools = gpd.GeoDataFrame({"name": [f"School {k}" for k in range(7)], "school_code": [f"0{k}AA" for k in range(7)],
                                "address": "Straat 1", "placement": "address",
                                "runs": [True, False, False, True, True, False, False],
                                "step": [None] * 6 + [1]}, geometry=points, crs="EPSG:28992")
    layer = webmap.Layer("Dekking", mapclasses.coverage_classes(pd.Series(0.5, areas.index)))
    fmap = webmap.interactive(areas, [layer], tooltip={}, schools=schools, title="Proef")
    path = webmap.save_map(fmap, tmp_path / "kaart.html")
    with offline_context(chromium, [], viewport={"width": 1000, "height": 800}) as context:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        squares = page.evaluate("""() => Array.from(document.querySelectorAll('.leaflet-marker-icon .mgg-school'))
            .map(e => [e.className, e.textContent])""")
        assert sorted(set(map(tuple, squares))) == [("mgg-school mgg-school-1", "1"), ("mgg-school mgg-school-2", "×2"),
                                                    ("mgg-school mgg-school-3", "×3")], squares
        legend = page.locator(".mgg-legenda").inner_text()
        assert "scholen dicht bij elkaar, waarvan een deel STORM al heeft" in legend


@pytest.mark.browser
def test_approximate_sites_of_a_real_report_are_open_circles(rendered, chromium):
    """Pekela's map: every site placed approximately (on its area) is drawn as an open, white circle."""
    _, out = rendered
    with offline_context(chromium, [], viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto((out / "kaarten" / "GM0765.html").as_uri(), wait_until="load")
        if page.locator(".leaflet-control-layers-overlays label", has_text="Scholen").count():
            page.locator(".leaflet-control-layers-overlays label", has_text="Scholen").click()  # sites only
        rows = page.evaluate("() => mgg.initiatives.rows.map(r => [r[2], mgg.initiatives.approximate"
                             ".indexOf(r[4]) >= 0])")
        assert any(rough for _, rough in rows)
        for _ in range(6):  # open the clusters until every site is drawn
            if not page.locator(".marker-cluster").count():
                break
            page.locator(".marker-cluster").first.click()
            page.wait_for_timeout(700)
        drawn = page.evaluate(f"""() => {{ const found = {{}};
            {MAP}.eachLayer(l => {{ if (l instanceof L.CircleMarker && l.getTooltip() && l._path) {{
              found[l.getTooltip().getContent().textContent] = l._path.getAttribute('fill'); }} }});
            return found; }}""")
        rough = [name for name, approximate in rows if approximate and name in drawn]
        assert rough and all(drawn[name] == "#ffffff" for name in rough), drawn
        assert all(drawn[name] != "#ffffff" for name, approximate in rows if not approximate and name in drawn)


@pytest.mark.browser
def test_a_cluster_click_zooms_to_street_level_at_most_and_spreads_sites_on_one_point(tmp_path, chromium):
    """Three sites on one point and one 300 m away: a click on their cluster zooms in no further than
    :data:`~mgg_geo.present.webmap.CLUSTER_ZOOM` (not the 30 m scale of the highest zoom), a click on the three on
    one point spreads them out."""
    import pandas as pd
    from shapely.geometry import Point

    from tests import grid_world

    areas = grid_world.areas()
    here = grid_world.centre(2, 2)
    sites = grid_world.sites([here, here, here, Point(here.x + 300, here.y)], placement="area")
    layer = webmap.Layer("Dekking", mapclasses.coverage_classes(pd.Series(0.5, areas.index)))
    fmap = webmap.interactive(areas, [layer],
                              tooltip={}, sites=sites, title="Proef")
    path = webmap.save_map(fmap, tmp_path / "kaart.html")
    with offline_context(chromium, [], viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate(f"() => {MAP}.setZoom(11)")
        page.wait_for_timeout(500)
        assert page.locator(".marker-cluster").count() == 1
        page.locator(".marker-cluster").first.click()
        page.wait_for_timeout(800)
        assert 11 < page.evaluate(f"() => {MAP}.getZoom()") <= webmap.CLUSTER_ZOOM  # closer, never past street level
        for _ in range(4):
            if page.locator("path.mgg-locatie").count() == 4:
                break
            page.locator(".marker-cluster").first.click()
            page.wait_for_timeout(800)
        assert page.locator("path.mgg-locatie").count() == 4  # spread out, not zoomed further
        assert page.evaluate(f"() => {MAP}.getZoom()") <= webmap.CLUSTER_ZOOM


def test_the_papermill_and_nbconvert_route_gives_the_batch_page(rendered, tmp_path):
    """papermill on the report notebook, then ``jupyter nbconvert --to rapport``: the batch's page (title,
    stylesheet, print layout, every section), nothing from the internet; only the map link, which needs the batch's
    map page, differs."""
    import subprocess
    import sys
    from pathlib import Path

    _, out = rendered
    register = out.parent / "register.csv"
    params = {**COMMON.replace(register_path=register).to_notebook(), "gemeente_code": "GM0765",
              "interactive": False, "output_dir": ""}
    (tmp_path / "params.yaml").write_text(json.dumps(params, default=str), encoding="utf-8")  # JSON is YAML
    env = {**os.environ, "MGG_CACHE_DIR": str(out.parent / "cache"), "MGG_HTTP_RETRIES": "0",
           **{n: "http://127.0.0.1:9" for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                                 "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")}}
    bin_dir = Path(sys.executable).parent
    executed = tmp_path / "pekela.ipynb"
    run = subprocess.run([str(bin_dir / "papermill"), str(settings.NOTEBOOK_DIR / "gemeente_rapport.ipynb"),
                          str(executed), "-f", str(tmp_path / "params.yaml"), "--no-progress-bar", "--cwd",
                          str(settings.PROJECT_ROOT)], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    run = subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "rapport", str(executed)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    plain = (tmp_path / "pekela.html").read_text(encoding="utf-8")
    batch = (out / "GM0765-pekela.html").read_text(encoding="utf-8")
    assert "<title>Preventie in Pekela – Mentaal Gezond Groningen</title>" in plain
    assert 'src="http' not in plain and "require.js" not in plain and "mathjax" not in plain.lower()
    assert "GM0765 2 " not in plain  # the audit cell's output (remove-cell) is not on the page
    link = re.compile(r'<p class="mgg-kaartlink">.*?</p>\n?', flags=re.S)
    assert link.search(batch) and not link.search(plain)
    made = re.compile(r"\d{1,2} \w+ \d{4}, \d\d:\d\d \((?:CET|CEST)\)")  # "gemaakt op": each run its own minute
    assert len(made.findall(plain)) >= 2
    assert made.sub("", link.sub("", batch)) == made.sub("", plain)
