"""Place-name search: Chinese (exact, prefix, contains), pinyin with or without tones, pinyin
initials (``zmd`` → 驻马店), aliases and former names, within a division or a map extent.

The index keeps one text blob per key kind ("\\n" + key per entry), so prefix and contains
look-ups are C-speed substring scans, and an exact-match dict; results are ranked by how they
matched, then by the level of the place (a county before a village), then by length.

Examples
--------
>>> idx = SearchIndex([Entry("D411700", "驻马店市", "驻马店市", "name", "city", "410000",
...                          "Zhùmǎdiàn Shì")])
>>> [h.name for h in idx.search("zmd")], [h.name for h in idx.search("zhumadian")]
(['驻马店市'], ['驻马店市'])
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from geociv.gazetteer.rules import sound_keys
from geociv.store import FormerName, Store

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


class _Blob:
    """Keys joined as "\\nkey1\\nkey2…" with the start offset of each, for fast scans."""

    def __init__(self, keys: list[str]) -> None:
        self.starts: list[int] = []
        parts = []
        pos = 0
        for key in keys:
            self.starts.append(pos)
            parts.append("\n" + key)
            pos += len(key) + 1
        self.text = "".join(parts)
        self.exact: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            self.exact.setdefault(key, []).append(i)

    def find(self, needle: str, *, prefix: bool, cap: int) -> list[int]:
        """Entry indices whose key starts with (``prefix``) or contains ``needle``."""
        if not needle:
            return []
        pattern = "\n" + needle if prefix else needle
        out: list[int] = []
        seen: set[int] = set()
        pos = self.text.find(pattern)
        while pos != -1 and len(out) < cap:
            i = bisect_right(self.starts, pos if prefix else pos - 1) - 1
            if i not in seen:
                seen.add(i)
                out.append(i)
            pos = self.text.find(pattern, pos + 1)
        return out


def normalize_pinyin_query(q: str) -> tuple[str, bool]:
    """Lower-case, drop spaces/apostrophes; whether the query carries tones (marks or digits)."""
    text = unicodedata.normalize("NFC", q.strip().lower())
    toned = bool(_TONE_MARKS.search(text))
    if re.search(r"[a-zü]+[1-5]", text):  # TONE3 query such as "zhu4ma3dian4"
        return re.sub(r"[\s'’\-]", "", text), True
    return re.sub(r"[\s'’\-]", "", text), toned


class SearchIndex:
    """An in-memory index over name entries."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        toned, toneless, initials = [], [], []
        for e in self.entries:
            t, tl = sound_keys(e.pinyin)
            toned.append(t)
            toneless.append(tl)
            initials.append(_initials(e.pinyin))
        self._names = _Blob([e.text for e in self.entries])
        self._toned = _Blob(toned)
        self._toneless = _Blob(toneless)
        self._initials = _Blob(initials)

    def __len__(self) -> int:
        return len(self.entries)

    def search(
        self,
        q: str,
        *,
        within: str | None = None,
        name_ids: set[str] | None = None,
        limit: int = 20,
        cap: int = 5000,
    ) -> list[Hit]:
        """Ranked hits for ``q``; ``within`` is a division code prefix, ``name_ids`` restricts
        to a set (e.g. those in the map extent)."""
        q = q.strip()
        if not q:
            return []
        scored: dict[int, tuple[int, str]] = {}

        def take(indices: Iterable[int], how: str) -> None:
            for i in indices:
                if i not in scored or scored[i][0] < SCORES[how]:
                    scored[i] = (SCORES[how], how)

        if _CJK.search(q):
            take(self._names.exact.get(q, []), "exact")
            take(self._names.find(q, prefix=True, cap=cap), "prefix")
            take(self._names.find(q, prefix=False, cap=cap), "contains")
        else:
            key, toned = normalize_pinyin_query(q)
            if toned and re.search(r"\d", key):
                key = _tone3_to_marks(key)
            blob = self._toned if toned else self._toneless
            take(blob.exact.get(key, []), "pinyin_exact")
            take(blob.find(key, prefix=True, cap=cap), "pinyin_prefix")
            if len(key) >= 3:
                take(blob.find(key, prefix=False, cap=cap), "pinyin_contains")
            if key.isascii() and key.isalpha() and len(key) <= 8:
                take(self._initials.exact.get(key, []), "initials_exact")
                take(self._initials.find(key, prefix=True, cap=cap), "initials_prefix")
        best: dict[str, Hit] = {}
        for i, (score, how) in scored.items():
            e = self.entries[i]
            if within and not e.division_code.startswith(within):
                continue
            if name_ids is not None and e.name_id not in name_ids:
                continue
            total = score - KIND_PENALTY[e.kind] + CATEGORY_BONUS.get(e.category, 0)
            hit = Hit(
                e.name_id, e.name, e.text, e.kind, how, total, e.category, e.division_code, e.pinyin
            )
            if e.name_id not in best or best[e.name_id].score < total:
                best[e.name_id] = hit
        ranked = sorted(best.values(), key=lambda h: (-h.score, len(h.name), h.name))
        return ranked[:limit]


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


class NameSearch:
    """Search over the gazetteer of a store: standard names, aliases and former names.

    The index is rebuilt only when names changed. Each name gets a bounding box for extent
    filters and for opening a result on the map: its own geometry's, else that of the nearest
    division polygon above it (county, then city).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._index: SearchIndex | None = None
        self._bounds: dict[str, tuple[float, float, float, float]] = {}
        self._stamp = -1

    def refresh(self) -> None:
        """Forget the index (the next search rebuilds it)."""
        self._index = None

    def index(self) -> SearchIndex:
        """The current index."""
        stamp = self.store.last_change(("names", "divisions"))
        if self._index is None or stamp != self._stamp:
            self._index, self._bounds = self._build()
            self._stamp = stamp
        return self._index

    def _build(self) -> tuple[SearchIndex, dict[str, tuple[float, float, float, float]]]:
        records = self.store.query_names(with_geometry=True)
        polygons = {
            d.code: d.geometry.bounds
            for d in self.store.query_divisions(with_geometry=True)
            if d.geometry is not None
        }
        entries: list[Entry] = []
        bounds: dict[str, tuple[float, float, float, float]] = {}
        formers: dict[str, list[FormerName]] = {}
        for f in self.store.former_names():
            formers.setdefault(f.name_id, []).append(f)
        for r in records:
            entries.append(Entry(r.name_id, r.name, r.name, "name", r.category,
                                 r.division_code, r.pinyin))  # fmt: skip
            for alias in r.aliases:
                entries.append(Entry(r.name_id, r.name, alias, "alias", r.category,
                                     r.division_code, r.pinyin))  # fmt: skip
            for f in formers.get(r.name_id, []):
                entries.append(Entry(r.name_id, r.name, f.name, "former", r.category,
                                     r.division_code, f.pinyin))  # fmt: skip
            box = r.geometry.bounds if r.geometry is not None and not r.geometry.is_empty else None
            for code in (r.represents, r.division_code[:6], r.division_code[:4] + "00"):
                if box is None and code in polygons:
                    box = polygons[code]
            if box is not None:
                bounds[r.name_id] = box
        return SearchIndex(entries), bounds

    def search(
        self,
        q: str,
        *,
        within: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """Ranked hits; ``bbox`` (minx, miny, maxx, maxy) keeps names whose extent meets it."""
        index = self.index()
        ids = None
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            ids = {
                k for k, (a, b, c, d) in self._bounds.items()
                if a <= maxx and c >= minx and b <= maxy and d >= miny
            }  # fmt: skip
        return index.search(q, within=within, name_ids=ids, limit=limit)

    def bounds(self, name_id: str) -> tuple[float, float, float, float] | None:
        """Where to show a name on the map."""
        self.index()
        return self._bounds.get(name_id)
