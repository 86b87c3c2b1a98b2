"""Issue 10: ``geociv --help`` is fast because it imports neither the GIS stack nor the web
application: heavy modules load inside the commands that use them. Checked by what a fresh
interpreter has imported after every ``--help``, not by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_cli_edges import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


#: Modules of the GIS and web stack that ``--help`` must not pay for.
HEAVY = ("geopandas", "shapely", "pandas", "numpy", "pyproj", "pyogrio", "rasterio", "flask")
HEAVY += ("folium", "dask", "networkx", "scipy", "pypinyin", "openpyxl", "web.app")

_HELP_EVERYWHERE = """
import json, sys
from geociv.cli import main
for command in json.loads(sys.argv[1]):
    try:
        main([*command, "--help"], prog_name="geociv")
    except SystemExit as done:
        assert done.code == 0, command
print(json.dumps(sorted(sys.modules)))
"""


def test_help_imports_no_gis_or_web_stack() -> None:
    """``geociv --help``, every group's and every command's, in a fresh interpreter."""
    groups = sorted({c[:1] for c in COMMANDS if len(c) > 1} | {c[:2] for c in COMMANDS})
    commands = [[], *map(list, groups), *map(list, COMMANDS)]
    done = subprocess.run(
        [sys.executable, "-c", _HELP_EVERYWHERE, json.dumps(commands)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "15 分钟服务圈" in done.stdout and "serve" in done.stdout
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    assert "geociv.cli.boundaries" in imported and "web.cli" in imported
    assert sorted(imported & set(HEAVY)) == []
