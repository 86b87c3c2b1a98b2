"""Make the hostile-upload corpus in this folder (run: ``python make_hostile.py``).

Every file is small; what each one is, and which check refuses it, is in README.md. The
functions are also imported by the tests (``vrt_for`` builds the VRT aimed at a test's own
store; ``huge_field_csv`` makes the CSV with one enormous field in a temporary folder).
"""

from __future__ import annotations

import io
import sqlite3
import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Where the committed VRT points (the tests aim a copy at their own store).
STORE_PATH = "/var/lib/geociv/geociv.gpkg"


def vrt_for(store: str | Path) -> bytes:
    """An OGR VRT whose layer is SQL run by GDAL's SQLite dialect against ``store``: user
    names and password hashes as zone names, on a division polygon."""
    return (
        '<OGRVRTDataSource>\n  <OGRVRTLayer name="zones">\n'
        f"    <SrcDataSource>{store}</SrcDataSource>\n"
        "    <SrcSQL dialect=\"sqlite\">SELECT u.username || ':' || u.password_hash AS name, "
        "d.geom AS geom FROM users u, divisions d WHERE d.code = '411702'</SrcSQL>\n"
        "  </OGRVRTLayer>\n</OGRVRTDataSource>\n"
    ).encode()


def _gpkg(path: Path, extra_sql: str) -> None:
    """A small valid GeoPackage (one point layer, written by GDAL) plus ``extra_sql``."""
    import geopandas as gpd
    from shapely.geometry import Point

    path.unlink(missing_ok=True)
    frame = gpd.GeoDataFrame({"name": ["测试"]}, geometry=[Point(114.03, 32.98)], crs=4490)
    frame.to_file(path, layer="points", driver="GPKG")
    conn = sqlite3.connect(path)
    conn.executescript(extra_sql)
    conn.commit()
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _shapefile_parts() -> dict[str, bytes]:
    import tempfile

    import geopandas as gpd
    from shapely.geometry import Point

    with tempfile.TemporaryDirectory() as tmp:
        frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(114.0, 33.0)], crs=4490)
        frame.to_file(Path(tmp) / "layer.shp")
        return {p.suffix: p.read_bytes() for p in Path(tmp).iterdir()}


def zip_bomb() -> bytes:
    """A zipped 'Shapefile' whose .dbf inflates from ~50 KB to 64 MB of zeros."""
    parts = _shapefile_parts()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("roads.shp", parts[".shp"])
        z.writestr("roads.shx", parts[".shx"])
        z.writestr("roads.dbf", parts[".dbf"] + bytes(64 * 1024 * 1024))
    return out.getvalue()


def zip_traversal() -> bytes:
    """A zipped Shapefile whose members climb out of the folder (``../../``)."""
    parts = _shapefile_parts()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for suffix in (".shp", ".shx", ".dbf"):
            z.writestr(f"../../tmp/evil{suffix}", parts[suffix])
    return out.getvalue()


def xlsx_bomb(rows: int = 100_000, columns: int = 15) -> bytes:
    """An XLSX of ``rows`` × ``columns`` = 1.5 M numeric cells, small on disk (cell and row
    references are optional in SpreadsheetML, so every row is the same bytes)."""
    out = io.BytesIO()
    row = ("<row>" + "<c><v>1</v></c>" * columns + "</row>").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            last = f"{chr(64 + columns)}{rows}"
            sheet.write(f'{_SHEET_HEAD}<dimension ref="A1:{last}"/><sheetData>'.encode())
            for _ in range(rows // 1000):
                sheet.write(row * 1000)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main">'
)

_FEATURE = (
    '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"%s"},'
    '"geometry":{"type":"Polygon","coordinates":[[[114.0,33.0],[114.01,33.0],[114.01,33.01],'
    "[%s,33.0]]]}}]}"
)


def huge_field_csv(path: Path, size: int = 8 * 1024 * 1024) -> Path:
    """A facilities/markers/names CSV with one field of ``size`` characters (made at test time,
    never committed)."""
    with path.open("w", encoding="utf-8") as f:
        f.write("名称,类型,经度,纬度,类别,区划代码,编号\n")
        f.write('"' + "长" * (size // 3) + '",辅具租赁服务站,114.03,32.99,road,411702,001Q\n')
    return path


def files() -> dict[str, bytes]:
    """Every committed file of the corpus by name (GeoPackages are written separately)."""
    feature = (_FEATURE % ("驿城区", "114.0")).encode()
    png_bomb = io.BytesIO()
    from PIL import Image

    Image.new("1", (20_000, 20_000)).save(png_bomb, "PNG", optimize=True)
    return {
        "store_sql.vrt": vrt_for(STORE_PATH),
        "store_sql_renamed.geojson": vrt_for(STORE_PATH),
        "zip_bomb.zip": zip_bomb(),
        "zip_traversal.zip": zip_traversal(),
        "xlsx_bomb.xlsx": xlsx_bomb(),
        "gif_header.geojson": b"GIF89a" + feature,
        "geojson_with_zip.geojson": feature + zip_traversal(),
        "gbk.geojson": (_FEATURE % ("驿城区", "114.0")).encode("gbk"),
        "nan.geojson": (_FEATURE % ("驿城区", "NaN")).encode(),
        "infinity.geojson": (_FEATURE % ("驿城区", "1e999")).encode(),
        "external_entity.kml": (
            b'<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&xxe;</name>'
            b"<Point><coordinates>114.03,32.98</coordinates></Point></Placemark></kml>\n"
        ),
        "network_link.kml": (
            b'<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><NetworkLink>'
            b"<Link><href>http://127.0.0.1:9/evil.kml</href></Link></NetworkLink></kml>\n"
        ),
        "page.html.csv": b"<!DOCTYPE html><html><script>alert(1)</script></html>\n",
        "script.svg.png": (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n'
        ),
        "program.exe.pdf": b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00",
        "elf.tif": b"\x7fELF\x02\x01\x01" + bytes(57),
        "jpeg_then_html.jpg": b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>",
        "pixel_bomb.png": png_bomb.getvalue(),
        "fake_pbf.osm.pbf": struct.pack(">I", 13) + b"\x0a\x07OSMData" + bytes(8),
    }


def main() -> None:
    """Write the corpus next to this script."""
    for name, content in files().items():
        (HERE / name).write_bytes(content)
    _gpkg(
        HERE / "trigger.gpkg",
        "CREATE TABLE log (x TEXT); CREATE TRIGGER evil AFTER INSERT ON points "
        "BEGIN INSERT INTO log VALUES (new.name); END;",
    )
    _gpkg(HERE / "view.gpkg", "CREATE VIEW users_view AS SELECT * FROM sqlite_master;")
    _gpkg(HERE / "virtual_table.gpkg", "CREATE VIRTUAL TABLE notes USING fts5(body);")


if __name__ == "__main__":
    main()
