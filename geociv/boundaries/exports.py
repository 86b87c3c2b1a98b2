"""Export boundary lines and markers for GIS and for field GPS units.

Formats: GeoPackage (both layers in one file), Shapefile (a zip of one layer each; field names
cut to 10 characters, Chinese text in UTF-8 with a ``.cpg``), KML (Google Earth, 奥维 and most
phone apps) and GPX (handheld GPS units: markers as waypoints, lines as tracks). GeoPackage,
Shapefile and KML are written by GDAL through pyogrio, GPX with the standard library.
Coordinates are WGS84 longitude/latitude in KML/GPX (what those formats require; CGCS2000
differs by well under a metre) and CGCS2000 in GeoPackage/Shapefile.

Examples
--------
>>> import geopandas as gpd, tempfile, pathlib
>>> from shapely import LineString, Point
>>> lines = gpd.GeoDataFrame({"name": ["驿确线"], "length_km": [57.3]},
...                          geometry=[LineString([(114.0, 32.9), (114.1, 32.95)])], crs=4490)
>>> markers = gpd.GeoDataFrame({"number": ["驿确线-001Q"]}, geometry=[Point(114.05, 32.92)],
...                            crs=4490)
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> sorted(p.suffix for p in export_all(lines, markers, out, stem="zmd").values())
['.gpkg', '.gpx', '.kml', '.zip']
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

FORMATS = ("gpkg", "shp", "kml", "gpx")


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # CGCS2000 and WGS84 agree to well under a metre; relabel rather than transform.
    return frame.set_crs(4326, allow_override=True)


def write_gpkg(lines: gpd.GeoDataFrame, markers: gpd.GeoDataFrame, path: Path) -> Path:
    """Both layers (``boundary_lines``, ``markers``) in one GeoPackage."""
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(lines, path, layer="boundary_lines", driver="GPKG")
    pyogrio.write_dataframe(markers, path, layer="markers", driver="GPKG", append=True)
    return path


def write_shapefiles(lines: gpd.GeoDataFrame, markers: gpd.GeoDataFrame, path: Path) -> Path:
    """A zip with one Shapefile per layer (UTF-8 attributes)."""
    with tempfile.TemporaryDirectory() as tmp:
        for layer, frame in (("boundary_lines", lines), ("markers", markers)):
            pyogrio.write_dataframe(frame, Path(tmp) / f"{layer}.shp", driver="ESRI Shapefile",
                                    encoding="UTF-8")  # fmt: skip
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(Path(tmp).iterdir()):
                zf.write(file, file.name)
    return path


def write_kml(lines: gpd.GeoDataFrame, markers: gpd.GeoDataFrame, path: Path,
              *, name_field: str = "name", marker_name_field: str = "number") -> Path:  # fmt: skip
    """Lines and markers as KML folders, each feature labelled by its name/number."""
    path.unlink(missing_ok=True)
    for layer, frame, field in (("界线", lines, name_field), ("界桩", markers, marker_name_field)):
        out = _to_wgs84(frame).copy()
        if field in out.columns:
            out["Name"] = out[field].astype(str)
        pyogrio.write_dataframe(out, path, layer=layer, driver="KML", append=path.exists())
    return path


def write_gpx(lines: gpd.GeoDataFrame, markers: gpd.GeoDataFrame, path: Path,
              *, name_field: str = "name", marker_name_field: str = "number") -> Path:  # fmt: skip
    """Markers as GPX 1.1 waypoints, lines as tracks (what field GPS units load).

    Written with the standard library: GDAL's GPX driver cannot put waypoints and tracks in one
    file through pyogrio.
    """
    from xml.etree import ElementTree as ET

    gpx = ET.Element("gpx", version="1.1", creator="geociv",
                     xmlns="http://www.topografix.com/GPX/1/1")  # fmt: skip
    for row in _to_wgs84(markers).itertuples():
        for point in shapely.get_parts(row.geometry):
            wpt = ET.SubElement(gpx, "wpt", lat=f"{point.y:.7f}", lon=f"{point.x:.7f}")
            ET.SubElement(wpt, "name").text = str(getattr(row, marker_name_field))
    for row in _to_wgs84(lines).itertuples():
        trk = ET.SubElement(gpx, "trk")
        ET.SubElement(trk, "name").text = str(getattr(row, name_field))
        for part in shapely.get_parts(row.geometry):
            seg = ET.SubElement(trk, "trkseg")
            for x, y in shapely.get_coordinates(part):
                ET.SubElement(seg, "trkpt", lat=f"{y:.7f}", lon=f"{x:.7f}")
    ET.ElementTree(gpx).write(path, encoding="utf-8", xml_declaration=True)
    return path


def export_all(
    lines: gpd.GeoDataFrame, markers: gpd.GeoDataFrame, folder: Path, *, stem: str
) -> dict[str, Path]:
    """Write every format into ``folder``; returns format → path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "gpkg": write_gpkg(lines, markers, folder / f"{stem}.gpkg"),
        "shp": write_shapefiles(lines, markers, folder / f"{stem}-shp.zip"),
        "kml": write_kml(lines, markers, folder / f"{stem}.kml"),
        "gpx": write_gpx(lines, markers, folder / f"{stem}.gpx"),
    }
