"""A hand-checkable synthetic world for register tests: one municipality, two wijken, four buurten.

GM0014 is the square x 230,000-240,000, y 575,000-585,000 (EPSG:28992), split
into WK001400 (west half) and WK001401 (east half), each split into two
buurten (south, north). The province outline is that square.
"""
import geopandas as gpd
from shapely.geometry import box

CRS = "EPSG:28992"
X0, Y0, X1, Y1 = 230_000, 575_000, 240_000, 585_000
XM, YM = 235_000, 580_000


def layers() -> dict[str, gpd.GeoDataFrame]:
    gm = gpd.GeoDataFrame({"code": ["GM0014"], "name": ["Groningen"], "gemeente_code": ["GM0014"]},
                          geometry=[box(X0, Y0, X1, Y1)], crs=CRS)
    wk = gpd.GeoDataFrame({"code": ["WK001400", "WK001401"], "name": ["West", "Oost"], "gemeente_code": "GM0014"},
                          geometry=[box(X0, Y0, XM, Y1), box(XM, Y0, X1, Y1)], crs=CRS)
    bu = gpd.GeoDataFrame({"code": ["BU00140000", "BU00140001", "BU00140100", "BU00140101"],
                           "name": ["Zuidwest", "Noordwest", "Zuidoost", "Noordoost"], "gemeente_code": "GM0014"},
                          geometry=[box(X0, Y0, XM, YM), box(X0, YM, XM, Y1), box(XM, Y0, X1, YM),
                                    box(XM, YM, X1, Y1)], crs=CRS)
    return {"gemeente": gm.set_index("code"), "wijk": wk.set_index("code"), "buurt": bu.set_index("code")}
