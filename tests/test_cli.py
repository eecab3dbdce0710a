"""The command line: every bad argument gets one line and the documented exit code.

The table of bad arguments runs in process (``cli.main``, the function the ``mgg-geo`` script calls); a few
tests run the real ``python -m mgg_geo`` in a fresh process to show the entry point behaves the same.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

from mgg_geo import cli

README_EXIT_CODES = (0, 1, 2)


def run(args, tmp_path, **env):
    """``python -m mgg_geo`` in a fresh process, with an empty cache and no reachable service."""
    environ = {**os.environ, "MGG_CACHE_DIR": str(tmp_path / "cache"), "MGG_HTTP_RETRIES": "0",
               **{n: "http://127.0.0.1:9" for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                                     "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")}, **env}
    return subprocess.run([sys.executable, "-m", "mgg_geo", *args], capture_output=True, text=True, cwd=tmp_path,
                          env=environ, timeout=120)


def one_error_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "a_file.txt").write_text("not a folder")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o500)
    (tmp_path / "table.csv").write_text("code;naam\nWK001400;Centrum\n", encoding="utf-8")
    yield tmp_path
    readonly.chmod(0o700)


#: (arguments, option or file the message must name)
BAD = [
    (["analyse", "--out", "x.gpkg", "--reference-date", "2026-02-30"], "--reference-date"),
    (["analyse", "--out", "x.gpkg", "--reference-date", ""], "--reference-date"),
    (["reports", "--workers", "-1"], "--workers"),
    (["reports", "--workers", "0"], "--workers"),
    (["reports", "--workers", "many"], "--workers"),
    (["reports", "--out", "a_file.txt", "--offline"], "--out"),
    (["analyse", "--out", "a_file.txt/areas.gpkg"], "--out"),
    (["analyse", "--out", "areas.txt"], "--out"),
    (["analyse", "--out", "missing/areas.gpkg"], "--out"),
    (["reports", "--gemeente", ""], "--gemeente"),
    (["reports", "--gemeente", "Nergenshuizen"], "--gemeente"),
    (["analyse", "--out", "x.gpkg", "--gemeente", "GM0003"], "--gemeente"),
    (["analyse", "--out", "x.gpkg", "--draws", "-5"], "--draws"),
    (["analyse", "--out", "x.gpkg", "--draws", "1e3"], "--draws"),
    (["analyse", "--out", "x.gpkg", "--seed", "-1"], "--seed"),
    (["analyse", "--out", "x.gpkg", "--k", "0"], "--k"),
    (["analyse", "--out", "x.gpkg", "--min-population", "-10"], "--min-population"),
    (["analyse", "--out", "x.gpkg", "--min-population", "nan"], "--min-population"),
    (["analyse", "--out", "x.gpkg", "--weights", "armoede"], "--weights"),
    (["analyse", "--out", "x.gpkg", "--weights", "armoed=2"], "--weights"),
    (["analyse", "--out", "x.gpkg", "--weights", "armoede=-1"], "--weights"),
    (["analyse", "--out", "x.gpkg", "--weights", "armoede=0"], "--weights"),
    (["analyse", "--out", "x.gpkg", "--level", "kwartier"], "--level"),
    (["analyse", "--out", "x.gpkg", "--method", "mean"], "--method"),
    (["analyse", "--out", "x.gpkg", "--target-group", "kinderen"], "--target-group"),
    (["analyse", "--out", "x.gpkg", "--kwb-year", "1999"], "--kwb-year"),
    (["analyse", "--out", "x.gpkg", "--kwb-year", "2019"], "--kwb-year"),
    (["analyse", "--out", "x.gpkg", "--register", "nope.csv"], "nope.csv"),
    (["import", "kwb", "nope.csv"], "nope.csv"),
    (["import", "kwb", "table.csv", "--year", "20x1"], "--year"),
    (["import", "health", "table.csv", "--table", "ABC"], "--table"),
    (["import", "boundaries", "table.csv", "--level", "wijk", "--year", "2024"], "table.csv"),
    (["register", "check", "nope.csv"], "nope.csv"),
    (["register", "check", "table.csv", "--reference-date", "yesterday"], "--reference-date"),
    (["data", "vintages", "--from", "2020"], "--from"),
    (["data", "vintages", "--gemeente", "Nergenshuizen"], "--gemeente"),
    (["data", "fetch", "--year", "abc"], "--year"),
    (["nonsense"], "command"),
    ([], "command"),
]


@pytest.mark.parametrize("args, names", BAD, ids=[" ".join(a) or "(none)" for a, _ in BAD])
def test_bad_argument_gives_one_line_and_exit_2(args, names, files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    code = cli.main(args)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert names in lines[0], lines[0]
    expected = 1 if args[:2] == ["import", "boundaries"] else 2  # a file that is not geographic: a finding
    assert code == expected, (code, lines[0])


@pytest.mark.parametrize("args, names", [(["reports", "--workers", "-1"], "--workers"),
                                         (["analyse", "--out", "x.gpkg", "--register", "nope.csv"], "nope.csv")])
@pytest.mark.slow  # a process of its own
def test_the_real_entry_point_gives_the_same_line(args, names, files):
    proc = run(args, files)
    assert proc.returncode == 2 and names in one_error_line(proc)


@pytest.mark.slow  # a process of its own
def test_unwritable_output_folder(files):
    # root writes into read-only folders, so as root use a place nobody can write: /proc
    target = "/proc/mgg-reports" if os.geteuid() == 0 else "readonly/reports"
    proc = run(["reports", "--out", target, "--offline"], files)
    assert proc.returncode == 2 and "--out: cannot write to" in one_error_line(proc)


def test_exit_codes_are_documented(files):
    readme = (cli.Path(cli.__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "0 ok, 1 findings in the input, 2 usage or environment error" in readme
    assert (cli.OK, cli.FINDINGS, cli.USAGE) == README_EXIT_CODES


@pytest.mark.slow  # a process of its own
@pytest.mark.shared
def test_register_with_errors_exits_1_and_lists_them(files, imported_cache):
    shutil.copytree(imported_cache, files / "cache")  # the shared files imported (mgg-geo import shared)
    (files / "register.csv").write_text("naam;programma;x;y\nA;STORM;1;2\n", encoding="utf-8")
    proc = run(["register", "check", "register.csv", "--offline"], files)
    assert proc.returncode == 1
    row = next(line for line in proc.stdout.splitlines() if line.startswith("error"))
    assert row.split()[1:4] == ["2", "x,", "y"] and "outside the province" in row  # severity, row, columns


@pytest.mark.slow  # a process of its own
def test_no_cached_data_offline_is_an_environment_error(files):
    proc = run(["analyse", "--out", "x.gpkg", "--offline"], files)
    assert proc.returncode == 2 and "Offline route" in one_error_line(proc)


@pytest.mark.slow  # a process of its own
def test_python_dash_m_and_version(files):
    proc = run(["--version"], files)
    assert proc.returncode == 0 and proc.stdout.startswith("mgg_geo ")


@pytest.mark.slow  # a process of its own
def test_nbformat_builds_no_iri_grammar_and_still_validates_notebooks(tmp_path):
    """jsonschema stays below 4.25 (pyproject.toml): from 4.25 importing it builds the IRI grammar of
    rfc3987-syntax (about 1 s in every process that imports nbformat: mgg-geo reports, papermill, nbconvert, the
    test processes), for a format check no notebook schema uses. nbformat still validates the report notebook."""
    code = ("import sys, nbformat; from mgg_geo import settings; "
            "nbformat.validate(nbformat.read(settings.PROJECT_ROOT / 'notebooks' / 'gemeente_rapport.ipynb', 4)); "
            "print('rfc3987_syntax' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "False"


@pytest.mark.slow  # a process of its own
@pytest.mark.shared
def test_output_into_head_ends_quietly(files, imported_cache):
    shutil.copytree(imported_cache, files / "cache")  # the shared files imported (mgg-geo import shared)
    shell = subprocess.run(f"{sys.executable} -m mgg_geo data status --areas | head -3", shell=True,
                           capture_output=True, text=True, cwd=files, timeout=120,
                           env={**os.environ, "MGG_CACHE_DIR": str(files / "cache")})
    assert shell.stderr == "" and len(shell.stdout.splitlines()) == 3


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


@pytest.mark.parametrize("command", ["analyse", "reports"])
def test_every_report_parameter_has_its_option_with_the_same_default(command, capsys):
    from dataclasses import fields

    from mgg_geo.analysis.parameters import ReportParameters

    with pytest.raises(SystemExit):
        cli.build_parser().parse_args([command, "--help"])
    text = capsys.readouterr().out
    renamed = {"municipalities": "--gemeente", "register_path": "--register", "geocode": "--no-geocode"}
    for f in fields(ReportParameters):
        assert renamed.get(f.name, "--" + f.name.replace("_", "-")) in text, f.name
    args = cli.build_parser().parse_args([command, "--offline"] + (["--out", "x.gpkg"] if command == "analyse"
                                                                   else []))
    args.region = ["all"]
    assert cli._parameters(args) == ReportParameters(offline=True)


def _parsers(parser, path=("mgg-geo",)):
    """Every parser of the command line with its command path."""
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_option_and_argument_has_help_without_markup(capsys):
    import argparse

    missing, markup = [], []
    for path, parser in _parsers(cli.build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
        text = parser.format_help()
        if re.search(r"``|:(?:func|mod|class|data):|\*\*", text):
            markup.append(" ".join(path))
    assert missing == [] and markup == []


def test_the_help_shows_an_example_for_each_common_task_and_the_examples_work(tmp_path, monkeypatch):
    """``mgg-geo --help``: a report as PDF, the area table as Excel, checking a register; each example parses."""
    import shlex

    text = cli.build_parser().format_help()
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith("mgg-geo ")]
    assert any("--pdf" in e and e.startswith("mgg-geo reports") for e in examples)
    assert any(e.startswith("mgg-geo analyse") and ".xlsx" in e for e in examples)
    assert any(e.startswith("mgg-geo register check") for e in examples)
    monkeypatch.chdir(tmp_path)
    for _, parser in _parsers(cli.build_parser()):
        for line in (parser.epilog or "").splitlines():
            line = line.split("  #")[0].strip()
            if not line.startswith("mgg-geo "):
                continue
            words = shlex.split(line)[1:]
            for word in words:  # files the examples name exist here, so that only the command line is checked
                if word.endswith((".csv", ".xlsx", ".geojson")) and not word.startswith("--") and "/" not in word:
                    (tmp_path / word).write_text("", encoding="utf-8")
                if word.startswith("data/"):
                    (tmp_path / word).parent.mkdir(parents=True, exist_ok=True)
                    (tmp_path / word).write_text("", encoding="utf-8")
            cli.build_parser().parse_args(words)  # raises SystemExit on a bad example
    assert "0 ok, 1 findings in the input" in text


@pytest.mark.slow  # a process of the command line
def test_pdf_without_chromium_is_one_line_before_anything_runs(files):
    proc = run(["reports", "--pdf", "--offline", "--out", "rapporten"], files, MGG_CHROMIUM="/nonexistent/chromium")
    line = one_error_line(proc)
    assert proc.returncode == 2 and "MGG_CHROMIUM" in line and "/nonexistent/chromium" in line
    assert "apt-get install chromium" in line
    assert not (files / "rapporten").exists()  # nothing was rendered or created


@pytest.mark.shared
def test_analyse_keeps_its_analysis_offline_only(imported_cache, tmp_path, monkeypatch, capsys):
    """Offline the analysis depends on the cache alone and is kept in the memo; online (here every service is
    unreachable, so geocoding fails) it is computed afresh each time, never kept for the next run."""
    from mgg_geo import settings

    cache = tmp_path / "cache"
    shutil.copytree(imported_cache, cache)
    monkeypatch.setattr(settings, "CACHE_DIR", cache)
    args = ["analyse", "--out", str(tmp_path / "areas.csv"), "--draws", "10", "--reference-date", "2026-01-01"]
    assert cli.main(args) == 0
    assert not (cache / "analyses").exists()
    assert cli.main([*args, "--offline"]) == 0
    assert len(list((cache / "analyses").iterdir())) == 1
    capsys.readouterr()



@pytest.mark.parametrize("command", [["reports"], ["analyse", "--out", "x.gpkg"], ["data", "vintages"]])
def test_gemeente_given_twice_keeps_both_and_not_given_means_all_ten(command):
    """`--gemeente Pekela --gemeente Veendam` rendered Veendam alone (the second replaced the first)."""
    from mgg_geo.data import regions

    twice = cli.parse_args([*command, "--gemeente", "Pekela", "--gemeente", "Veendam", "GM0765"])
    assert twice.gemeente == ["GM0765", "GM0047"]
    assert cli.parse_args(command).gemeente == list(regions.MUNICIPALITIES)
