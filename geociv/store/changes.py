"""Following a store's changes, so that caches are updated record by record instead of rebuilt.

Every write is audited in the same transaction, and audit ids only grow in commit order, so the
audit trail is the store's change counter: a cache built at one entry asks for the entries on
its tables after it and re-reads just those records. This works across processes (a second
``geociv serve`` worker sees the first one's writes in the store) and inside a write
transaction, where the writer's own entries are applied at once but looked at again later, in
case the transaction is rolled back.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.store import open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "c.gpkg")
>>> follower = ChangeFollower(store, ("geociv_meta",))
>>> follower.poll().rebuild
True
>>> follower.done(follower.poll())
>>> store.set_meta("a", "1", actor="doc")
>>> changes = follower.poll()
>>> changes.rebuild, changes.keys
(False, {'geociv_meta': {'a'}})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from geociv.store.base import Store


#: How far back a rebuild inside a write transaction looks for the last committed entry.
_LOOK_BACK = 64


class Change(NamedTuple):
    """One audit entry as a change: which record of which table, and whether it is committed
    (``False`` for the caller's own entries in its open write transaction)."""

    id: int
    at: str
    entity: str
    key: str
    committed: bool = True


@dataclass
class Changes:
    """What a cache must do to catch up: rebuild wholesale, or re-read ``keys`` per table."""

    rebuild: bool
    keys: dict[str, set[str]] = field(default_factory=dict)
    mark: Change | None = None
    pending: set[tuple[str, str]] = field(default_factory=set)
    again: bool = False

    def __bool__(self) -> bool:
        return self.rebuild or bool(self.keys)


class ChangeFollower:
    """Where a cache built from the tables ``entities`` stands in the store's change history.

    Call :meth:`poll` before using the cache, apply what it returns (rebuild, or re-read each
    changed key), then call :meth:`done` with it. Not thread-safe: the cache's owner holds a
    lock around poll, apply and done.

    Parameters
    ----------
    store
        The store to follow.
    entities
        Audit entities (tables) the cache is built from.
    most
        More changed entries than this at once (a bulk import) make a rebuild cheaper.
    """

    def __init__(self, store: Store, entities: tuple[str, ...], *, most: int = 2000) -> None:
        self.store = store
        self.entities = entities
        self.most = most
        self.mark: Change | None = None
        self.built = False
        self.pending: set[tuple[str, str]] = set()

    def poll(self) -> Changes:
        """The changes since the cache's mark (a rebuild the first time, after a bulk change,
        or when the entry the cache stood on is gone: a rolled-back write, a restored store)."""
        if not self.built:
            return self._rebuild()
        after = self.mark.id - 1 if self.mark is not None else 0
        rows = self.store.changes_since(self.entities, after, limit=self.most + 2)
        if self.mark is not None:
            if not rows or rows[0][:4] != self.mark[:4]:
                return self._rebuild()
            rows = rows[1:]
        if len(rows) > self.most:
            return self._rebuild()
        changes = Changes(rebuild=False, mark=self.mark, pending=set())
        for key in self.pending:
            changes.keys.setdefault(key[0], set()).add(key[1])
        for row in rows:
            changes.keys.setdefault(row.entity, set()).add(row.key)
            if row.committed:
                changes.mark = row
            else:
                changes.pending.add((row.entity, row.key))
        return changes

    def done(self, changes: Changes) -> None:
        """Record that the cache applied ``changes``."""
        self.built = not changes.again
        self.mark = changes.mark
        self.pending = changes.pending

    def _rebuild(self) -> Changes:
        # The mark is taken before the cache reads the tables: a write landing in between is
        # applied again at the next poll, which is harmless (records are re-read, not replayed).
        newest = self.store.last_change(self.entities)
        rows = self.store.changes_since(self.entities, max(newest - _LOOK_BACK, 0),
                                        limit=_LOOK_BACK)  # fmt: skip
        own = [r for r in rows if not r.committed]
        if not own:
            return Changes(rebuild=True, mark=rows[-1] if rows else None)
        # Built inside the caller's own write transaction, after its own writes: every entry
        # before its first one is committed; its own are looked at again at the next poll.
        committed = [r for r in rows if r.id < own[0].id]
        if not committed and rows[0].id > 1:
            return Changes(rebuild=True, again=True)  # a long transaction: build again later
        return Changes(
            rebuild=True,
            mark=committed[-1] if committed else None,
            pending={(r.entity, r.key) for r in own},
        )
