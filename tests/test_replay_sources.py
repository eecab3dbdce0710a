"""The live CBS/RIVM/PDOK code paths, end to end, against the local replay server."""

import pytest

from mgg_geo.data import cache, sources
from mgg_geo.errors import MggWarning, SourceError

pytestmark = [pytest.mark.replay, pytest.mark.shared]


def test_kwb_live_paging_filter_mapping_and_cache(replay):
    data = sources.kwb(2024)
    frame, m = data.frame, data.manifest
    # server-side filter: only the province (10 gemeenten + 123 wijken of the 3,735 national rows)
    assert frame["level"].value_counts().to_dict() == {"wijk": 123, "gemeente": 10}
    assert set(frame["gemeente_code"]) == set(settings_municipalities())
    # paging: the national WijkenEnBuurten dimension came in 38 pages of 100 via odata.nextLink
    assert replay.count("/85984NED/WijkenEnBuurten") == 38
    # column mapping through DataProperties, with units and the real Modified date
    assert m["columns"]["population"] == {"column": "AantalInwoners_5", "title": "Aantal inwoners", "unit": "aantal"}
    assert m["modified"] == "2025-03-27T02:00:00" and m["map_year"] == 2024
    # the partial 2024 table publishes no income: absent, not zero
    assert "low_income_share" in m["absent"] and "low_income_share" not in frame
    gm = frame.set_index("code").loc["GM1979"]
    assert gm["population"] == 45106 and gm["name"] == "Eemsdelta"
    # select: only the needed columns were asked for
    data_request = next(r for r in replay.requests if "TypedDataSet" in r)
    assert "%24select=WijkenEnBuurten%2CAantalInwoners_5" in data_request and "%24filter=substring" in data_request
    # second run: zero requests
    before = len(replay.requests)
    again = sources.kwb(2024, municipalities=["GM0014"])
    assert len(replay.requests) == before
    assert set(again.frame["gemeente_code"]) == {"GM0014"}
    # --refresh downloads again
    sources.kwb(2024, refresh=True)
    assert len(replay.requests) > before


def settings_municipalities():
    from mgg_geo.data import regions
    return regions.MUNICIPALITIES


def test_default_year_is_newest_with_income_across_editions(replay):
    data = sources.kwb()
    assert data.manifest["year"] == 2021 and data.manifest["table_id"] == "85039NED"
    # 2021 metadata uses other suffixes and the older WOZ key: found by prefix/title
    assert data.manifest["columns"]["woz_value"]["column"] == "GemiddeldeWoningwaarde_46"
    assert data.manifest["columns"]["low_income_share"]["column"] == "HuishoudensMetEenLaagInkomen_96"
    frame = data.frame.set_index("code")
    assert frame.loc["GM0014", "low_income_share"] == pytest.approx(11.8)
    assert frame.loc["WK001411", "social_assistance"] == 970
    suppressed = frame["low_income_share__suppressed"]
    assert suppressed.sum() == 7 and frame.loc[suppressed, "low_income_share"].isna().all()
    assert replay.count("/86165NED/") == 1 and replay.count("/85618NED/") == 1  # 404s: not published
    before = len(replay.requests)
    assert sources.kwb().manifest["year"] == 2021
    assert len(replay.requests) == before


def test_health_live_dataderden(replay):
    data = sources.health(2020, indeling=2020)
    assert (data.manifest["table_id"], data.indeling) == ("50090NED", 2020)
    frame = data.frame
    assert set(frame["age_group"]) == {"18+", "65+"}
    assert frame.groupby("age_group")["lonely__suppressed"].sum().to_dict() == {"18+": 47, "65+": 87}
    request = next(r for r in replay.requests if "TypedDataSet" in r)
    assert "Marges+eq+%27MW00000%27" in request and "Perioden+eq+%272020JJ00%27" in request
    assert replay.count("/dataderden/") == len(replay.requests)


def test_boundaries_live_wfs_paging(replay):
    data = sources.boundaries(2024, "buurt")
    assert len(data.frame) == 635 and data.frame.crs.to_epsg() == 28992
    assert data.manifest["pages"] == 13  # 635 features in pages of 50
    assert data.frame.set_index("code").loc["BU19500300", "name"] == "Sellingen"
    before = len(replay.requests)
    sources.boundaries(2024, "buurt")
    assert len(replay.requests) == before


# ---------------------------------------------------------------- faults: clear error, cache as it was


@pytest.mark.parametrize("kind, match, message", [
    ("http500", "TypedDataSet", "HTTP 500"),
    ("timeout", "TypedDataSet", "no answer within"),
    ("truncate", "TypedDataSet", "not the expected JSON"),
    ("loop", "WijkenEnBuurten", "loop"),
])
def test_faults_give_clear_errors_and_leave_cache(replay, kind, match, message):
    sources.boundaries(2024, "wijk")  # something already cached
    before = cache.snapshot()
    replay.fault(kind, match, delay=3.0)
    with pytest.raises(SourceError) as err:
        sources.kwb(2024)
    text = str(err.value)
    assert message in text and "85984NED" in text and "Offline route" in text and "mgg-geo import kwb" in text
    assert err.value.url and err.value.url.startswith(replay.url)
    assert cache.snapshot() == before


def test_missing_column_is_named(replay):
    replay.fault("drop", "DataProperties", arg="HuishoudensMetEenLaagInkomen")
    with pytest.raises(SourceError, match=r"lacks wanted column\(s\): low_income_share"):
        sources.kwb(2024)
    assert cache.entries() == []


def test_retry_recovers_from_one_error(replay):
    replay.fault("http500", "TypedDataSet", times=1)
    assert len(sources.kwb(2024).frame) == 133


def test_outage_falls_back_to_cached_copy_with_warning(replay):
    first = sources.kwb(2024)
    replay.fault("http500", "")
    with pytest.warns(MggWarning, match=r"Using the cached copy of kwb_2024_85984NED retrieved 20\d\d-"):
        again = sources.kwb(2024, refresh=True)
    assert again.manifest["sha256"] == first.manifest["sha256"]


def test_unreachable_service_names_url_and_offline_route():
    with pytest.raises(SourceError, match=r"No connection to 127\.0\.0\.1:9 .*http://127\.0\.0\.1:9/.*Offline route"):
        sources.boundaries(2024, "wijk")


# ---------------------------------------------------------------- editions and indelingen, live


def test_live_area_frame_prefers_the_health_edition_on_the_boundary_indeling(replay):
    from mgg_geo.data import areas

    frame = areas.build("wijk")
    m = frame.sources
    assert (m["kwb"]["table_id"], m["boundaries"]["year"]) == ("85039NED", 2024)
    assert replay.count("/gebiedsindelingen/2021/") >= 1  # the KWB year's boundaries were asked for first (404)
    # 50150NED holds 2020 on the 2024 indeling: preferred over 50090NED (2020), so nothing is converted
    assert (m["health"]["table_id"], m["health"]["year"], m["health"]["indeling"]) == ("50150NED", 2020, 2024)
    assert m["health"]["columns"]["lonely"]["column"] == "Eenzaamheid_12"  # found by its title only
    assert m["health"]["columns"]["anxiety_depression_high"]["column"] == "HoogRisicoOpAngstOfDepressie_14"
    assert frame.crosswalks["RIVM 2020"].method == "identity"
    assert replay.count("/50090NED/TypedDataSet") == 0
    # KWB 2021 reaches the 2024 wijken through live fingerprints (2021 and 2024 tables, CBS's indicator mapped)
    assert m["kwb"]["columns"]["boundary_change"]["column"].startswith("IndelingswijzigingGemeenteWijkBuurt_")
    cw = frame.crosswalks["KWB 2021"]
    assert cw.method == "fingerprint" and {i["name"] for i in cw.inputs} >= {"kwb_2021_85039NED", "kwb_2024_85984NED"}
    assert frame.areas.loc["WK196608", ["name", "population"]].tolist() == ["Bedum", 10495]
    assert frame.totals["ok"].all()


def test_live_health_from_the_2022_edition_is_converted(replay):
    from mgg_geo.data import areas, sources

    withdrawn = replay.withdraw("dataderden", "50150NED")
    try:
        data = sources.health(2020, level="wijk", indeling=2024)
        assert (data.manifest["table_id"], data.indeling) == ("50120NED", 2022)
        assert data.manifest["columns"]["lonely"]["column"] == "Eenzaam_27"
        assert data.manifest["columns"]["making_ends_meet"]["column"] == "MoeiteMetRondkomen_33"
        frame = areas.build("wijk", boundary_year=2024, health_year=2020)
    finally:
        replay.publish("dataderden", withdrawn)
    cw = frame.crosswalks["RIVM 2020"]
    assert (cw.source, cw.target, cw.method) == (2022, 2024, "fingerprint")
    rel = frame.vintages.query("source == 'RIVM 2020'").set_index("code")["relation"]
    assert rel["WK001400"] == "same" and rel["WK001409"] == "reshaped"  # Nieuw-West changed after 2022
    health = sources.health(2020, level="wijk").frame.query("age_group == '18+'").set_index("code")
    assert frame.areas.loc["WK001400", "lonely"] == health.loc["WK001400", "lonely"]


def test_health_default_year_skips_periods_a_table_does_not_hold(replay):
    data = sources.health(level="wijk", indeling=2024)
    assert (data.manifest["year"], data.manifest["table_id"]) == (2020, "50150NED")
    assert replay.count("Perioden+eq+%272024JJ00%27") >= 1 and replay.count("Perioden+eq+%272022JJ00%27") >= 1
