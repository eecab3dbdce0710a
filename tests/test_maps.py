"""Map classes and colours: colour-blind safe, comparable, complete legends."""
import itertools

import numpy as np
import pandas as pd
import pytest
from colorspacious import cspace_convert

from mgg_geo.present import mapclasses

#: Minimum perceptual distance (CAM02-UCS, Delta E) between any two classes, for every simulated viewer.
MIN_DELTA_E = 10.0
VIEWERS = [None, "deuteranomaly", "protanomaly", "tritanomaly"]


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0


def _seen(colours: list[str], viewer: str | None) -> np.ndarray:
    rgb = np.array([_rgb(c) for c in colours])
    if viewer is not None:  # full severity: dichromacy, the hardest case
        rgb = np.clip(cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": viewer, "severity": 100}, "sRGB1"), 0, 1)
    return cspace_convert(rgb, "sRGB1", "CAM02-UCS")


@pytest.mark.parametrize("viewer", VIEWERS, ids=[v or "normal" for v in VIEWERS])
@pytest.mark.parametrize("name, colours", [
    ("bivariate", [mapclasses.BIVARIATE[n][c] for n in (1, 2, 3) for c in (1, 2, 3)]),
    ("need", list(mapclasses.DIVERGING)),
    ("coverage", list(mapclasses.COVERAGE_CLASS_COLOURS.values())),
    ("distance", list(mapclasses.DISTANCE_COLOURS)),
])
def test_every_pair_of_classes_stays_distinguishable(name, colours, viewer):
    seen = _seen(colours, viewer)
    worst = min(np.linalg.norm(seen[i] - seen[j]) for i, j in itertools.combinations(range(len(colours)), 2))
    assert worst >= MIN_DELTA_E, f"{name}: two classes are only {worst:.1f} apart for {viewer or 'normal'} vision"


def test_high_need_low_coverage_is_the_most_salient_cell():
    """3-1 is the darkest cell and the farthest from the light corner (low need, high coverage)."""
    cells = {(n, c): mapclasses.BIVARIATE[n][c] for n in (1, 2, 3) for c in (1, 2, 3)}
    seen = dict(zip(cells, _seen(list(cells.values()), None), strict=True))
    lightness = {k: v[0] for k, v in seen.items()}
    assert min(lightness, key=lightness.get) == (3, 1)
    distance = {k: np.linalg.norm(v - seen[(1, 3)]) for k, v in seen.items()}
    assert max(distance, key=distance.get) == (3, 1)
    assert mapclasses.BIVARIATE[3][1] == "#000000" and mapclasses.BIVARIATE[1][3] == "#f3f3f3"  # Brewer's corners


def test_bivariate_legend_has_all_nine_classes_and_unranked_is_hatched():
    classes = mapclasses.bivariate_classes(pd.Series([3.0, np.nan, 1.0]), pd.Series([1.0, 2.0, 3.0]))
    assert len(classes.legend) == 9 and len({c for c, _ in classes.legend}) == 9
    assert classes.legend[0] == ("#000000", "Hoge behoefte, lage dekking")
    assert classes.colours.tolist() == ["#000000", None, "#f3f3f3"] and classes.no_data == "niet gerangschikt"


def test_need_classes_are_centred_at_zero_and_symmetric():
    bins = [-0.8, -0.4, 0.0, 0.4, 0.8, 2.0]
    values = pd.Series([-1.0, -0.8, -0.5, -0.01, 0.0, 0.01, 0.39, 0.41, 0.9, np.nan])
    classes = mapclasses.need_classes(values, bins)
    index = {c: i for i, c in enumerate(mapclasses.DIVERGING)}
    assert [index.get(c) for c in classes.colours] == [0, 0, 1, 2, 2, 3, 3, 4, 5, None]
    names = [text for _, text in classes.legend]  # the most need on top, in words with the bounds
    assert [colour for colour, _ in classes.legend] == list(mapclasses.DIVERGING)[::-1]
    assert names[0] == "ver boven het gemiddelde: hoger dan 0,80"
    assert names[-1] == "ver onder het gemiddelde: −0,80 of lager"
    assert names[2] == "iets boven het gemiddelde: 0 tot 0,40" and names[3] == "iets onder het gemiddelde: −0,40 tot 0"
    assert "klassen van de provincie" in classes.title and "0 is het gemiddelde van de provincie" in classes.title
    assert "binnen de gemeente" in mapclasses.need_classes(values, bins, scope="gemeente").title


def test_distance_classes_break_at_1_3_and_5_km():
    km = pd.Series([0.0, 1.0, 1.01, 3.0, 3.01, 5.0, 5.01, np.nan])
    classes = mapclasses.distance_classes(km)
    index = {c: i for i, c in enumerate(mapclasses.DISTANCE_COLOURS)}
    assert [index.get(c) for c in classes.colours] == [0, 0, 1, 1, 2, 2, 3, None]
    assert [t for _, t in classes.legend] == ["tot 1 km", "1 tot 3 km", "3 tot 5 km", "meer dan 5 km"]


def test_coverage_classes_are_fixed_thirds():
    reach = pd.Series([0.0, 0.33, 1 / 3, 0.66, 2 / 3, 1.0])
    colours = mapclasses.coverage_classes(reach).colours.map(
        {v: k for k, v in mapclasses.COVERAGE_CLASS_COLOURS.items()})
    assert colours.tolist() == [1, 1, 2, 2, 3, 3]


def test_the_trend_chart_prints_each_tick_as_what_it_is(monkeypatch):
    """The y-axis ticks of the trend chart are whole numbers, printed as such: a step of 2,5 from 32,5 to 52,5 was
    printed '32, 35, 38, 40, …' (37,5 as 38; review of Midden-Groningen)."""
    from mgg_geo.present import maps

    monkeypatch.setattr(maps, "_figure", lambda fig, *args, **kwargs: fig)
    series = pd.DataFrame({"code": ["WK000001"] * 2 + ["WK000002"] * 2, "indicator": "lonely",
                           "year": [2016, 2020] * 2, "value": [32.5, 33.0, 50.0, 52.5], "estimated": False})
    changes = pd.DataFrame({"code": ["WK000001", "WK000002"], "indicator": "lonely", "verdict": ["none", "up"],
                            "change": [0.5, 2.5]})
    fig = maps.slope_chart(series, changes, pd.Series({"WK000001": "A", "WK000002": "B"}), indicator="lonely",
                           title="Eenzaam (18+)")
    try:
        ax = fig.axes[0]
        fig.canvas.draw()
        lo, hi = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
        assert len(ticks) >= 3 and all(float(t).is_integer() for t in ticks), ticks
        printed = [label.get_text() for label, t in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
                   if lo <= t <= hi]
        assert printed == [f"{t:.0f}" for t in ticks]
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_extra_coverage_of_exactly_two_thirds_is_in_the_class_its_legend_names():
    """A bound belongs to the class above it, as in the coverage classes: 2/3 extra is "twee derde of meer erbij"
    (Scheemda-Heiligerlee gains 1.020 of 1.530 and was drawn "een tot twee derde"; review of Oldambt)."""
    from mgg_geo import rules
    from mgg_geo.analysis.coverage import coverage_class

    gain = pd.Series([0.0, 0.2, 1 / 3, 0.5, 1020 / 1530, 1.0])
    classes = mapclasses.gain_classes(gain)
    colours = dict((text, colour) for colour, text in classes.legend)
    names = [next(t for t, c in colours.items() if c == colour) for colour in classes.colours]
    assert names[0] == "geen extra dekking"
    assert [n.split(" erbij")[0] for n in names[1:]] == ["tot een derde", "een tot twee derde", "een tot twee derde",
                                                          "twee derde of meer", "twee derde of meer"]
    assert coverage_class(gain[1:]).tolist() == [1.0, 2.0, 2.0, 3.0, 3.0]  # the same bounds, the same side
    assert rules.COVERAGE_BREAKS == (1 / 3, 2 / 3)


def test_small_multiples_give_every_panel_its_own_scale_bar(monkeypatch):
    """Each municipality fills its panel, so a 2 km square and a 20 km square are drawn the same size: every panel
    carries a scale bar, whose lengths then differ by about the factor of ten."""
    import geopandas as gpd
    from matplotlib_scalebar.scalebar import ScaleBar
    from shapely.geometry import box

    from mgg_geo.present import maps

    areas = gpd.GeoDataFrame({"gemeente_code": ["GM0765", "GM0014"], "need_class": [3.0, 1.0],
                              "coverage_class": [1.0, 3.0]},
                             geometry=[box(0, 0, 2_000, 2_000), box(50_000, 0, 70_000, 20_000)], crs="EPSG:28992")
    drawn = []
    monkeypatch.setattr(maps, "_figure", lambda fig, alt, caption="": drawn.append(fig))
    maps.small_multiples(areas, codes=["GM0765", "GM0014"], legend=False)
    panels = [ax for ax in drawn[0].axes if getattr(ax, "_mgg_map", False)]
    bars = [[a for a in ax.artists if isinstance(a, ScaleBar)] for ax in panels]
    assert [len(b) for b in bars] == [1, 1]
    spans = [ax.get_xlim()[1] - ax.get_xlim()[0] for ax in panels]
    assert spans[1] / spans[0] == pytest.approx(10, rel=0.05)  # the same panel width, ten times the metres


def test_a_priority_label_covers_no_other_area_it_is_told_to_avoid():
    """Eemsdelta's "3 Tuikwerd" covered the three Appingedam wijken of high need and low coverage: a label moves
    (with a leader) off the centres it must avoid, and without them stays on its own point."""
    import matplotlib.pyplot as plt

    from mgg_geo.present import maps

    def placed(avoid):
        fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
        ax.set_xlim(0, 10_000)
        ax.set_ylim(0, 10_000)
        fig.canvas.draw()
        label = maps.place_labels(ax, [(5_000, 5_000, "3 Tuikwerd", {"fontsize": 9})], keep_all=True,
                                  avoid=avoid)[0]
        box = maps._text_box(label, fig.canvas.get_renderer())
        covered = [box.contains(*ax.transData.transform(p)) for p in avoid]
        plt.close(fig)
        return label.xyann, covered

    assert placed([]) == ((0, 0), [])
    offset, covered = placed([(4_700, 5_000), (5_300, 5_000)])  # left and right of its point, under the text
    assert offset != (0, 0) and covered == [False, False]


def test_area_names_with_dollar_signs_are_drawn_as_text_not_math():
    """Matplotlib reads text between two ``$`` as math: an area named "Wijk $\\frac{1}$" (any name a boundaries
    file carries) stopped the report with a parser error, and "Noord $5 tot $10" came out in italics (attack on
    the boundaries import). The maps take every text literally; math elsewhere is left as it was."""
    import matplotlib

    from mgg_geo.present import maps
    from tests import grid_world as grid

    areas = grid.areas()
    areas["name"] = ["Wijk $\\frac{1}$", "Noord $5 tot $10"] + list(areas["name"][2:])
    areas["population"] = 5000.0  # large enough to be labelled
    classes = mapclasses.need_classes(pd.Series(np.linspace(-1, 1, 25), index=areas.index), (-0.5, 0.5))
    figure = maps.class_map(areas, classes, title="Behoefte $x$", code="GM0000")
    assert figure.width > 0
    assert matplotlib.rcParams["text.parse_math"]  # only the map's own texts are plain
