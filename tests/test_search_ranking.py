"""Which names a search puts first: pinned on the demo gazetteer against a brute-force
reference (every entry tested against every way of matching), and for the benchmark's queries.

The reference is the ranking rule written out plainly: each entry matches in the best way it
can (exact, prefix, contains; pinyin with or without tones; initials), a name takes its best
entry, names are ordered by score, then length, then name, and ties keep the order in which
the ways of matching are tried (then the index's order). The index must give the same list
however it finds the matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from geociv.gazetteer.rules import sound_keys
from geociv.gazetteer.search import (
    _CJK,
    CATEGORY_BONUS,
    KIND_PENALTY,
    SCORES,
    Entry,
    Hit,
    NameSearch,
    SearchIndex,
    _initials,
    _tone3_to_marks,
    normalize_pinyin_query,
)
from geociv.store import open_store

#: The queries of bench/store_bench.py.
BENCH_QUERIES = ("驿城", "zmd", "shangcai", "王庄", "确山县", "xiping", "新华")


class Reference:
    """The ranking rule over every live entry of an index (no shortcuts), its keys computed
    once."""

    def __init__(self, index: SearchIndex) -> None:
        self.entries = index.entries
        self.live = [i for i, e in enumerate(index.entries) if e is not None]
        sounds = {i: sound_keys(index.entries[i].pinyin) for i in self.live}
        self.toned = {i: sounds[i][0] for i in self.live}
        self.toneless = {i: sounds[i][1] for i in self.live}
        self.initials = {i: _initials(index.entries[i].pinyin) for i in self.live}

    def _tiers(self, q: str) -> Iterator[tuple[str, list[int]]]:
        """(how, matching entry indices in index order) for each way of matching, in order."""
        if _CJK.search(q):
            texts = [(i, self.entries[i].text) for i in self.live]
            yield "exact", [i for i, t in texts if t == q]
            yield "prefix", [i for i, t in texts if t.startswith(q)]
            yield "contains", [i for i, t in texts if q in t]
            return
        key, toned = normalize_pinyin_query(q)
        if toned and re.search(r"\d", key):
            key = _tone3_to_marks(key)
        spelt = (self.toned if toned else self.toneless).items()
        yield "pinyin_exact", [i for i, k in spelt if k == key]
        yield "pinyin_prefix", [i for i, k in spelt if k.startswith(key)]
        if len(key) >= 3:
            yield "pinyin_contains", [i for i, k in spelt if key in k]
        if key.isascii() and key.isalpha() and len(key) <= 8:
            yield "initials_exact", [i for i, k in self.initials.items() if k == key]
            yield "initials_prefix", [i for i, k in self.initials.items() if k.startswith(key)]

    def search(self, q: str, *, within: str | None = None, limit: int = 20) -> list[Hit]:
        q = q.strip()
        if not q:
            return []
        scored: dict[int, tuple[int, str]] = {}
        for how, found in self._tiers(q):
            for i in found:
                if i not in scored or scored[i][0] < SCORES[how]:
                    scored[i] = (SCORES[how], how)
        best: dict[str, Hit] = {}
        for i, (score, how) in scored.items():
            e = self.entries[i]
            if within and not e.division_code.startswith(within):
                continue
            total = score - KIND_PENALTY[e.kind] + CATEGORY_BONUS.get(e.category, 0)
            if e.name_id not in best or best[e.name_id].score < total:
                best[e.name_id] = Hit(e.name_id, e.name, e.text, e.kind, how, total,
                                      e.category, e.division_code, e.pinyin)  # fmt: skip
        return sorted(best.values(), key=lambda h: (-h.score, len(h.name), h.name))[:limit]


@pytest.fixture(scope="module")
def demo_index(demo_template) -> SearchIndex:
    store = open_store(demo_template)
    try:
        return NameSearch(store).index()
    finally:
        store.close()


def _queries(index: SearchIndex) -> list[str]:
    """The benchmark's queries and pieces of every 37th entry: whole, first one or two
    characters, middle two, its pinyin (toned, toneless, a syllable and a half) and initials."""
    out = [*BENCH_QUERIES, "王庄村", "城区", "xian", "zhuma", "Bìyáng", "bi4yang2", "庄", "ycq",
           "byx", "村", "社区", "zh", "x"]  # fmt: skip
    for e in index.entries[::37]:
        toned, toneless = sound_keys(e.pinyin)
        out += [e.text, e.text[:1], e.text[:2], e.text[1:3], toned, toneless, toneless[:5],
                toneless[2:7], _initials(e.pinyin)]  # fmt: skip
    return sorted({q for q in out if q.strip()})


def test_the_index_ranks_as_the_reference_does(demo_index: SearchIndex) -> None:
    queries = _queries(demo_index)
    assert len(queries) > 400
    rule = Reference(demo_index)
    for q in queries:
        expected = rule.search(q, limit=100)
        assert demo_index.search(q, limit=100) == expected, q
        assert demo_index.search(q) == expected[:20], q
    for q, within in (("王庄", "411702"), ("xian", "41172"), ("庄", "411726")):
        assert demo_index.search(q, within=within) == rule.search(q, within=within)


#: The benchmark's queries on the demo: how many hits, and the first ones (name id, how, score).
PINNED = {
    "驿城": (2, [("D411702", "prefix", 87), ("D411702003004", "prefix", 84)]),
    "zmd": (2, [("D411700", "initials_prefix", 73), ("D411771400", "initials_prefix", 71)]),
    "shangcai": (1, [("D411722", "pinyin_prefix", 82)]),
    "王庄": (20, [("D411702205214", "prefix", 84), ("D411721108206", "prefix", 84),
                 ("D411724212207", "prefix", 84), ("D411725102211", "prefix", 84)]),
    "确山县": (1, [("D411725", "exact", 107)]),
    "xiping": (1, [("D411721", "pinyin_prefix", 82)]),
    "新华": (5, [("D411702004", "prefix", 86), ("D411702004003", "prefix", 84),
                 ("D411726003004", "prefix", 84), ("D411727001001", "prefix", 84)]),
}  # fmt: skip


@pytest.mark.parametrize("q", BENCH_QUERIES)
def test_the_benchmark_queries_keep_their_first_results(demo_index: SearchIndex, q: str) -> None:
    count, first = PINNED[q]
    hits = demo_index.search(q)
    assert len(hits) == count
    assert [(h.name_id, h.how, h.score) for h in hits[: len(first)]] == first


class CountingList(list):
    """A list that counts how many items are read from it by index."""

    reads = 0

    def __getitem__(self, i):  # type: ignore[override]
        CountingList.reads += 1
        return super().__getitem__(i)


def _read_by(index: SearchIndex, q: str, limit: int = 20) -> tuple[list[Hit], int]:
    """The hits for ``q`` and how many entries and keys the index read to find them."""
    index.entries = CountingList(index.entries)
    for keys in (index._names, index._toned, index._toneless, index._initials):
        keys.keys = CountingList(keys.keys)
    CountingList.reads = 0
    hits = index.search(q, limit=limit)
    return hits, CountingList.reads


def _entries(count: int, name: str, start: int = 0) -> list[Entry]:
    return [
        Entry(f"N{start + i}", name.format(i), name.format(i), "name", "village", "411702001",
              "Xīnshēngchéng Cūn")
        for i in range(count)
    ]  # fmt: skip


def test_search_work_does_not_grow_with_matches_it_cannot_show() -> None:
    """30 names start with the query, thousands contain it: ranked after all of those, the
    containing ones are not read; a query matching few names reads only those, however many
    others the index holds."""
    few = SearchIndex(_entries(30, "生成{:02d}路") + _entries(40, "天中{:02d}村", 100))
    many = SearchIndex(
        _entries(30, "生成{:02d}路") + _entries(40, "天中{:02d}村", 100)
        + _entries(8_000, "新生成{:04d}村", 1_000)
    )  # fmt: skip
    small_hits, small = _read_by(few, "生成")
    large_hits, large = _read_by(many, "生成")
    assert [h.name for h in large_hits] == [h.name for h in small_hits]
    assert len(large_hits) == 20 and large <= 4 * 30, large
    for q in ("天中", "天中0", "中0", "tianzhong"):
        small_hits, small = _read_by(few, q)
        large_hits, large = _read_by(many, q)
        assert large_hits == small_hits and large == small, (q, small, large)
    assert len(_read_by(many, "新生成", limit=100)[0]) == 100
