import pytest

from mgg_geo import cli


def test_unknown_municipality_is_a_clean_error(capsys):
    with pytest.raises(SystemExit):
        cli.main(["nonsense"])


def test_import_error_exits_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "kwb-2021.csv"
    path.write_bytes(b"\x00\x01garbage")
    assert cli.main(["import", "kwb", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "binary" in err and "Traceback" not in err


def test_status_of_empty_cache(capsys):
    assert cli.main(["data", "status"]) == 0
    assert "is empty" in capsys.readouterr().out


@pytest.mark.shared
def test_import_shared_then_status_lists_10_municipalities_and_wijken(shared_data, capsys):
    assert cli.main(["import", "shared", str(shared_data)]) == 0
    assert cli.main(["data", "status", "--areas"]) == 0
    out = capsys.readouterr().out
    for code in ("GM0014", "GM0037", "GM0047", "GM0765", "GM1895", "GM1950", "GM1952", "GM1966", "GM1969",
                 "GM1979"):
        assert f"\n{code}  " in out and f"\n{code} " in out
    assert "GM1950 Westerwolde (10 wijken)" in out and "    WK195003  Wijk 03 Sellingen" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("kwb") and "85039NED" in line)
    assert row[:4] == ["kwb", "85039NED", "2021", "2021"]  # source, table, year, indeling
    assert "kwb_2024_85984NED" in out and "kwb_2021_85039NED" in out.split("On another indeling")[1]


@pytest.mark.replay
@pytest.mark.shared
def test_fetch_twice_second_run_makes_no_requests(replay, capsys):
    assert cli.main(["data", "fetch", "--boundary-year", "2024"]) == 0
    first = len(replay.requests)
    assert cli.main(["data", "fetch", "--boundary-year", "2024"]) == 0
    assert len(replay.requests) == first
    out = capsys.readouterr().out
    assert "KWB: Kerncijfers wijken en buurten 2021 (85039NED, 2021)" in out
