"""Population coverage with exact partial-pixel weighting, on the WorldPop 60+ raster of Wuhan."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from exactextract import exact_extract
from rasterio.transform import from_origin

from geociv.coverage.population import area_share, covered_population, zonal_table
from geociv.errors import InputFileError, ValidationError
from tests.conftest import WUHAN_60

ROOT = Path(__file__).resolve().parents[1]
RASTER = WUHAN_60

# Three 1.5 km service circles in central Wuhan, two of them overlapping, built in GK (EPSG:4547).
CENTRES = ([114.30, 114.31, 114.25], [30.58, 30.585, 30.55])


@pytest.fixture(scope="module")
def raster_sum() -> float:
    with rasterio.open(RASTER) as src:
        return float(src.read(1, masked=True).astype(np.float64).sum())


@pytest.fixture(scope="module")
def circles() -> gpd.GeoSeries:
    pts = gpd.GeoSeries(gpd.points_from_xy(*CENTRES), crs=4326).to_crs(4547)
    return pts.buffer(1500, quad_segs=32)


def _exactextract_sum(raster: Path, geom: shapely.Geometry, crs: object) -> float:
    gdf = gpd.GeoDataFrame(geometry=[geom], crs=crs)
    return float(exact_extract(str(raster), gdf, "sum", output="pandas")["sum"].iloc[0])


def test_grid_covering_raster_keeps_total(raster_sum: float) -> None:
    with rasterio.open(RASTER) as src:
        b = src.bounds
    xs = np.linspace(b.left, b.right, 6)
    ys = np.linspace(b.bottom, b.top, 6)
    grid = gpd.GeoDataFrame(
        geometry=[
            shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(5) for j in range(5)
        ],
        crs=4326,
    )
    cover = gpd.GeoSeries([shapely.box(114.2, 30.5, 114.4, 30.7)], crs=4326)
    table = zonal_table(RASTER, grid, cover)
    assert list(table.columns) == ["population", "covered_population", "share", "area_share"]
    assert abs(table["population"].sum() - raster_sum) / raster_sum < 1e-3
    assert table["population"].sum() == pytest.approx(raster_sum, rel=1e-9)
    # Zones whose edges cut through cells agree with exactextract zone by zone.
    expected = exact_extract(str(RASTER), grid, "sum", output="pandas")["sum"].to_numpy()
    np.testing.assert_allclose(table["population"].to_numpy(), expected, rtol=1e-6, atol=1e-3)
    # The covered box lies inside the raster: its people are split among the zones.
    whole = covered_population(RASTER, cover)
    assert table["covered_population"].sum() == pytest.approx(whole.covered, rel=1e-9)
    assert whole.total == pytest.approx(raster_sum, rel=1e-9)
    shares = table["share"].dropna()  # NaN where a zone has no people (outside Wuhan's data)
    assert len(shares) > 10
    assert ((shares >= 0) & (shares <= 1)).all()
    assert table.loc[table["population"] == 0, "share"].isna().all()


def test_covered_population_matches_exactextract(circles: gpd.GeoSeries) -> None:
    result = covered_population(RASTER, circles)
    union = shapely.union_all(circles.to_crs(4326).to_numpy())
    expected = _exactextract_sum(RASTER, union, 4326)
    assert result.covered > 1000
    assert result.covered == pytest.approx(expected, rel=1e-6)
    # Polygons in GK, raster in WGS84: the polygons were reprojected, and the result says so.
    assert result.reprojected
    assert result.raster_crs == "EPSG:4326"
    assert result.polygons_crs == "EPSG:4547"
    assert any("重投影" in n for n in result.notes)
    assert result.to_dict()["method"].startswith("exact")


def test_overlaps_counted_once(circles: gpd.GeoSeries) -> None:
    once = covered_population(RASTER, circles).covered
    twice = covered_population(RASTER, gpd.GeoSeries(list(circles) * 2, crs=circles.crs)).covered
    assert twice == pytest.approx(once, rel=1e-12)
    separately = sum(covered_population(RASTER, circles.iloc[[i]]).covered for i in range(3))
    assert separately > once * 1.01  # the first two circles overlap


def test_aoi_restricts_both_totals(circles: gpd.GeoSeries) -> None:
    aoi_geom = shapely.box(114.28, 30.56, 114.33, 30.60)
    aoi = gpd.GeoSeries([aoi_geom], crs=4326)
    result = covered_population(RASTER, circles, aoi=aoi)
    assert result.total == pytest.approx(_exactextract_sum(RASTER, aoi_geom, 4326), rel=1e-6)
    inside = shapely.intersection(shapely.union_all(circles.to_crs(4326).to_numpy()), aoi_geom)
    assert result.covered == pytest.approx(_exactextract_sum(RASTER, inside, 4326), rel=1e-6)
    assert 0 < result.share < 1


def _write(path: Path, data: np.ndarray, crs: object, nodata: float | None = None) -> Path:
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "float32",
        "transform": from_origin(500_000, 3_400_000, 100, 100),
        "nodata": nodata,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(np.float32), 1)
    return path


def test_partial_pixels_and_nodata_in_projected_raster(tmp_path: Path) -> None:
    data = np.full((10, 10), 4.0)
    data[0, 0] = -9999.0  # nodata
    raster = _write(tmp_path / "gk.tif", data, "EPSG:4547", nodata=-9999.0)
    # Half of cell (row 0, col 1) and a quarter of cell (row 1, col 2), in the raster's CRS.
    half = shapely.box(500_100, 3_399_950, 500_200, 3_400_000)
    quarter = shapely.box(500_200, 3_399_850, 500_250, 3_399_900)
    nodata_cell = shapely.box(500_000, 3_399_900, 500_100, 3_400_000)
    polys = gpd.GeoSeries([half, quarter, nodata_cell], crs=4547)
    result = covered_population(raster, polys)
    assert result.covered == pytest.approx(4.0 * 0.5 + 4.0 * 0.25, rel=1e-9)
    assert result.total == pytest.approx(99 * 4.0)
    assert not result.reprojected
    # The same polygons given in WGS84 are brought back to the raster's CRS.
    geo = covered_population(raster, polys.to_crs(4326))
    assert geo.reprojected
    assert geo.covered == pytest.approx(3.0, rel=1e-3)


def test_raster_without_crs_is_refused(tmp_path: Path, circles: gpd.GeoSeries) -> None:
    raster = _write(tmp_path / "nocrs.tif", np.ones((5, 5)), None)
    with pytest.raises(InputFileError, match="坐标系"):
        covered_population(raster, circles)


def test_unreadable_raster_and_crsless_polygons(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    cover = gpd.GeoSeries([shapely.box(114.2, 30.5, 114.3, 30.6)], crs=4326)
    with pytest.raises(InputFileError, match="无法读取"):
        covered_population(bad, cover)
    with pytest.raises(ValidationError, match="坐标系"):
        covered_population(RASTER, gpd.GeoSeries([shapely.box(114.2, 30.5, 114.3, 30.6)]))


def test_area_share_in_gauss_kruger() -> None:
    aoi = gpd.GeoSeries([shapely.box(114.2, 30.5, 114.3, 30.6)], crs=4326)
    left_half = gpd.GeoSeries(
        [shapely.box(114.1, 30.5, 114.25, 30.6), shapely.box(114.15, 30.5, 114.25, 30.6)], crs=4326
    )
    assert area_share(aoi, left_half) == pytest.approx(0.5, abs=2e-3)
    assert area_share(aoi, aoi.to_crs(4547)) == pytest.approx(1.0, abs=1e-6)
