"""Every bound geociv puts on the content of an uploaded file, in one place.

Files are checked against these before any parser does real work on them; a file over a
bound is refused with a Chinese :class:`~geociv.errors.InputFileError` naming the bound.
(Request sizes are bounded separately, by the web layer.)
"""

from __future__ import annotations

MB = 1024 * 1024

#: Largest file of any kind accepted for a data import (bytes on disk).
MAX_FILE_BYTES = 200 * MB

#: Largest GeoJSON (it is parsed whole in memory, twice: by the check and by GDAL).
MAX_GEOJSON_BYTES = 64 * MB
#: Most features in a GeoJSON, a GeoPackage layer or a Shapefile.
MAX_FEATURES = 200_000

#: Largest CSV (it is decoded whole in memory).
MAX_CSV_BYTES = 32 * MB
#: Longest field of a CSV row (characters); ``csv.field_size_limit`` while reading.
MAX_CSV_FIELD = 64 * 1024
#: Most data rows in a CSV or a worksheet.
MAX_TABLE_ROWS = 100_000

#: Most cells read from a worksheet (rows × columns, as declared or as read).
MAX_XLSX_CELLS = 1_000_000
#: Most columns of a worksheet.
MAX_XLSX_COLUMNS = 256

#: Most members of a ZIP (zipped Shapefile, XLSX, DOCX).
MAX_ZIP_MEMBERS = 200
#: Largest total uncompressed size of a ZIP's members.
MAX_ZIP_UNCOMPRESSED = 512 * MB
#: Largest total uncompressed size of an XLSX or DOCX.
MAX_OFFICE_UNCOMPRESSED = 100 * MB
#: Highest compression ratio of a ZIP member (uncompressed / compressed) above 1 MB.
MAX_ZIP_RATIO = 200

#: Most cells of a population raster (its band is read whole).
MAX_RASTER_CELLS = 50_000_000

#: Largest photo (bytes) and most pixels Pillow may decode.
MAX_PHOTO_BYTES = 20 * MB
MAX_IMAGE_PIXELS = 64_000_000
#: Longest side of a stored thumbnail (pixels).
THUMBNAIL_SIZE = 320

#: Largest case document (bytes).
MAX_DOCUMENT_BYTES = 50 * MB
