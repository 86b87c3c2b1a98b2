"""Proposed division changes from two vintages of the official code lists.

:func:`propose_changes` pairs the units under one parent (:mod:`~geociv.changes.pairing`) and
says, for each change it sees, which kind it is (:data:`~geociv.changes.kinds.CHANGE_KINDS`),
with a confidence and the evidence, in Chinese, for an officer to review. Pure changes of form
(:mod:`~geociv.changes.forms`) are not proposed. Villages whose codes follow their township's
new code go into that township's proposal; other village changes are grouped: one ``transfer``
per (old township, new township), one ``rename``, ``recode``, ``new`` or ``abolish`` per
township.

Examples
--------
>>> from geociv.changes.lists import DivisionList, Unit
>>> old = DivisionList([Unit("411721204", "宋集乡", "411721", "township")])
>>> new = DivisionList([Unit("411721107", "宋集镇", "411721", "township")])
>>> [(p.kind, p.to_json()["old_name"], p.to_json()["new_name"])
...  for p in propose_changes(old, new, parent="411721")]
[('township_to_town', '宋集乡', '宋集镇')]
"""

from __future__ import annotations

import logging

from geociv.changes.compare import Comparison
from geociv.changes.lists import DivisionList, Unit
from geociv.changes.proposal import Proposal, VillageMove
from geociv.divisions import normalize_code

logger = logging.getLogger(__name__)

__all__ = ["LEVEL_ORDER", "Proposal", "VillageMove", "propose_changes"]

#: The order of levels in the result.
LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4}


def propose_changes(
    old: DivisionList,
    new: DivisionList,
    *,
    parent: str,
    old_villages: DivisionList | None = None,
    new_villages: DivisionList | None = None,
) -> list[Proposal]:
    """The changes between two vintages of the units under ``parent``.

    Parameters
    ----------
    old, new : DivisionList
        The earlier and the later lists (counties and townships, or any levels).
    parent : str
        The code of the unit whose descendants are compared (e.g. ``411700``).
    old_villages, new_villages : DivisionList, optional
        Village lists of the two vintages, when not already in ``old`` / ``new``.

    Returns
    -------
    list of Proposal
        Ordered by county, then level, then code.
    """
    parent = normalize_code(parent)
    before = _scope([old, old_villages], parent)
    after = _scope([new, new_villages], parent)
    proposals = Comparison(before, after).proposals()
    logger.info("%d proposals under %s", len(proposals), parent)
    return sorted(proposals, key=_order)


def _scope(lists: list[DivisionList | None], parent: str) -> DivisionList:
    units: dict[str, Unit] = {}
    for part in lists:
        if part is not None:
            units.update({u.code: u for u in part.under(parent)})
    return DivisionList(units.values())


def _order(proposal: Proposal) -> tuple[str, int, str]:
    first = (proposal.after or proposal.before)[0]
    codes = sorted(u.code for u in (*proposal.before, *proposal.after))
    return first.code[:6], LEVEL_ORDER[proposal.level], codes[0]
