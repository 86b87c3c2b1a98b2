"""GDAL fenced in: network and ``/vsi`` tricks off, one driver per format, a private path only.

GDAL (through pyogrio and rasterio, each with its own copy of the library) is only ever handed
the path of a private copy whose content :mod:`geociv.uploads` has already identified. The
configuration below is set once for pyogrio's GDAL and wrapped around every rasterio open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: GDAL configuration for reading uploads: no HTTP (``/vsicurl`` accepts no extension, the
#: timeouts are short and nothing retries), no directory listing next to the file, no Python
#: or raw-file VRTs, no external access from SQLite.
GDAL_CONFIG: dict[str, str] = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".geociv-no-network",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_PAM_ENABLED": "NO",
    "GTIFF_REPORT_COMPD_CS": "NO",
}

#: The GDAL connection prefix that forces a vector driver, by upload kind; Shapefiles are
#: unpacked to ``layer.shp`` with checked magic numbers (GDAL has no prefix for them).
DRIVER_PREFIX = {"geojson": "GeoJSON:", "gpkg": "GPKG:", "shapefile": ""}

_configured = False


def configure_pyogrio() -> None:
    """Set :data:`GDAL_CONFIG` in pyogrio's GDAL (once per process)."""
    global _configured
    if _configured:
        return
    import pyogrio

    pyogrio.set_gdal_config_options(GDAL_CONFIG)
    _configured = True


def read_dataframe(path: Path, kind: str, *, layer: str | None = None) -> Any:
    """Read a private copy of a checked vector upload with the one driver of its ``kind``."""
    import pyogrio

    configure_pyogrio()
    resolved = path.resolve()
    source = f"{DRIVER_PREFIX[kind]}{resolved}"
    kwargs: dict[str, Any] = {} if layer is None else {"layer": layer}
    if kind == "gpkg":
        # Not writable, not even for GDAL's own housekeeping.
        kwargs["IMMUTABLE"] = "YES"
    return pyogrio.read_dataframe(source, **kwargs)


@contextmanager
def rasterio_env() -> Iterator[None]:
    """:data:`GDAL_CONFIG` in rasterio's GDAL for the duration of a read."""
    import rasterio

    with rasterio.Env(**GDAL_CONFIG):
        yield
