"""Gazetteer benchmark on every township and village of Henan (NBS codes, ~55 k names).

Measures, in one run:
0. the share of the 1,982 GB/T 2260 county romanisations of ``tests/data/readings`` that geociv
   spells right (all rows, and without the rows its README excludes), the share of the 11,280
   GeoNames town romanisations (an independent table), and the polyphone notices (N5-POLYPHONE)
   on Henan's townships;
1. bulk validation with all rules (names per second; findings by rule; same-name villages in
   one county; the alarm rate on official names), and the share of it spent spelling pinyin,
   against plain pypinyin on the same names;
2. search latency (p50/p95 over a query mix) of geociv's index against SQLite ``LIKE`` queries
   over the same names and spellings in an in-memory database.

Run: ``python bench/gazetteer_bench.py [SHARED_DATA_DIR]`` (default ``../shared/data``).
"""

from __future__ import annotations

import csv
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from _shared import shared_data  # bench/ is on sys.path when run as a script
from pypinyin import Style, lazy_pinyin

from geociv.gazetteer.categories import committee_to_place_name, split_generic
from geociv.gazetteer.pinyin import Romanizer
from geociv.gazetteer.readings import AMBIGUOUS, agrees_with
from geociv.gazetteer.rules import RULES, Candidate, NameValidator
from geociv.gazetteer.search import Entry, SearchIndex

ROOT = Path(__file__).resolve().parents[1]
READINGS = ROOT / "tests" / "data" / "readings"


def readings_share(romanizer: Romanizer) -> tuple[int, int, int, int]:
    """(right, rows, right without exclusions, rows without exclusions) on the GB/T table."""
    with open(READINGS / "county_romanisation_gbt2260.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(READINGS / "exclusions.csv", encoding="utf-8") as f:
        excluded = {r["code"] for r in csv.DictReader(f)}
    right = right_kept = 0
    for row in rows:
        specific, generic = split_generic(row["name"], "county")
        text = romanizer.spell(row["name"], specific=specific, generic=generic or None).text
        ok = agrees_with(text, row["romanisation"], len(specific))
        right += ok
        right_kept += ok and row["code"] not in excluded
    return right, len(rows), right_kept, len(rows) - len(excluded)


def geonames_share(romanizer: Romanizer) -> tuple[int, int, int, int, int]:
    """On the GeoNames town table: (right, rows, Henan right, Henan rows, left to a notice).

    "Left to a notice": spelled otherwise, but the name holds a character whose place names go
    both ways (:data:`geociv.gazetteer.readings.AMBIGUOUS`) and the spelling says so.
    """
    with open(READINGS / "township_romanisation_geonames.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    right = henan_right = noticed = 0
    for row in rows:
        spelling = romanizer.spell(row["name"], specific=row["name"], generic="")
        ok = agrees_with(spelling.text, row["romanisation"], len(row["name"]))
        right += ok
        henan_right += ok and row["admin1"] == "09"
        noticed += not ok and bool(set(spelling.polyphonic) & set(AMBIGUOUS))
    henan = sum(row["admin1"] == "09" for row in rows)
    return right, len(rows), henan_right, henan, noticed


def load(shared: Path) -> tuple[list[Candidate], dict[str, str]]:
    codes = shared / "admin-codes"
    names: dict[str, str] = {}
    for file in ("henan_counties_nbs.csv", "henan_townships_nbs.csv"):
        with open(codes / file, encoding="utf-8") as f:
            names.update({r["code"]: r["name"] for r in csv.DictReader(f)})
    candidates = []
    with open(codes / "henan_townships_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            candidates.append(Candidate(r["name"], "township", r["areaCode"], name_id=r["code"]))
    with open(codes / "henan_villages_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            place, _ = committee_to_place_name(r["name"])
            candidates.append(Candidate(place, "village", r["streetCode"], name_id=r["code"]))
    return candidates, names


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(shared: Path) -> None:
    candidates, division_names = load(shared)
    print(f"Henan names: {len(candidates):,} (townships + villages/communities, NBS 2022/2023)")

    # -- 1. bulk validation ---------------------------------------------------------------
    start = time.perf_counter()
    romanizer = Romanizer()
    validator = NameValidator(romanizer, division_names=division_names)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    reports = validator.validate_many(candidates)
    elapsed = time.perf_counter() - start

    right, rows, right_kept, kept = readings_share(romanizer)
    townships = [r for r in reports if r.candidate.category == "township"]
    notices = sum(f.rule_id == "N5-POLYPHONE" for r in townships for f in r.findings)
    print("\n0. Readings")
    print(
        f"   GB/T 2260 county romanisations spelled right: {right:,} of {rows:,} = "
        f"{100 * right / rows:.2f} %; without the {rows - kept} excluded rows: {right_kept:,} of "
        f"{kept:,} = {100 * right_kept / kept:.2f} % (target ≥ 99.5 %)"
    )
    g_right, g_rows, h_right, h_rows, g_noticed = geonames_share(romanizer)
    print(
        f"   GeoNames town romanisations spelled right: {g_right:,} of {g_rows:,} = "
        f"{100 * g_right / g_rows:.2f} % (Henan {h_right} of {h_rows} = "
        f"{100 * h_right / h_rows:.2f} %); of the {g_rows - g_right} others, {g_noticed} carry "
        "a polyphone notice (a character read both ways in place names)"
    )
    print(f"   polyphone notices (N5-POLYPHONE) on {len(townships):,} townships: {notices:,}")
    print("\n1. Bulk validation, all rules, names also checked against each other")
    print(f"   set-up (lists, OpenCC tables, readings): {setup:.2f} s")
    print(
        f"   validation: {elapsed:.2f} s = {len(candidates) / elapsed:,.0f} names/s "
        f"(target: all in < 5 s)"
    )

    start = time.perf_counter()
    for c in candidates:
        lazy_pinyin(c.name, style=Style.TONE3)
    plain = time.perf_counter() - start
    fresh = Romanizer()
    start = time.perf_counter()
    for c in candidates:
        s, g = split_generic(c.name, c.category)
        fresh.spell(c.name, specific=s or None, generic=g or None, category=c.category)
    ours = time.perf_counter() - start
    print(
        f"   pinyin alone: geociv Romanizer {ours:.2f} s vs plain pypinyin lazy_pinyin "
        f"{plain:.2f} s → ratio {plain / ours:.1f}× (geociv also applies the spelling rules)"
    )

    by_rule = Counter(f.rule_id for r in reports for f in r.findings)
    print("\n   findings by rule:")
    for rule_id, n in sorted(by_rule.items()):
        print(f"     {rule_id:<15} {RULES[rule_id].severity:<8} {n:>6}  {RULES[rule_id].title}")

    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for c in candidates:
        if c.category == "village":
            groups[(c.division_code[:6], c.name)].append(c)
    same = sorted(((k, v) for k, v in groups.items() if len(v) > 1), key=lambda kv: -len(kv[1]))
    print(
        f"\n   same-name villages in one county: {len(same):,} names in "
        f"{sum(len(v) for _, v in same):,} villages; the largest:"
    )
    for (county, name), members in same[:5]:
        towns = "、".join(
            sorted({division_names.get(m.division_code, m.division_code) for m in members})[:6]
        )
        print(f"     {division_names.get(county, county)} {name} ×{len(members)}（{towns}…）")

    distinct = [r for r in reports if not any(f.rule_id == "N2-DUPLICATE" for f in r.findings)]
    alarms = [
        r
        for r in distinct
        if any(
            f.severity in ("error", "warning") and not f.rule_id.startswith("N2")
            for f in r.findings
        )
    ]
    alarm_rules = Counter(
        f.rule_id
        for r in alarms
        for f in r.findings
        if f.severity in ("error", "warning") and not f.rule_id.startswith("N2")
    )
    print(
        f"\n   alarm rate on distinct official names (error/warning other than the uniqueness "
        f"rules): {len(alarms):,} of {len(distinct):,} = {100 * len(alarms) / len(distinct):.2f} %"
    )
    for rule_id, n in alarm_rules.most_common():
        sample = [
            r.candidate.name for r in alarms if any(f.rule_id == rule_id for f in r.findings)
        ][:6]
        print(f"     {rule_id:<15} {n:>5}  e.g. {'、'.join(sample)}")

    # -- 2. search ------------------------------------------------------------------------
    entries = [
        Entry(c.name_id or "", c.name, c.name, "name", c.category, c.division_code, r.pinyin or "")
        for c, r in zip(candidates, reports, strict=True)
    ]
    start = time.perf_counter()
    index = SearchIndex(entries)
    build = time.perf_counter() - start
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE n (id TEXT, name TEXT, toneless TEXT, initials TEXT, division TEXT)")
    db.executemany(
        "INSERT INTO n VALUES (?, ?, ?, ?, ?)",
        [
            (e.name_id, e.name, k[1], i, e.division_code)
            for e, k, i in zip(
                entries,
                (index_keys(e.pinyin) for e in entries),
                index._initials.keys,
                strict=True,
            )
        ],
    )
    rng = random.Random(7)
    sample = rng.sample(entries, 100)
    queries = (
        [e.name for e in sample[:25]]
        + [e.name[:2] for e in sample[25:50]]
        + [index_keys(e.pinyin)[1][:6] for e in sample[50:75]]
        + [index._initials.keys[entries.index(e)][:3] for e in sample[75:]]
        + ["王庄", "zmd", "zhumadian", "街道", "xinhua"]
    )
    ours_ms, sqlite_ms = [], []
    for q in queries * 3:
        t = time.perf_counter()
        index.search(q, limit=20)
        ours_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        like = f"%{q}%"
        db.execute(
            "SELECT id, name FROM n WHERE name LIKE ? OR toneless LIKE ? OR initials LIKE ? "
            "ORDER BY length(name) LIMIT 20",
            (like, like, f"{q}%"),
        ).fetchall()
        sqlite_ms.append((time.perf_counter() - t) * 1000)
    print(
        f"\n2. Search over {len(entries):,} names ({len(queries) * 3} queries: Chinese exact/"
        "prefix, pinyin prefixes, initials, common words); index built in "
        f"{build:.2f} s"
    )
    for label, values in (("geociv SearchIndex", ours_ms), ("SQLite LIKE (unranked)", sqlite_ms)):
        print(
            f"   {label:<24} p50 {statistics.median(values):6.2f} ms   "
            f"p95 {percentile(values, 95):6.2f} ms   max {max(values):6.2f} ms"
        )
    print(
        f"   ratio (SQLite p95 / geociv p95): "
        f"{percentile(sqlite_ms, 95) / percentile(ours_ms, 95):.1f}×  (target p95 < 20 ms)"
    )


def index_keys(spelling: str) -> tuple[str, str]:
    from geociv.gazetteer.rules import sound_keys

    return sound_keys(spelling)


if __name__ == "__main__":
    main(shared_data(sys.argv[1] if len(sys.argv) > 1 else None, "admin-codes"))
