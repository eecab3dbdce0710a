"""The README's offline route, file by file, run exactly as written in a fresh cache: it renders every report.

The lines are taken from the README itself (section "Offline route", the block that starts with ``S=``) and
run with ``bash``; the shared data folder is passed as ``MGG_SHARED_DATA``, as the block reads it. Then the
figures of the areas issue 17 was about are checked in the export, the report text and the map tooltips.
This is the slow test of the suite (about a minute: the batch renders 10 reports and the overview).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from mgg_geo import settings

pytestmark = pytest.mark.shared

README = settings.PROJECT_ROOT / "README.md"


def route() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Offline route"):text.index("## Indelingen")]
    return next(b for b in re.findall(r"```sh\n(.*?)```", section, flags=re.S) if b.startswith("S=${MGG_SHARED_DATA"))


def test_the_readme_route_renders_every_report_with_each_figure_on_its_own_area(shared_data, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGG_")}
    env.update({"MGG_CACHE_DIR": str(tmp_path / "cache"), "MGG_SHARED_DATA": str(shared_data),
                "MGG_HTTP_RETRIES": "0", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                **{n: "http://127.0.0.1:9" for n in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL",
                                                     "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL")}})
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", route()], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "11 of 11 report(s) up to date in reports (11 bijgewerkt, 0 ongewijzigd)" in done.stdout
    out = tmp_path / "reports"
    names = sorted(p.name for p in out.glob("*.html"))
    assert len([n for n in names if n.startswith("GM")]) == 10 and "provincie-groningen.html" in names
    assert "index.html" in names and len(list((out / "kaarten").glob("GM*.html"))) == 10

    # the export
    table = gpd.read_file(tmp_path / "wijken.gpkg", layer="gebieden").set_index("code")
    own = {"WK197901": 52.7, "WK197902": 47.6, "WK197903": 48.4, "WK197906": 54.6, "WK197909": 49.0,
           "WK197916": 42.1, "WK197917": 40.8, "WK197918": 42.6, "WK197919": 41.4}
    for code, lonely in own.items():
        assert table.at[code, "lonely"] == pytest.approx(lonely), code
        assert "omgenummerd" in table.at[code, "figures_origin"], code
    for code in ("WK197911", "WK197912", "WK197913", "WK197915"):  # Appingedam's wijken: Appingedam's figure
        assert table.at[code, "lonely"] == pytest.approx(49.4)
        assert table.at[code, "figures_origin"] == "RIVM 2020: geschat uit overlap (uit WK000300)"
    assert table.at["WK196609", "lonely"] == pytest.approx(44.7)  # Warffum, from its old wijk WK196608
    assert "WK196608" in table.at["WK196609", "figures_origin"]
    assert table.at["WK196614", "population"] == 0
    assert table.loc["WK196614", ["lonely", "low_income_share"]].isna().all()

    # the report text
    html = (out / "GM1979-eemsdelta.html").read_text(encoding="utf-8")
    assert "omgenummerd (was WK001001)" in html and "geschat uit overlap (uit WK000300)" in html
    row = re.search(r"<td>Delfzijl-Centrum</td>\s*<td>([^<]*→[^<]*)</td>", html)  # the trends table
    assert row and row.group(1).startswith("52,9 → 52,7"), row and row.group(1)
    assert "alleen de gemeente als geheel is bruikbaar" not in html
    assert "gemiddelde van de voormalige gemeenten (GM" not in html  # no wijk carries the blended figure
    groningen = (out / "GM0014-groningen.html").read_text(encoding="utf-8")
    assert re.search(r"<td>Hoogkerk e\.o\.</td>(\s*<td>[^<]*</td>){3}\s*<td>10\.873 → 11\.335: grens gewijzigd, "
                     r"niet vergelijkbaar</td>", groningen)

    # the map tooltips
    page = (out / "kaarten" / "GM1979.html").read_text(encoding="utf-8")
    fields = json.loads(re.search(r"mgg\.fields = (\[.*?\]);", page).group(1))
    data = json.loads(re.search(r"mgg\.data = (\{.*?\});mgg\.", page).group(1))
    tooltip = next(dict(zip(fields, f["properties"]["v"], strict=True)) for f in data["features"]
                   if f["properties"]["v"][0] == "Delfzijl-Centrum")
    assert tooltip["Eenzaam (18+)"] == "52,7%", tooltip
