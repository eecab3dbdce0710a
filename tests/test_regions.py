import pytest

from mgg_geo.data import regions
from mgg_geo.errors import MggError, RegionError


def test_normalise_strips_cbs_padding():
    assert regions.normalise_code("GM0014    ") == "GM0014"
    assert regions.normalise_code(" wk001400  ") == "WK001400"
    assert regions.normalise_code(None) == ""


@pytest.mark.parametrize("code, level, gm", [
    ("GM0014", "gemeente", "GM0014"),
    ("WK195003", "wijk", "GM1950"),
    ("BU19690402", "buurt", "GM1969"),
    ("BU0363AB01", "buurt", "GM0363"),  # letters allowed since 2023
])
def test_level_and_municipality(code, level, gm):
    assert regions.level_of(code) == level
    assert regions.municipality_of(code) == gm


def test_westerwolde_and_westerkwartier_not_swapped():
    assert regions.MUNICIPALITIES["GM1950"] == "Westerwolde"
    assert regions.MUNICIPALITIES["GM1969"] == "Westerkwartier"
    assert len(regions.MUNICIPALITIES) == 10


@pytest.mark.parametrize("value, expected", [
    ("GM0014", "GM0014"), ("gm0014", "GM0014"), ("14", "GM0014"), ("0765", "GM0765"),
    ("Groningen", "GM0014"), ("midden groningen", "GM1952"), ("Het Hogeland", "GM1966"), ("eemsdelta", "GM1979"),
])
def test_resolve_municipality(value, expected):
    assert regions.resolve_municipality(value) == expected


def test_unknown_municipality_lists_valid_ones_and_suggests():
    with pytest.raises(RegionError) as err:
        regions.resolve_municipality("Westerwold")
    text = str(err.value)
    assert "Did you mean GM1950 Westerwolde?" in text
    assert "GM1979 Eemsdelta" in text and "GM0014 Groningen" in text
    assert isinstance(err.value, MggError)


def test_former_municipality_points_to_eemsdelta():
    with pytest.raises(RegionError, match="merged into GM1979 Eemsdelta"):
        regions.resolve_municipality("GM0010")


def test_outside_province_is_refused():
    with pytest.raises(RegionError, match="Unknown municipality 'GM0363'"):
        regions.resolve_municipality("GM0363")


def test_malformed_code():
    with pytest.raises(RegionError, match="not a CBS area code"):
        regions.level_of("XX12")


def test_resolve_all():
    assert regions.resolve_municipalities("all") == list(regions.MUNICIPALITIES)
    assert regions.resolve_municipalities(["Pekela", "GM0765", "Veendam"]) == ["GM0765", "GM0047"]
    assert regions.in_province("BU00030000") and not regions.in_province("BU00030000", include_former=False)
