"""Division changes (行政区划变更): official code lists, their changes of form, and the
changes proposed from comparing two vintages.

==============================  ==============================================================
:mod:`~geociv.changes.kinds`    the kinds of change (``CHANGE_KINDS``)
:mod:`~geociv.changes.lists`    reading and checking official lists (:class:`DivisionList`)
:mod:`~geociv.changes.forms`    changes of form that are not changes of division
:mod:`~geociv.changes.propose`  pairing two vintages and proposing changes (:class:`Proposal`)
==============================  ==============================================================
"""

from geociv.changes.lists import DivisionList, read_division_list
from geociv.changes.propose import Proposal, propose_changes

__all__ = ["DivisionList", "Proposal", "propose_changes", "read_division_list"]
