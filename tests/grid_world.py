"""A 5x5 grid of 1 km square areas whose coverage can be worked out by hand.

Area (i, j) has its lower-left corner at (X0 + 1000 j, Y0 + 1000 i) and its
representative point at its centre (a square's representative point is its
centre). Codes run WK000000 .. WK000024 row by row; every area has 100 young
people (pop_0_14 = 60, pop_15_24 = 40) among 250 residents.
"""
import geopandas as gpd
from shapely.geometry import Point, box

X0, Y0 = 230_000.0, 575_000.0


def areas(n: int = 5) -> gpd.GeoDataFrame:
    cells, codes = [], []
    for i in range(n):
        for j in range(n):
            cells.append(box(X0 + 1000 * j, Y0 + 1000 * i, X0 + 1000 * (j + 1), Y0 + 1000 * (i + 1)))
            codes.append(f"WK0000{i * n + j:02d}")
    frame = gpd.GeoDataFrame({"code": codes, "name": codes, "gemeente_code": "GM0000", "pop_0_14": 60.0,
                              "pop_15_24": 40.0, "population": 250.0}, geometry=cells, crs="EPSG:28992")
    return frame.set_index("code")


def centre(i: int, j: int) -> Point:
    return Point(X0 + 1000 * j + 500, Y0 + 1000 * i + 500)


def sites(points, capacity=None, **extra) -> gpd.GeoDataFrame:
    data = {"name": [f"site {k}" for k in range(len(points))], "programme": "STORM", "active": True,
            "area_wide": False, "area_code": None}
    if capacity is not None:
        data["capacity"] = capacity
    data.update(extra)
    return gpd.GeoDataFrame(data, geometry=list(points), crs="EPSG:28992")
