"""Small real files for tests that upload photos and documents (made in memory)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def jpeg_bytes(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (40, 120, 200)
) -> bytes:
    """A real JPEG of ``width`` × ``height`` pixels."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


def png_bytes(width: int = 32, height: int = 32) -> bytes:
    """A real PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 60)).save(out, "PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal Word document (a ZIP with the DOCX content types and main part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>保护方案</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return out.getvalue()


# -- a tiny OSM PBF, encoded here (protobuf by hand: BlobHeader/Blob, HeaderBlock, one
# PrimitiveBlock with DenseNodes and Ways), so no OSM extract needs to be committed.


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | 0x80 if n else low)
        if not n:
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint((number << 3) | 2) + _varint(len(data)) + data


def _number(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _packed(number: int, values: list[int], signed: bool = False) -> bytes:
    zigzag = [(v << 1) ^ (v >> 63) for v in values] if signed else values
    return _field(number, b"".join(_varint(v) for v in zigzag))


def _delta(values: list[int]) -> list[int]:
    return [v - (values[i - 1] if i else 0) for i, v in enumerate(values)]


def _blob(kind: str, payload: bytes) -> bytes:
    data = _number(2, len(payload)) + _field(3, zlib.compress(payload))
    header = _field(1, kind.encode()) + _number(3, len(data))
    return struct.pack(">I", len(header)) + header + data


def osm_pbf() -> bytes:
    """An OSM PBF with four nodes in Zhumadian and two walkable ways."""
    nodes = [(1, 114.02, 32.98), (2, 114.03, 32.98), (3, 114.03, 32.99), (4, 114.04, 32.99)]
    ways = [(10, [1, 2, 3], {"highway": "footway", "name": "甲路"}),
            (11, [3, 4], {"highway": "residential"})]  # fmt: skip
    strings = [b""]

    def index(text: str) -> int:
        if text.encode() not in strings:
            strings.append(text.encode())
        return strings.index(text.encode())

    way_fields = b"".join(
        _field(3, _number(1, wid) + _packed(2, [index(k) for k in tags])
               + _packed(3, [index(v) for v in tags.values()]) + _packed(8, _delta(refs), True))
        for wid, refs, tags in ways
    )  # fmt: skip
    dense = (
        _packed(1, _delta([n[0] for n in nodes]), True)
        + _packed(8, _delta([round(n[2] * 1e7) for n in nodes]), True)
        + _packed(9, _delta([round(n[1] * 1e7) for n in nodes]), True)
    )
    table = b"".join(_field(1, s) for s in strings)
    block = _field(1, table) + _field(2, _field(2, dense)) + _field(2, way_fields)
    header = _field(4, b"OsmSchema-V0.6") + _field(4, b"DenseNodes")
    return _blob("OSMHeader", header) + _blob("OSMData", block)


#: Columns of :func:`facility_rows` (as a county's facility register has them).
FACILITY_HEADER = ["名称", "类型", "经度", "纬度", "床位", "状态", "区划代码", "地址"]


def facility_rows(n: int = 70, *, bad_row: int | None = 38) -> list[list[str]]:
    """``n`` facility rows (header first) made from the repository's data: the village
    committees of 驿城区 (``data/gazetteer``) as 养老服务站 on a grid inside the demo main
    urban area (``data/coverage``). With ``bad_row`` (as Excel numbers it: header = row 1),
    that row's 床位 reads "三十张", which no importer accepts."""
    import csv as _csv

    import shapely

    from geociv.demo import main_urban_area
    from tests.conftest import ROOT

    with open(ROOT / "data/gazetteer/zhumadian_divisions_nbs.csv", encoding="utf-8") as f:
        villages = [r["name"] for r in _csv.DictReader(f) if len(r["code"]) == 12
                    and r["code"].startswith("411702")]  # fmt: skip
    area = main_urban_area().to_crs(4490).geometry.union_all()
    minx, miny, maxx, maxy = area.bounds
    points = [
        (x, y)
        for y in [miny + (maxy - miny) * (j + 0.5) / 12 for j in range(12)]
        for x in [minx + (maxx - minx) * (i + 0.5) / 12 for i in range(12)]
        if area.contains(shapely.Point(x, y))
    ]
    rows = [FACILITY_HEADER]
    for k in range(n):
        x, y = points[k]
        beds = "三十张" if bad_row is not None and len(rows) + 1 == bad_row else str(10 + k)
        rows.append([f"{villages[k]}养老服务站（测试）", "社区日间照料中心", f"{x:.6f}", f"{y:.6f}",
                     beds, "已建", "411702", f"驿城区{villages[k]}"])  # fmt: skip
    return rows


def facility_csv(rows: list[list[str]]) -> bytes:
    """``rows`` as a UTF-8 CSV, as Excel writes it (with a BOM)."""
    import csv as _csv

    out = io.StringIO()
    _csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")
