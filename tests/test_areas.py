import pytest

from mgg_geo import areas, regions
from mgg_geo.errors import MggWarning

pytestmark = pytest.mark.shared


def test_area_frame_from_shared_data_at_wijk_level(use_imported):
    with pytest.warns(MggWarning, match="using those of 2024"):
        af = areas.build("wijk", offline=True)
    frame = af.areas
    assert len(frame) == 123 and frame.crs.to_epsg() == 28992
    assert set(frame["gemeente_code"]) == set(regions.MUNICIPALITIES)
    assert af.sources["kwb"]["year"] == 2021 and af.sources["health"]["year"] == 2020
    assert af.sources["boundaries"]["year"] == 2024
    # Eemsdelta (formed 2021) has no RIVM 2020 codes: each of its 19 wijken is in the quality table
    missing_health = af.quality[af.quality["source"] == "RIVM 2020"]
    eemsdelta = [c for c in missing_health["code"] if c.startswith("WK1979")]
    assert len(eemsdelta) == 19
    assert frame.loc[eemsdelta, "lonely"].isna().all()
    # and the old codes of Appingedam/Delfzijl/Loppersum are reported, not silently dropped
    assert any(c.startswith(("WK0003", "WK0010", "WK0024")) for c in missing_health["code"])
    # indicators computed, missing stays missing
    assert frame.loc["WK001411", "social_assistance_per_1000"] == pytest.approx(970 / 15870 * 1000)
    assert frame["youth_15_24"].notna().sum() >= 120


def test_area_frame_for_one_municipality(use_imported):
    with pytest.warns(MggWarning):
        af = areas.build("wijk", municipalities="Pekela", offline=True)
    assert list(af.areas.index) == ["WK076500", "WK076501"]
