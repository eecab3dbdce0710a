import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from mgg_geo.data import catalogue


def test_match_across_editions_and_formats():
    columns = ["ID", "HuishoudensMetEenLaagInkomen_89", "AantalInwoners_5", "GemiddeldeWoningwaarde_35"]
    assert catalogue.match_columns(columns, catalogue.KWB_CONCEPTS) == {
        "population": "AantalInwoners_5", "woz_value": "GemiddeldeWoningwaarde_35",
        "low_income_share": "HuishoudensMetEenLaagInkomen_89"}
    older = ["HuishoudensMetEenLaagInkomen_72", "AantalInwoners_5"]
    assert catalogue.match_columns(older, catalogue.KWB_CONCEPTS)["low_income_share"].endswith("_72")


def test_match_by_title_with_non_breaking_space():
    titles = {"X_1": "Huish. onder of rond sociaal minimum\xa0", "X_2": "Gemiddeld inkomen per inwoner\xa0"}
    assert catalogue.match_columns(list(titles), catalogue.KWB_CONCEPTS, titles) == {"social_minimum_share": "X_1"}


def test_severe_loneliness_is_not_mistaken_for_loneliness():
    got = catalogue.match_columns(["ErnstigZeerErnstigEenzaam_29", "Eenzaam_28"], catalogue.HEALTH_CONCEPTS)
    assert got == {"lonely": "Eenzaam_28", "severely_lonely": "ErnstigZeerErnstigEenzaam_29"}


def test_ratio_indicators_by_hand():
    frame = pd.DataFrame({"social_assistance": [50.0, np.nan, 10.0], "population": [1000.0, 500.0, 0.0],
                          "social_assistance__suppressed": [False, True, False]})
    out = catalogue.compute_indicators(frame, [catalogue.INDICATOR_BY_KEY["social_assistance_per_1000"]])
    assert out["social_assistance_per_1000"].iloc[0] == 50.0
    assert np.isnan(out["social_assistance_per_1000"].iloc[1]) and out["social_assistance_per_1000__suppressed"].iloc[1]
    assert np.isnan(out["social_assistance_per_1000"].iloc[2])  # zero population: missing, not inf


@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(0, 1e5)), st.one_of(st.none(), st.floats(1, 1e5))),
                min_size=1, max_size=20))
def test_property_nan_input_never_gives_a_number(pairs):
    frame = pd.DataFrame({"one_person_households": [a if a is not None else np.nan for a, _ in pairs],
                          "households": [b if b is not None else np.nan for _, b in pairs]})
    out = catalogue.compute_indicators(frame)["one_person_share"]
    for (a, b), value in zip(pairs, out, strict=True):
        assert np.isnan(value) == (a is None or b is None)


def test_every_indicator_refers_to_known_concepts_and_domains():
    for ind in catalogue.INDICATORS:
        assert ind.domain in catalogue.DOMAINS
        assert all(c in catalogue.CONCEPTS for c in ind.concepts)
        assert ind.direction in (-1, 1)
