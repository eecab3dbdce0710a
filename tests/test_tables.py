"""Missing markers, decimal commas and plausibility on small synthetic tables."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgg_geo.data import catalogue, tables
from mgg_geo.errors import DataError


def test_every_missing_marker_is_nan_and_flagged_never_zero():
    raw = pd.Series(["  12.5", "       .", "", None, "-99999999", "-99999997", "-99997", "0", "3,4"])
    values, flag = tables.parse_values(raw)
    assert values.iloc[0] == 12.5 and values.iloc[7] == 0.0 and values.iloc[8] == pytest.approx(3.4)
    assert values.iloc[1:7].isna().all()
    assert flag.tolist() == [False] + [True] * 6 + [False, False]


def test_numeric_null_and_sentinel():
    values, flag = tables.parse_values(pd.Series([1.0, np.nan, -99999999.0]))
    assert values.iloc[0] == 1.0 and values.iloc[1:].isna().all()
    assert flag.tolist() == [False, True, True]


def test_bad_cell_names_column_and_row():
    with pytest.raises(DataError, match=r"kwb.csv: column 'a_inw'.*row 3: 'abc'"):
        tables.parse_values(pd.Series(["1", "abc"]), column="a_inw", origin="kwb.csv")


@given(st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([".", "", None, "-99999999"])),
                min_size=1, max_size=30))
def test_property_missing_never_becomes_a_number(cells):
    raw = pd.Series([None if c is None else str(c) for c in cells], dtype=object)
    values, flag = tables.parse_values(raw)
    for cell, value, suppressed in zip(cells, values, flag, strict=True):
        if isinstance(cell, float) and cell not in tables.SENTINELS:
            assert value == pytest.approx(cell) and not suppressed
        else:
            assert np.isnan(value) and suppressed


def _raw():
    return pd.DataFrame({
        "gwb_code": ["GM0014    ", "WK001400  ", "WK036300", "BU00140000", "NL01  "],
        "regio": ["Groningen", "Centrum", "Amsterdam-wijk", "Binnenstad", "Nederland"],
        "a_inw": ["230000", "23065", "5", ".", "17000000"],
        "p_hh_lkk": ["11,8", "14.9", "1", "", "8.0"],
    })


def test_tidy_keeps_province_and_reference_rows():
    raw = _raw()
    mapping = catalogue.match_columns(list(raw.columns), catalogue.KWB_CONCEPTS)
    assert mapping == {"population": "a_inw", "low_income_share": "p_hh_lkk"}
    tidy = tables.tidy_table(raw, code_column="gwb_code", mapping=mapping, names=raw["regio"], origin="t")
    assert tidy["code"].tolist() == ["GM0014", "WK001400", "BU00140000", "NL01"]
    assert tidy["level"].tolist() == ["gemeente", "wijk", "buurt", "land"]
    assert tidy.loc[0, "low_income_share"] == pytest.approx(11.8)
    assert np.isnan(tidy.loc[2, "population"]) and tidy.loc[2, "population__suppressed"]


def test_percentage_above_100_is_refused_as_lost_decimal():
    raw = _raw().assign(p_hh_lkk=["118", "149", "1", "", "80"])
    mapping = catalogue.match_columns(list(raw.columns), catalogue.KWB_CONCEPTS)
    with pytest.raises(DataError, match="outside 0-100.*lost its decimal"):
        tables.tidy_table(raw, code_column="gwb_code", mapping=mapping, origin="t")
