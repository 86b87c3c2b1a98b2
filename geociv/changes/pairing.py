"""Pairing the units of two vintages: which new unit each old unit became.

Villages first (:func:`match_villages`), because their codes follow their township: by code,
then by proper name (:func:`~geociv.changes.forms.core`) within the county, then — once the
townships are paired — by a near name or the same last three digits within paired townships.
Townships and counties (:func:`pair_units`) by code, then by proper name within the parent,
then by children: most of the old unit's children went to the new one, and most of the new
one's came from it.

Examples
--------
>>> from geociv.changes.lists import Unit
>>> old = [Unit("411721204201", "王庄村委会", "411721204", "village")]
>>> new = [Unit("411721107201", "王庄村民委员会", "411721107", "village")]
>>> match_villages(old, new)
{'411721204201': Match(new_code='411721107201', how='name')}
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from geociv.changes.forms import core
from geociv.changes.lists import Unit

logger = logging.getLogger(__name__)

#: A proper name at least this long may pair villages across counties when it is unique.
MIN_UNIQUE_CORE = 3


@dataclass(frozen=True)
class Match:
    """An old unit's counterpart: its new code and how it was found (``code``: the same
    code; ``name``: the same proper name; ``near``: a near name or the same last digits within
    paired parents; ``children``: most of its children went there)."""

    new_code: str
    how: str


def _county(code: str) -> str:
    return code[:6]


def match_villages(
    old: Iterable[Unit], new: Iterable[Unit], *, parents: dict[str, set[str]] | None = None
) -> dict[str, Match]:
    """Old village code → its match among the new villages.

    Parameters
    ----------
    old, new : iterable of Unit
        The villages of the two vintages.
    parents : dict, optional
        Old township code → the new townships it is related to (its successor, and those
        that took some of its villages), for the last pass (near names within related
        townships); without it that pass is skipped.
    """
    old = {u.code: u for u in old}
    new = {u.code: u for u in new}
    matches = {c: Match(c, "code") for c in old if c in new}
    _by_name(old, new, matches, _county)
    _by_name(old, new, matches, lambda code: "", unique_only=True)
    if parents:
        _near(old, new, matches, parents)
    return matches


def _by_name(
    old: dict[str, Unit],
    new: dict[str, Unit],
    matches: dict[str, Match],
    area: object,
    *,
    unique_only: bool = False,
) -> None:
    """Pair unmatched villages with the same proper name in the same area (``area(code)``),
    best first: the same last three digits, a township with the same proper name. A name
    that several unmatched villages of the area share pairs only with such a hint; across the
    whole scope (``unique_only``) only long names that are unique on both sides pair."""
    taken = {m.new_code for m in matches.values()}
    old_free = defaultdict(list)
    new_free = defaultdict(list)
    for u in old.values():
        if u.code not in matches:
            old_free[(area(u.code), core(u.name))].append(u)  # type: ignore[operator]
    for u in new.values():
        if u.code not in taken:
            new_free[(area(u.code), core(u.name))].append(u)  # type: ignore[operator]
    candidates = []
    for key, olds in old_free.items():
        news = new_free.get(key, [])
        if not news:
            continue
        unique = len(olds) == 1 and len(news) == 1
        if unique_only and not (unique and len(key[1]) >= MIN_UNIQUE_CORE):
            continue
        for o in olds:
            for n in news:
                score = 2 * (o.code[-3:] == n.code[-3:]) + (o.parent_code == n.parent_code)
                if score or unique:
                    candidates.append((-score, o.code, n.code))
    _assign(sorted(candidates), matches, taken, "name")


def _near(
    old: dict[str, Unit],
    new: dict[str, Unit],
    matches: dict[str, Match],
    parents: dict[str, set[str]],
) -> None:
    """Pair what is left within related townships: a near proper name (one contains the other,
    or one character differs) or the same last three digits."""
    taken = {m.new_code for m in matches.values()}
    free_new = defaultdict(list)
    for u in new.values():
        if u.code not in taken:
            free_new[u.parent_code].append(u)
    candidates = []
    for o in old.values():
        if o.code in matches or o.parent_code not in parents:
            continue
        for n in (n for p in sorted(parents[o.parent_code]) for n in free_new.get(p, [])):
            near = _near_names(core(o.name), core(n.name))
            score = 2 * near + (o.code[-3:] == n.code[-3:])
            if near or o.code[-3:] == n.code[-3:]:
                candidates.append((-score, o.code, n.code))
    _assign(sorted(candidates), matches, taken, "near")


def _assign(
    candidates: list[tuple[int, str, str]], matches: dict[str, Match], taken: set[str], how: str
) -> None:
    for _, old_code, new_code in candidates:
        if old_code not in matches and new_code not in taken:
            matches[old_code] = Match(new_code, how)
            taken.add(new_code)


def _near_names(a: str, b: str) -> bool:
    """One name contains the other (王庄 / 大王庄) or they differ in one character (二甫 /
    二铺)."""
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def pair_units(
    old: Iterable[Unit], new: Iterable[Unit], children: dict[str, str], child_parent: dict[str, str]
) -> dict[str, Match]:
    """Old unit code → the new unit it became, for one level (townships or counties).

    Parameters
    ----------
    old, new : iterable of Unit
        The units of the level in the two vintages.
    children : dict
        Old child code → new child code (the children's matches).
    child_parent : dict
        Old and new child code → the code of its parent.
    """
    old = {u.code: u for u in old}
    new = {u.code: u for u in new}
    pairs = {c: Match(c, "code") for c in old if c in new}
    flows = child_flows(children, child_parent)
    taken = set(pairs)
    came = Counter()  # how many children each new unit has from the old units
    for went in flows.values():
        came.update(went)
    free_old = Counter(core(u.name) for u in old.values() if u.code not in pairs)
    free_new = Counter(core(u.name) for u in new.values() if u.code not in taken)
    candidates = []
    for o in old.values():
        if o.code in pairs:
            continue
        went = flows.get(o.code, Counter())
        for n in new.values():
            if n.code in taken:
                continue
            name = core(o.name)
            same_name = name == core(n.name) and (
                o.parent_code == n.parent_code or free_old[name] == free_new[name] == 1
            )
            share = went[n.code] / max(sum(went.values()), 1)
            if same_name or (share > 0.5 and went[n.code] / max(came[n.code], 1) > 0.5):
                candidates.append((-(2 * same_name + share), o.code, n.code, same_name))
    for _, o_code, n_code, same_name in sorted(candidates):
        if o_code not in pairs and n_code not in taken:
            pairs[o_code] = Match(n_code, "name" if same_name else "children")
            taken.add(n_code)
    return pairs


def child_flows(children: dict[str, str], child_parent: dict[str, str]) -> dict[str, Counter]:
    """Old parent code → how many of its children went to each new parent."""
    flows: dict[str, Counter] = defaultdict(Counter)
    for old_child, new_child in children.items():
        flows[child_parent[old_child]][child_parent[new_child]] += 1
    return flows
