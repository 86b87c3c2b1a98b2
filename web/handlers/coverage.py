"""What the coverage page (:mod:`web.blueprints.coverage`) and the JSON API
(:mod:`web.blueprints.coverage_api`) share: who may read, which coordinate systems a file may
declare."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


#: Roles that may read facilities, runs and exports (every role; admins pass too).
READERS: tuple[str, ...] = ("officer", "inspector", "planner")


#: Declared coordinate systems of facility files.
CRS_CHOICES = {
    "CGCS2000": "CGCS2000（国家2000，天地图）",
    "WGS84": "WGS84（GPS、OpenStreetMap）",
    "GCJ02": "GCJ-02（高德、腾讯地图坐标）",
    "BD09": "BD-09（百度地图坐标）",
}
