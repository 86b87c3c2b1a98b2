"""The records of a proposed division change: :class:`Proposal` and :class:`VillageMove`."""

from __future__ import annotations

from dataclasses import dataclass

from geociv.changes.lists import Unit


@dataclass(frozen=True)
class VillageMove:
    """A village in a proposal: its old code and name and its new ones (``""`` for a
    village that is only on one side)."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str


@dataclass(frozen=True)
class Proposal:
    """One proposed change: its kind, the level of the units changed, the units before and
    after, the villages that move with it, how sure the comparison is (0–1) and why."""

    kind: str
    level: str
    before: tuple[Unit, ...]
    after: tuple[Unit, ...]
    villages: tuple[VillageMove, ...] = ()
    confidence: float = 1.0
    evidence: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable key: the kind and the sorted codes of the units before and after, so the
        same proposal from the same lists is recognised again."""
        codes = sorted({u.code for u in (*self.before, *self.after)})
        return f"{self.kind}:{','.join(codes)}"

    def to_json(self) -> dict[str, object]:
        """The proposal as a JSON-ready dict: ``kind``, ``old_code``, ``old_name``,
        ``new_code``, ``new_name`` (the first unit before and after, or ``""``), ``level``,
        ``before``, ``after``, ``villages``, ``confidence``, ``evidence`` and ``key``."""
        first_old = self.before[0] if self.before else None
        first_new = self.after[0] if self.after else None
        return {
            "kind": self.kind,
            "level": self.level,
            "old_code": first_old.code if first_old else "",
            "old_name": first_old.name if first_old else "",
            "new_code": first_new.code if first_new else "",
            "new_name": first_new.name if first_new else "",
            "before": [_unit_json(u) for u in self.before],
            "after": [_unit_json(u) for u in self.after],
            "villages": [vars(v).copy() for v in self.villages],
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "key": self.key,
        }


def _unit_json(unit: Unit) -> dict[str, object]:
    return {"code": unit.code, "name": unit.name, "parent_code": unit.parent_code,
            "level": unit.level}  # fmt: skip
