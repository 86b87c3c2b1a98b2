"""The joint inspection as the web, API and CLI tests find it: Zhumadian's lines derived with
the neighbouring counties, sample markers (示例) on 西上线, round 6 with 西上线 planned for this
year with a team for each side, and an inspector for each side (inspector1 is 西平县, the left
side; inspector2 is 上蔡县, the right side) plus one of a county on neither side."""

from __future__ import annotations

from datetime import date

from geociv.auth import Users
from geociv.boundaries.markers import Markers
from geociv.boundaries.rounds import Rounds
from geociv.store import InspectionPlan, Marker, Store
from tests.boundary_setup import LINE, add_inspector, derive_with_neighbours, register_samples

#: The marker checked in the tests: a single marker on 西上线.
Q1 = f"{LINE}-001Q"

#: Inspectors created here: (username, division): 上蔡县 (right side), 确山县 (neither side).
OTHER_SIDE = ("inspector2", "411722")
NEITHER_SIDE = ("inspector3", "411725")


def prepare_field(store: Store) -> tuple[InspectionPlan, dict[str, Marker]]:
    """Lines, markers, this year's round and plan, inspectors; safe to run on a store that
    already holds some of it. Returns the plan of 西上线 and its markers by number."""
    derive_with_neighbours(store)
    markers = Markers(store)
    if not markers.query(line_id=LINE):
        register_samples(store)
    users = Users(store)
    for username, code in (OTHER_SIDE, NEITHER_SIDE):
        if users.get(username) is None:
            add_inspector(store, username, code)
    rounds = Rounds(store)
    year = date.today().year
    round_ = rounds.open_for_year(year, actor="admin1")
    plans = rounds.plans(round_.round_no, line_id=LINE)
    plan = plans[0] if plans else rounds.plan(
        round_.round_no, LINE, year, left_team=("411721", ["张三", "李四"]),
        right_team=("411722", ["王五"]), actor="admin1", sample=True,
    )  # fmt: skip
    return plan, {m.marker_id: m for m in markers.query(line_id=LINE)}
