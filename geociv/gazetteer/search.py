"""Place-name search: Chinese (exact, prefix, contains), pinyin with or without tones, pinyin
initials (``zmd`` → 驻马店), aliases and former names, within a division or a map extent.

The index keeps, per key kind, an exact-match dict, the keys sorted (prefix look-ups bisect
it) and the entries holding each one-to-three-character piece (contains look-ups walk the
needle's rarest piece), so a search reads the entries that can match, not the whole index;
results are ranked by how they matched, then by the level of the place (a county before a
village), then by length, and the ways of matching that could only rank below a full page
are not tried.

Examples
--------
>>> idx = SearchIndex([Entry("D411700", "驻马店市", "驻马店市", "name", "city", "410000",
...                          "Zhùmǎdiàn Shì")])
>>> [h.name for h in idx.search("zmd")], [h.name for h in idx.search("zhumadian")]
(['驻马店市'], ['驻马店市'])
"""

from __future__ import annotations

import heapq
import re
import threading
import unicodedata
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from geociv.gazetteer.rules import sound_keys
from geociv.store import FormerName, NameRecord, Store
from geociv.store.changes import ChangeFollower

#: How a hit matched → base score.
SCORES = {
    "exact": 100,
    "prefix": 80,
    "contains": 60,
    "pinyin_exact": 90,
    "pinyin_prefix": 75,
    "pinyin_contains": 50,
    "initials_exact": 85,
    "initials_prefix": 65,
}
#: Penalty for matching an alias or a former name rather than the standard name.
KIND_PENALTY = {"name": 0, "alias": 5, "former": 10}
#: Bonus by category: bigger places first.
CATEGORY_BONUS = {"province": 9, "city": 8, "county": 7, "township": 6, "road": 5, "village": 4}
#: The most a category can add to a score (no kind takes a bonus).
_MOST_BONUS = max(CATEGORY_BONUS.values())

_CJK = re.compile(r"[\u3400-\u9fff]")
_TONE_MARKS = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")


@dataclass(frozen=True)
class Entry:
    """One searchable text of a name record (its standard name, an alias or a former name)."""

    name_id: str
    name: str  # the standard name shown in results
    text: str  # what is matched (standard name, alias or former name)
    kind: str  # name / alias / former
    category: str
    division_code: str
    pinyin: str  # spelling of ``text``


@dataclass(frozen=True)
class Hit:
    """One search result."""

    name_id: str
    name: str
    matched: str
    kind: str
    how: str
    score: int
    category: str
    division_code: str
    pinyin: str


class _Keys:
    """The key of each entry (by entry index), found exactly (a dict), by prefix (a sorted
    list, bisected) and by substring (the pieces of each key of the lengths in ``grams`` → the
    entries holding them; a look-up walks the needle's rarest piece): no look-up reads keys
    that cannot match, however many entries there are. Keys are appended as entries come; a dropped
    key stays in the lists (its entry is gone)."""

    def __init__(self, keys: list[str], *, grams: tuple[int, ...] = ()) -> None:
        self.keys: list[str] = []
        self.exact: dict[str, list[int]] = {}
        self._sorted: list[tuple[str, int]] = []
        self._grams = grams
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        self.extend(keys)

    def extend(self, keys: list[str]) -> None:
        """Append ``keys`` (their indices follow the existing ones)."""
        added = []
        postings = self._postings
        for key in keys:
            i = len(self.keys)
            self.exact.setdefault(key, []).append(i)
            self.keys.append(key)
            added.append((key, i))
            for n in self._grams:
                for piece in {key[p : p + n] for p in range(len(key) - n + 1)}:
                    postings[piece].append(i)
        if len(added) > 64:
            self._sorted = sorted(self._sorted + added)
        else:
            for item in added:
                insort(self._sorted, item)

    def drop(self, i: int) -> None:
        """Forget key ``i`` for exact look-ups (the others skip it by its dropped entry)."""
        same = self.exact.get(self.keys[i], [])
        if i in same:
            same.remove(i)

    def prefixed(self, needle: str, *, cap: int) -> list[int]:
        """Entry indices (ascending) of the first ``cap`` keys, in key order, starting with
        ``needle``."""
        out: list[int] = []
        ordered = self._sorted
        at = bisect_left(ordered, (needle, -1))
        while at < len(ordered) and len(out) < cap and ordered[at][0].startswith(needle):
            out.append(ordered[at][1])
            at += 1
        return sorted(out)

    def containing(self, needle: str, *, cap: int) -> list[int]:
        """Entry indices (ascending) of the first ``cap`` keys containing ``needle``."""
        if not needle:
            return []
        n = max((g for g in self._grams if g <= len(needle)), default=0)
        keys = self.keys
        if n == 0:  # shorter than every indexed piece: every key is a candidate
            rarest: Iterable[int] = range(len(keys))
        else:
            pieces = {needle[p : p + n] for p in range(len(needle) - n + 1)}
            rarest = min((self._postings.get(piece, []) for piece in pieces), key=len)
        out: list[int] = []
        for i in rarest:
            if needle in keys[i]:
                out.append(i)
                if len(out) >= cap:
                    break
        return out


def normalize_pinyin_query(q: str) -> tuple[str, bool]:
    """Lower-case, drop spaces/apostrophes; whether the query carries tones (marks or digits)."""
    text = unicodedata.normalize("NFC", q.strip().lower())
    toned = bool(_TONE_MARKS.search(text))
    if re.search(r"[a-zü]+[1-5]", text):  # TONE3 query such as "zhu4ma3dian4"
        return re.sub(r"[\s'’\-]", "", text), True
    return re.sub(r"[\s'’\-]", "", text), toned


class SearchIndex:
    """An in-memory index over name entries, updated entry by entry (:meth:`replace`)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: list[Entry | None] = []
        self._of: dict[str, list[int]] = {}
        self._live = 0
        # Chinese names are matched inside from one character up; pinyin from three letters
        self._names = _Keys([], grams=(1, 2))
        self._toned, self._toneless = _Keys([], grams=(3,)), _Keys([], grams=(3,))
        self._initials = _Keys([])
        self._append(list(entries))

    def _append(self, entries: list[Entry]) -> None:
        toned, toneless, initials = [], [], []
        for e in entries:
            t, tl = sound_keys(e.pinyin)
            toned.append(t)
            toneless.append(tl)
            initials.append(_initials(e.pinyin))
            self._of.setdefault(e.name_id, []).append(len(self.entries))
            self.entries.append(e)
            self._live += 1
        self._names.extend([e.text for e in entries])
        self._toned.extend(toned)
        self._toneless.extend(toneless)
        self._initials.extend(initials)

    def replace(self, name_id: str, entries: list[Entry]) -> None:
        """Put ``entries`` in place of those of ``name_id`` (none: the name left the index)."""
        for i in self._of.pop(name_id, []):
            self.entries[i] = None
            self._live -= 1
            for blob in (self._names, self._toned, self._toneless, self._initials):
                blob.drop(i)
        self._append(entries)

    def compacted(self) -> SearchIndex:
        """The same entries without the dropped ones' leftovers (after many updates)."""
        return SearchIndex(e for e in self.entries if e is not None)

    @property
    def dropped(self) -> int:
        """How many entries were replaced and still take room."""
        return len(self.entries) - len(self)

    def __len__(self) -> int:
        return self._live

    def search(
        self,
        q: str,
        *,
        within: str | None = None,
        name_ids: set[str] | None = None,
        keep: Callable[[str], bool] | None = None,
        limit: int = 20,
        cap: int = 5000,
    ) -> list[Hit]:
        """Ranked hits for ``q``; ``within`` is a division code prefix, ``name_ids`` restricts
        to a set and ``keep`` to the name ids it accepts (e.g. those in the map extent).

        The ways of matching are tried in turn, each finding at most ``cap`` entries; once
        ``limit`` names outscore anything the remaining ways could give, those are skipped
        (the result is the same: they could only add names ranked below)."""
        q = q.strip()
        if not q:
            return []

        def admits(e: Entry) -> bool:
            return (
                (not within or e.division_code.startswith(within))
                and (name_ids is None or e.name_id in name_ids)
                and (keep is None or keep(e.name_id))
            )

        ways = self._ways(q, cap)
        scored: dict[int, tuple[int, str]] = {}
        for n, (how, find) in enumerate(ways):
            best_left = max(SCORES[h] for h, _ in ways[n:]) + _MOST_BONUS
            if n and self._settled(scored, admits, limit, above=best_left):
                break
            for i in find():
                if i not in scored or scored[i][0] < SCORES[how]:
                    scored[i] = (SCORES[how], how)
        return self._ranked(scored, admits, limit)

    def _ways(self, q: str, cap: int) -> list[tuple[str, Callable[[], list[int]]]]:
        """The ways ``q`` can match, in the order they are tried: (how, its look-up)."""
        if _CJK.search(q):
            names = self._names
            return [
                ("exact", lambda: names.exact.get(q, [])),
                ("prefix", lambda: names.prefixed(q, cap=cap)),
                ("contains", lambda: names.containing(q, cap=cap)),
            ]
        key, toned = normalize_pinyin_query(q)
        if toned and re.search(r"\d", key):
            key = _tone3_to_marks(key)
        keys = self._toned if toned else self._toneless
        ways = [
            ("pinyin_exact", lambda: keys.exact.get(key, [])),
            ("pinyin_prefix", lambda: keys.prefixed(key, cap=cap)),
        ]
        if len(key) >= 3:
            ways.append(("pinyin_contains", lambda: keys.containing(key, cap=cap)))
        if key.isascii() and key.isalpha() and len(key) <= 8:
            initials = self._initials
            ways.append(("initials_exact", lambda: initials.exact.get(key, [])))
            ways.append(("initials_prefix", lambda: initials.prefixed(key, cap=cap)))
        return ways

    def _total(self, e: Entry, score: int) -> int:
        return score - KIND_PENALTY[e.kind] + CATEGORY_BONUS.get(e.category, 0)

    def _settled(
        self,
        scored: dict[int, tuple[int, str]],
        admits: Callable[[Entry], bool],
        limit: int,
        *,
        above: int,
    ) -> bool:
        """Whether ``limit`` names found so far score more than ``above``."""
        names: set[str] = set()
        for i, (score, _how) in scored.items():
            e = self.entries[i]
            if e is not None and admits(e) and self._total(e, score) > above:
                names.add(e.name_id)
                if len(names) >= limit:
                    return True
        return False

    def _ranked(
        self,
        scored: dict[int, tuple[int, str]],
        admits: Callable[[Entry], bool],
        limit: int,
    ) -> list[Hit]:
        """The best entry of each name, names by score, then length, then name. Only the
        ``limit`` names shown become hits (a common name matches hundreds of entries)."""
        best: dict[str, tuple[int, str, Entry]] = {}  # name id → (total, how, entry)
        for i, (score, how) in scored.items():
            e = self.entries[i]
            if e is None or not admits(e):
                continue
            total = self._total(e, score)
            if e.name_id not in best or best[e.name_id][0] < total:
                best[e.name_id] = (total, how, e)
        chosen = heapq.nsmallest(
            limit, best.values(), key=lambda b: (-b[0], len(b[2].name), b[2].name)
        )
        return [self._hit(e, how, total) for total, how, e in chosen]

    @staticmethod
    def _hit(e: Entry, how: str, total: int) -> Hit:
        return Hit(e.name_id, e.name, e.text, e.kind, how, total, e.category, e.division_code,
                   e.pinyin)  # fmt: skip


def _initials(spelling: str) -> str:
    """First letter of each syllable of a spelling: "Zhùmǎdiàn Shì" → "zmds"."""
    from geociv.gazetteer.pinyin import syllable_initials

    return syllable_initials(spelling)


_TONE_TABLE = {
    "a": "āáǎà",
    "e": "ēéěè",
    "i": "īíǐì",
    "o": "ōóǒò",
    "u": "ūúǔù",
    "ü": "ǖǘǚǜ",
    "v": "ǖǘǚǜ",
}


def _tone3_to_marks(key: str) -> str:
    """ "zhu4ma3dian4" → "zhùmǎdiàn" (tone 5 or none: no mark)."""

    def mark(m: re.Match[str]) -> str:
        syl, tone = m.group(1), int(m.group(2))
        if tone in (0, 5):
            return syl
        for vowel in ("a", "e", "ou"):
            if vowel in syl:
                pos = syl.index(vowel)
                break
        else:
            pos = max(i for i, ch in enumerate(syl) if ch in "aeiouüv")
        ch = syl[pos]
        return syl[:pos] + _TONE_TABLE[ch][tone - 1] + syl[pos + 1 :]

    return re.sub(r"([a-zü]+)([0-5])", mark, key)


#: Tables the search index is built from (their audit entries say what to re-read).
_SEARCH_TABLES = ("names", "divisions")

Box = tuple[float, float, float, float]


class NameSearch:
    """Search over the gazetteer of a store: standard names, aliases and former names.

    The index is built once, then kept up to date record by record: before each search it
    asks the store which names and divisions changed since (:class:`~geociv.store.changes.
    ChangeFollower`, so writes by other processes count too) and re-reads only those. Each
    name gets a bounding box for extent filters and for opening a result on the map: its own
    geometry's, else that of the nearest division polygon above it (county, then city).
    Thread-safe: one lock around catching up and searching.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._index = SearchIndex([])
        self._bounds: dict[str, Box] = {}
        self._polygons: dict[str, Box] = {}
        #: name_id → division codes whose polygon gives the name's box (it has no geometry).
        self._fallback: dict[str, tuple[str, ...]] = {}
        self._follower = ChangeFollower(store, _SEARCH_TABLES)
        self._lock = threading.RLock()
        #: How many times the index was built wholesale (once per process, bulk loads aside).
        self.builds = 0

    def refresh(self) -> None:
        """Forget the index (the next search builds it again)."""
        with self._lock:
            self._follower = ChangeFollower(self.store, _SEARCH_TABLES)

    def index(self) -> SearchIndex:
        """The index, up to date with the store."""
        with self._lock:
            changes = self._follower.poll()
            if changes.rebuild:
                self._build()
            else:
                self._apply(changes.keys)
            self._follower.done(changes)
            return self._index

    def _build(self) -> None:
        self.builds += 1
        self._polygons = {
            d.code: d.geometry.bounds
            for d in self.store.query_divisions(with_geometry=True)
            if d.geometry is not None
        }
        formers: dict[str, list[FormerName]] = {}
        for f in self.store.former_names():
            formers.setdefault(f.name_id, []).append(f)
        self._bounds, self._fallback = {}, {}
        entries: list[Entry] = []
        for r in self.store.query_names(with_geometry=True):
            entries.extend(self._entries(r, formers.get(r.name_id, [])))
        self._index = SearchIndex(entries)

    def _entries(self, r: NameRecord, formers: list[FormerName]) -> list[Entry]:
        """The entries of one name record, its box noted on the way."""
        entries = [Entry(r.name_id, r.name, r.name, "name", r.category, r.division_code,
                         r.pinyin)]  # fmt: skip
        for alias in r.aliases:
            entries.append(Entry(r.name_id, r.name, alias, "alias", r.category,
                                 r.division_code, r.pinyin))  # fmt: skip
        for f in formers:
            entries.append(Entry(r.name_id, r.name, f.name, "former", r.category,
                                 r.division_code, f.pinyin))  # fmt: skip
        self._fallback.pop(r.name_id, None)
        if r.geometry is not None and not r.geometry.is_empty:
            self._bounds[r.name_id] = r.geometry.bounds
        else:
            codes = tuple(c for c in (r.represents, r.division_code[:6],
                                      r.division_code[:4] + "00") if c)  # fmt: skip
            self._fallback[r.name_id] = codes
            self._box_from_divisions(r.name_id)
        return entries

    def _box_from_divisions(self, name_id: str) -> None:
        box = next((self._polygons[c] for c in self._fallback[name_id] if c in self._polygons),
                   None)  # fmt: skip
        if box is None:
            self._bounds.pop(name_id, None)
        else:
            self._bounds[name_id] = box

    def _apply(self, keys: dict[str, set[str]]) -> None:
        """Re-read the changed divisions and names and put them in the index."""
        codes = keys.get("divisions", set())
        for code in codes:
            d = self.store.get_division(code)
            if d is None or d.geometry is None:
                self._polygons.pop(code, None)
            else:
                self._polygons[code] = d.geometry.bounds
        if codes:
            for name_id, used in self._fallback.items():
                if codes.intersection(used):
                    self._box_from_divisions(name_id)
        for name_id in keys.get("names", ()):
            r = self.store.get_name(name_id)
            if r is None or r.status == "retired":
                self._index.replace(name_id, [])
                self._bounds.pop(name_id, None)
                self._fallback.pop(name_id, None)
            else:
                self._index.replace(name_id, self._entries(r, self.store.former_names(name_id)))
        if self._index.dropped > max(1000, len(self._index) // 4):
            self._index = self._index.compacted()

    def search(
        self,
        q: str,
        *,
        within: str | None = None,
        bbox: Box | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """Ranked hits; ``bbox`` (minx, miny, maxx, maxy) keeps names whose extent meets it."""
        with self._lock:
            index = self.index()
            keep = None
            if bbox is not None:  # asked of the matches only, not of every name

                def keep(name_id: str) -> bool:
                    box = self._bounds.get(name_id)
                    return box is not None and _meets(box, bbox)

            return index.search(q, within=within, keep=keep, limit=limit)

    def bounds(self, name_id: str) -> Box | None:
        """Where to show a name on the map."""
        with self._lock:
            return self._bounds.get(name_id)


def _meets(box: Box, other: Box) -> bool:
    """Whether two (minx, miny, maxx, maxy) boxes touch or overlap."""
    return box[0] <= other[2] and box[2] >= other[0] and box[1] <= other[3] and box[3] >= other[1]
