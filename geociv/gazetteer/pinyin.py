"""Romanisation of place names (地名罗马字母拼写) by the Chinese place-name spelling rules.

The rules are those of 《中国地名汉语拼音字母拼写规则（汉语地名部分）》 (1984), GB/T 16159-2012
and GB 17733 as summarised in ``DESIGN.md`` ("Names", rule 5):

* 专名 and 通名 are separate words, each capitalised (驻马店市 → Zhùmǎdiàn Shì); a multi-character
  通名 is one word (解放大道 → Jiěfàng Dàdào);
* a natural village (自然村) is written as one word (周口店 → Zhōukǒudiàn);
* an apostrophe goes before a syllable starting with a, o or e that does not start its word
  (西安 → Xī'ān);
* ordinals in road names are Arabic digits, as a word of their own (经五路 → Jīng 5 Lù);
* special place-name readings come from a curated override table
  (``data/gazetteer/pinyin_overrides.csv``: 六安 Lù'ān, 蚌埠 Bèngbù, 浚县 Xùn Xiàn …) that wins over
  the generic readings of :mod:`pypinyin`;
* characters that are not Chinese (digits, Latin letters) pass through unchanged as words of
  their own.

Readings are written internally in TONE3 form: lower-case syllables with the tone number 1–4
(5 for the neutral tone) at the end, ``v`` standing for ``ü`` (``lv4`` is 绿 lǜ). ``v`` never
reaches the spelled text.

Overrides are matched on the whole name, longest word first, then the syllables are cut at the
专名/通名 boundary (浚县 = 浚 + 县 → Xùn Xiàn); an override is skipped where a dictionary phrase
straddles its edge (长乐亭 is 长乐 + 亭, so 乐亭 Làotíng does not apply). pypinyin converts the
rest, once per distinct run of characters (cached), 专名 and 通名 separately, then the
place-name position rules of :mod:`geociv.gazetteer.readings` give 长, 都, 勒, 什 their place-name
readings (长宁 Chángníng, 宁都 Níngdū; exceptions such as 长子 Zhǎngzǐ) wherever no override
applies. Characters that have a special place-name reading in the override table but that no
override settled here are reported in :attr:`Spelling.polyphonic` so that an officer reviews
the reading (六 in 六里庄: 六安 is Lù'ān); everyday alternatives (大 dài, 石 dàn) are not.

Examples
--------
>>> spell("驻马店市", specific="驻马店", generic="市").text
'Zhùmǎdiàn Shì'
>>> spell("六安市", specific="六安", generic="市").text
"Lù'ān Shì"
>>> spell("经五路", specific="经五", generic="路", category="road").text
'Jīng 5 Lù'
>>> spell("周口店", category="natural_village").toneless
'Zhoukoudian'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

from pypinyin import Style
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin

from geociv.gazetteer.readings import (
    AMBIGUOUS,
    apply_rules,
    rule_characters,
    settled_characters,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_OVERRIDES_PATH",
    "Romanizer",
    "Spelling",
    "default_romanizer",
    "load_overrides",
    "mark_tone",
    "spell",
    "split_spelling",
    "syllable_initials",
]

#: The curated table of special place-name readings (columns ``word,pinyin,note``).
DEFAULT_OVERRIDES_PATH = (
    Path(__file__).resolve().parents[2] / "data" / "gazetteer" / "pinyin_overrides.csv"
)

#: Categories :meth:`Romanizer.spell` accepts (``None`` is accepted too).
CATEGORIES = frozenset(
    ("province", "city", "county", "township", "village", "natural_village", "road",
     "residential", "building", "bridge", "station", "mountain", "river", "lake", "park")
)  # fmt: skip

#: Characters read by the place-name position rules (长 cháng, 都 dū …).
_RULE_CHARS = rule_characters()

#: Size of the caches of converted texts and of spelled names.
CACHE_SIZE = 200_000

# -- syllables -----------------------------------------------------------------------------

#: Characters pypinyin knows a reading for (the "Chinese" characters of this module).
_HAN = frozenset(chr(code) for code in PINYIN_DICT)

_MARKS = {"a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù", "ü": "ǖǘǚǜ"}
#: Combining marks of tones 1–4 (used for syllables without a vowel, such as ḿ, ň).
_COMBINING = "\u0304\u0301\u030c\u0300"
_TONE_OF_COMBINING = {mark: tone for tone, mark in enumerate(_COMBINING, start=1)}
_TONE3_RE = re.compile(r"[a-zêü]+[1-5]")

#: Ordinal numerals of road names: 一 … 九十九.
_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
#: A road 专名 that is one of these followed by a numeral has an ordinal (经五路 → Jīng 5 Lù).
_ORDINAL_PREFIXES = "东西南北中经纬横纵"
_ORDINAL_RE = re.compile(rf"([{_ORDINAL_PREFIXES}])([一二三四五六七八九十]{{1,3}})")
#: Road generics recognised when a road name is given without its 专名/通名 split.
_ROAD_GENERIC_RE = re.compile(r"大道|大街|路|街|巷|道|胡同|弄|里|条")

#: Tone-sandhi variants (一 yí/yì, 不 bú) → the citation tone that place names are written in.
_CITATION = {"一": {"yi2": "yi1", "yi4": "yi1"}, "不": {"bu2": "bu4"}}


def mark_tone(syllable: str) -> str:
    """Write one TONE3 syllable with its tone mark.

    The mark goes on ``a`` or ``e`` if there is one, on the ``o`` of ``ou``, otherwise on the
    last vowel; ``v`` becomes ``ü``; the neutral tone (5) has no mark.

    Parameters
    ----------
    syllable : str
        A TONE3 syllable such as ``"zhu4"``, ``"lv3"`` or ``"de5"``.

    Returns
    -------
    str
        The syllable with a tone mark, lower case.

    Examples
    --------
    >>> [mark_tone(s) for s in ("zhu4", "liu2", "gui4", "zhou1", "lv3", "lve4", "xiong2", "de5")]
    ['zhù', 'liú', 'guì', 'zhōu', 'lǚ', 'lüè', 'xióng', 'de']
    """
    return _mark_tone(syllable)


@lru_cache(maxsize=4096)
def _mark_tone(syllable: str) -> str:
    base, tone = _split_tone(syllable)
    if tone == 5:
        return base
    if "a" in base:
        at = base.index("a")
    elif "e" in base:
        at = base.index("e")
    elif "ou" in base:
        at = base.index("o")
    else:
        vowels = [i for i, ch in enumerate(base) if ch in "iouü"]
        if not vowels:  # ḿ, ň, ňg, hm … : mark the first m or n
            at = next((i for i, ch in enumerate(base) if ch in "mn"), 0)
            marked = base[: at + 1] + _COMBINING[tone - 1] + base[at + 1 :]
            return unicodedata.normalize("NFC", marked)
        at = vowels[-1]
    ch = base[at]
    if ch in _MARKS:
        return base[:at] + _MARKS[ch][tone - 1] + base[at + 1 :]
    return unicodedata.normalize("NFC", base[: at + 1] + _COMBINING[tone - 1] + base[at + 1 :])


def _split_tone(syllable: str) -> tuple[str, int]:
    """``"lv3"`` → ``("lü", 3)``; a syllable without a digit is neutral."""
    if syllable[-1:].isdigit():
        base, tone = syllable[:-1], int(syllable[-1])
    else:
        base, tone = syllable, 5
    return base.replace("v", "ü"), tone


@lru_cache(maxsize=4096)
def _to_tone3(marked: str) -> str:
    """A tone-marked syllable as pypinyin writes it (``"lǜ"``) → TONE3 (``"lv4"``)."""
    tone = 5
    out = []
    for ch in unicodedata.normalize("NFD", marked.lower()):
        if ch in _TONE_OF_COMBINING:
            tone = _TONE_OF_COMBINING[ch]
        elif ch == "\u0308":  # diaeresis of ü
            out[-1] = "v"
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("\u0302", "") + str(tone)


@cache
def _valid_bases() -> frozenset[str]:
    """Every toneless syllable pypinyin's dictionary uses (``v`` for ``ü``)."""
    bases = set()
    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            bases.add(_to_tone3(reading)[:-1])
    return frozenset(bases)


class _DictionaryReadings(DefaultConverter):
    """pypinyin's converter, keeping the dictionary's tone-marked readings as they are.

    Style.TONE is the form pypinyin's dictionaries are written in, so its style conversion is
    an identity; skipping it halves the cost of a call.
    """

    def convert_style(self, han, orig_pinyin, style, strict, **kwargs):  # type: ignore[override]
        return orig_pinyin


_PINYIN = Pinyin(_DictionaryReadings())


@lru_cache(maxsize=CACHE_SIZE)
def _run_tone3(run: str) -> tuple[str, ...]:
    """TONE3 syllables of a run of Chinese characters, one per character (one pypinyin call)."""
    result = _PINYIN.lazy_pinyin(run, style=Style.TONE)
    if len(result) != len(run):  # not expected: every character of a run has a reading
        result = [PINYIN_DICT[ord(ch)].split(",")[0] for ch in run]
    syllables = tuple(_to_tone3(s) for s in result)
    if "一" in run or "不" in run:  # place names keep the citation tone (一百 yībǎi, not yìbǎi)
        syllables = tuple(
            _CITATION.get(ch, {}).get(s, s) for ch, s in zip(run, syllables, strict=True)
        )
    return syllables


def _normalise_syllable(syllable: str) -> str:
    s = syllable.strip().lower().replace("ü", "v").replace("u:", "v")
    return s


def _check(word: str, pinyin: str) -> tuple[tuple[str, ...], list[str]]:
    """Parse and check one override; returns (syllables, problems in Chinese)."""
    problems: list[str] = []
    word = word.strip()
    syllables = tuple(_normalise_syllable(s) for s in pinyin.split())
    if not word:
        problems.append("词语为空")
    foreign = [ch for ch in word if ch not in _HAN]
    if foreign:
        problems.append(f"词语“{word}”含非汉字字符：{''.join(foreign)}")
    if len(syllables) != len(word):
        problems.append(f"“{word}”有 {len(word)} 个字，拼音“{pinyin}”有 {len(syllables)} 个音节")
    bases = _valid_bases()
    for s in syllables:
        if not _TONE3_RE.fullmatch(s):
            problems.append(f"音节“{s}”不是带数字声调的拼音（如 lu4）")
        elif s[:-1] not in bases:
            problems.append(f"音节“{s}”不是有效的汉语拼音音节")
    return syllables, problems


def load_overrides(path: str | Path = DEFAULT_OVERRIDES_PATH) -> dict[str, str]:
    """Read a table of special readings (CSV, UTF-8, columns ``word,pinyin,note``).

    Parameters
    ----------
    path : str or Path
        The CSV file; by default the curated table shipped with geociv.

    Returns
    -------
    dict of str to str
        Word → TONE3 syllables separated by single spaces (``"lu4 an1"``).

    Raises
    ------
    ValueError
        A row is malformed (named by file, line and field), or a word appears twice.

    Examples
    --------
    >>> load_overrides()["六安"]
    'lu4 an1'
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 ({exc})") from exc
    rows = csv.DictReader(text.splitlines())
    missing = {"word", "pinyin"} - set(rows.fieldnames or ())
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    table: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        word, pinyin = (row.get("word") or "").strip(), row.get("pinyin") or ""
        syllables, problems = _check(word, pinyin)
        if problems:
            raise ValueError(f"{path}, line {line}, field 'pinyin': {'; '.join(problems)}")
        if word in table:
            raise ValueError(f"{path}, line {line}, field 'word': {word} appears twice")
        table[word] = " ".join(syllables)
    return table


def _parse(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Check a word → pinyin mapping; raise ``ValueError`` naming the first bad entry."""
    parsed: dict[str, tuple[str, ...]] = {}
    for word, pinyin in table.items():
        syllables, problems = _check(word, pinyin)
        if problems:
            raise ValueError(f"override {word!r}: {'; '.join(problems)}")
        parsed[word.strip()] = syllables
    return parsed


@cache
def _curated() -> Mapping[str, str]:
    return MappingProxyType(load_overrides(DEFAULT_OVERRIDES_PATH))


# -- spelling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spelling:
    """The romanised form of one place name.

    Attributes
    ----------
    text : str
        The official spelling, tone marks and capitals: ``"Zhùmǎdiàn Shì"``.
    toneless : str
        The same words without tone marks (``ü`` kept): ``"Zhumadian Shi"``.
    tone3 : str
        Every syllable in TONE3 form, lower case, separated by single spaces, word breaks
        ignored: ``"zhu4 ma3 dian4 shi4"``. Non-Chinese runs appear as they are.
    key_toned : str
        ``tone3`` without the spaces, lower case: ``"zhu4ma3dian4shi4"``. Two names are
        homophones when their ``key_toned`` are equal.
    key_toneless : str
        ``key_toned`` without tone numbers: ``"zhumadianshi"`` (same toneless pinyin).
    initials : str
        First letter of every syllable, lower case: ``"zmds"``.
    syllables : tuple of str
        The TONE3 syllables (non-Chinese runs as they are), in the order of the name. Ordinals
        keep their reading (经五路 → ``("jing1", "wu3", "lu4")``) although the text shows ``5``.
    uses_override : bool
        A curated or officer-added special reading was applied.
    polyphonic : tuple of str
        Characters with several current readings that no override settled, in order of first
        appearance: the generated pinyin needs review. Characters of a 通名 supplied by the
        caller are not listed (the generics have fixed readings).
    """

    text: str
    toneless: str
    tone3: str
    key_toned: str
    key_toneless: str
    initials: str
    syllables: tuple[str, ...]
    uses_override: bool
    polyphonic: tuple[str, ...]


@lru_cache(maxsize=CACHE_SIZE)
def _render_word(syllables: tuple[str, ...]) -> tuple[str, str]:
    """A word of TONE3 syllables → (marked, toneless), capitalised, apostrophes placed."""
    first_marked, first_plain, _ = _forms(syllables[0])
    marked = [first_marked[:1].upper() + first_marked[1:]]
    plain = [first_plain[:1].upper() + first_plain[1:]]
    for syllable in syllables[1:]:
        m, p, vowel_initial = _forms(syllable)
        if vowel_initial:
            marked.append("'")
            plain.append("'")
        marked.append(m)
        plain.append(p)
    return "".join(marked), "".join(plain)


@lru_cache(maxsize=4096)
def _forms(syllable: str) -> tuple[str, str, bool]:
    """TONE3 syllable → (tone-marked, toneless, starts with a, o or e)."""
    plain = _split_tone(syllable)[0]
    return _mark_tone(syllable), plain, plain[:1] in ("a", "o", "e")


def _items(text: str, readings: list[str | None]) -> Iterable[tuple[str, bool]]:
    """(TONE3 syllable, True) per Chinese character, (run, False) per non-Chinese run."""
    literal = ""
    for ch, syllable in zip(text, readings, strict=True):
        if syllable is None and not ch.isspace():
            literal += ch
            continue
        if literal:
            yield literal, False
            literal = ""
        if syllable is not None:
            yield syllable, True
    if literal:
        yield literal, False


def _straddled(text: str, start: int, end: int) -> bool:
    """Whether a dictionary phrase overlaps one edge of ``text[start:end]`` only.

    An override word is not applied where it does not read as a word: 长乐亭 is 长乐 + 亭, so
    乐亭 (Làotíng) does not apply there.
    """
    n = len(text)
    for j in range(max(0, start - 3), start):  # phrases that begin before and end inside
        for k in range(start + 1, min(end, j + 5)):
            if text[j:k] in PHRASES_DICT:
                return True
    for j in range(start + 1, end):  # phrases that begin inside and end after
        for k in range(end + 1, min(n, j + 4) + 1):
            if text[j:k] in PHRASES_DICT:
                return True
    return False


def _ordinal(numeral: str) -> int | None:
    """一 … 九十九 → 1 … 99; anything else → None."""
    if numeral in _DIGITS:
        return _DIGITS[numeral]
    tens, sep, units = numeral.partition("十")
    if not sep or (tens and tens not in _DIGITS) or (units and units not in _DIGITS):
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


class Romanizer:
    """Spells place names; holds the special readings that override pypinyin.

    Parameters
    ----------
    overrides : Mapping of str to str, optional
        Word → TONE3 syllables separated by spaces (``{"六安": "lu4 an1"}``). By default the
        curated table :data:`DEFAULT_OVERRIDES_PATH`. Overrides match anywhere in a name,
        longest word first, scanning from the left.

    Raises
    ------
    ValueError
        An override is malformed (see :meth:`check_override`).

    Examples
    --------
    >>> r = Romanizer()
    >>> r.spell("浚县", specific="浚", generic="县", category="county").text
    'Xùn Xiàn'
    >>> r.with_extra({"浚县": "jun4 xian4"}).spell("浚县").text
    'Jùnxiàn'
    >>> r.syllables("六安路")
    ['lu4', 'an1', 'lu4']
    """

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._init(_parse(_curated() if overrides is None else overrides))

    def _init(self, parsed: dict[str, tuple[str, ...]]) -> None:
        self._overrides = parsed
        lengths: dict[str, set[int]] = {}
        for word in parsed:
            lengths.setdefault(word[0], set()).add(len(word))
        self._key_lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}
        self._first_chars = frozenset(self._key_lengths)
        # A character whose special reading differs from its usual one is a polyphone of place
        # names wherever no override covers it (六 in 六里庄, 浚 in 浚河); characters with only
        # everyday alternatives (大 dài, 石 dàn, 岗 gāng) are not, and those a position rule
        # reads (长 cháng, 都 dū) are settled by the rule; those of AMBIGUOUS always are.
        special = set()
        for word, syllables in parsed.items():
            for ch, syllable in zip(word, syllables, strict=True):
                readings = PINYIN_DICT.get(ord(ch), "").split(",")
                if len(readings) > 1 and _to_tone3(readings[0]) != syllable:
                    special.add(ch)
        self._polyphones = (frozenset(special) - settled_characters()) | frozenset(AMBIGUOUS)
        self._spell_cached = lru_cache(maxsize=CACHE_SIZE)(self._spell)

    @property
    def overrides(self) -> Mapping[str, str]:
        """The special readings in force: word → TONE3 syllables separated by spaces."""
        return MappingProxyType({w: " ".join(s) for w, s in self._overrides.items()})

    def with_extra(self, mapping: Mapping[str, str]) -> Romanizer:
        """A new romanizer with ``mapping`` (officers' readings) layered over these overrides.

        Examples
        --------
        >>> Romanizer().with_extra({"六安": "liu4 an1"}).spell("六安").text
        "Liù'ān"
        """
        new = Romanizer.__new__(Romanizer)
        new._init({**self._overrides, **_parse(mapping)})
        return new

    @staticmethod
    def check_override(word: str, pinyin: str) -> list[str]:
        """Problems with a proposed special reading, in Chinese; empty when it is valid.

        Examples
        --------
        >>> Romanizer.check_override("泌阳", "bi4 yang2")
        []
        >>> Romanizer.check_override("泌阳", "bi4")
        ['“泌阳”有 2 个字，拼音“bi4”有 1 个音节']
        """
        return _check(word, pinyin)[1]

    # -- conversion ------------------------------------------------------------------------
    def _readings(self, text: str, cut: int) -> tuple[list[str | None], list[bool] | None]:
        """Per character: TONE3 syllable (None if not Chinese) and whether an override set it.

        Overrides are matched on the whole text; pypinyin converts the remaining runs of
        Chinese characters, which are cut at ``cut`` (the 专名/通名 boundary). The second list
        is ``None`` when no override applies.
        """
        n = len(text)
        matches: list[tuple[int, tuple[str, ...]]] = []
        if not self._first_chars.isdisjoint(text):
            key_lengths, overrides = self._key_lengths, self._overrides
            i = 0
            while i < n:
                for length in key_lengths.get(text[i], ()):
                    reading = overrides.get(text[i : i + length])
                    if reading is not None and not _straddled(text, i, i + length):
                        matches.append((i, reading))
                        i += length
                        break
                else:
                    i += 1
        if not matches and _HAN.issuperset(text):  # the common case: all Chinese, no override
            if 0 < cut < n:
                plain = [*_run_tone3(text[:cut]), *_run_tone3(text[cut:])]
            else:
                plain = list(_run_tone3(text))
            if _RULE_CHARS.isdisjoint(text):
                return plain, None  # type: ignore[return-value]
            return apply_rules(text, plain, [False] * n, cut), None
        syllables: list[str | None] = [None] * n
        override: list[bool] | None = [False] * n if matches else None
        for i, reading in matches:
            syllables[i : i + len(reading)] = reading
            override[i : i + len(reading)] = [True] * len(reading)  # type: ignore[index]
        start = -1
        for i in range(n + 1):
            pending = i < n and syllables[i] is None and text[i] in _HAN
            if start >= 0 and (not pending or i == cut):
                syllables[start:i] = _run_tone3(text[start:i])
                start = -1
            if pending and start < 0:
                start = i
        if not _RULE_CHARS.isdisjoint(text):
            syllables = apply_rules(text, syllables, override or [False] * n, cut)
        return syllables, override

    def syllables(self, text: str) -> list[str]:
        """TONE3 syllables of ``text`` with the overrides applied.

        Non-Chinese runs come back as they are; whitespace separates and is dropped.

        Examples
        --------
        >>> Romanizer().syllables("蚌埠G3")
        ['beng4', 'bu4', 'G3']
        """
        readings, _ = self._readings(text, len(text))
        return [item for item, _han in _items(text, readings)]

    def spell(
        self,
        name: str,
        *,
        specific: str | None = None,
        generic: str | None = None,
        category: str | None = None,
    ) -> Spelling:
        """Romanise one place name.

        Parameters
        ----------
        name : str
            The full name (专名 + 通名), e.g. ``"驻马店市"``.
        specific, generic : str, optional
            The 专名/通名 split; one of them is enough when it is a prefix/suffix of ``name``.
            Without either, the whole name is one word.
        category : str, optional
            One of :data:`CATEGORIES`. ``"natural_village"`` writes the name as one word;
            ``"road"`` turns ordinals into digits (经五路 → Jīng 5 Lù).

        Returns
        -------
        Spelling

        Raises
        ------
        ValueError
            Empty name, unknown category, or a split that does not add up to ``name``.

        Examples
        --------
        >>> r = Romanizer()
        >>> s = r.spell("泌阳县", specific="泌阳", generic="县", category="county")
        >>> s.text, s.toneless, s.key_toned, s.initials, s.uses_override
        ('Bìyáng Xiàn', 'Biyang Xian', 'bi4yang2xian4', 'byx', True)
        >>> r.spell("纬十一路", generic="路", category="road").text
        'Wěi 11 Lù'
        >>> r.spell("重阳路", generic="路", category="road").polyphonic
        ('重',)
        """
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        name = name.strip()
        if not name:
            raise ValueError("empty name")
        if specific is None and generic is None:
            specific, generic, split = name, "", False
        else:
            split = True
            if specific is None:
                specific = name[: len(name) - len(generic or "")]
            if generic is None:
                generic = name[len(specific) :]
            if specific + generic != name:
                raise ValueError(
                    f"specific {specific!r} + generic {generic!r} does not make name {name!r}"
                )
        return self._spell_cached(name, len(specific), split and bool(generic), category)

    def _spell(self, name: str, cut: int, has_generic: bool, category: str | None) -> Spelling:
        readings, override = self._readings(name, cut)
        ordinal = self._ordinal_span(name, cut, has_generic) if category == "road" else None
        one_word = category == "natural_village"
        n = len(name)
        words: list[tuple[str, ...] | str]  # TONE3 syllables, or text shown as it is
        if ordinal is None and None not in readings:  # the common case
            syllables = tuple(readings)  # type: ignore[arg-type]
            if one_word or not 0 < cut < n:
                words = [syllables]
            else:
                words = [syllables[:cut], syllables[cut:]]
            lowered = syllables
            toneless = "".join([s[:-1] for s in syllables])
        else:
            words = self._words(name, readings, cut, ordinal, one_word)
            items = list(_items(name, readings))
            syllables = tuple(item for item, _han in items)
            lowered = tuple(item.lower() for item in syllables)
            toneless = "".join([item[:-1] if han else item.lower() for item, han in items])

        marked: list[str] = []
        plain: list[str] = []
        for word in words:
            if isinstance(word, str):
                marked.append(word)
                plain.append(word)
            else:
                m, p = _render_word(word)
                marked.append(m)
                plain.append(p)

        reviewed = name[:cut] if has_generic else name
        polyphones = self._polyphones
        if override is None:
            polyphonic = tuple(dict.fromkeys([ch for ch in reviewed if ch in polyphones]))
        else:
            polyphonic = tuple(
                dict.fromkeys(
                    [
                        ch
                        for ch, o in zip(reviewed, override, strict=False)
                        if not o and ch in polyphones
                    ]
                )
            )
        return Spelling(
            text=" ".join(marked),
            toneless=" ".join(plain),
            tone3=" ".join(lowered),
            key_toned="".join(lowered),
            key_toneless=toneless,
            initials="".join([s[:1] for s in lowered]),
            syllables=syllables,
            uses_override=override is not None,
            polyphonic=polyphonic,
        )

    @staticmethod
    def _ordinal_span(name: str, cut: int, has_generic: bool) -> tuple[int, int, str] | None:
        """(start, end, digits) of an ordinal in a road name: 经五路 → (1, 2, "5")."""
        if has_generic or cut < len(name):
            m = _ORDINAL_RE.fullmatch(name, 0, cut)
        else:  # no split given: accept 经五路, 东三街 … (prefix + numeral + road generic)
            m = _ORDINAL_RE.match(name)
            if m and not _ROAD_GENERIC_RE.fullmatch(name, m.end()):
                m = None
        if m is None or (value := _ordinal(m.group(2))) is None:
            return None
        return m.end(1), m.end(), str(value)

    @staticmethod
    def _words(
        name: str,
        readings: list[str | None],
        cut: int,
        ordinal: tuple[int, int, str] | None,
        one_word: bool,
    ) -> list[tuple[str, ...] | str]:
        """Split a name into words: 专名 | 通名, ordinals and non-Chinese runs on their own."""
        breaks = set() if one_word else {cut}
        if ordinal:
            breaks.update(ordinal[:2])
        words: list[tuple[str, ...] | str] = []
        current: list[str] = []
        literal = ""
        for i, (ch, syllable) in enumerate(zip(name, readings, strict=True)):
            if literal and (i in breaks or syllable is not None or ch.isspace()):
                words.append(literal)
                literal = ""
            if current and (i in breaks or syllable is None):
                words.append(tuple(current))
                current = []
            if ordinal and ordinal[0] <= i < ordinal[1]:
                if i == ordinal[0]:
                    words.append(ordinal[2])
            elif syllable is not None:
                current.append(syllable)
            elif not ch.isspace():
                literal += ch
        if current:
            words.append(tuple(current))
        if literal:
            words.append(literal)
        return words


@cache
def _segmentable() -> frozenset[str]:
    """Toneless syllables used to split spelled text (interjections such as hm, ng left out)."""
    return frozenset(b.replace("v", "ü") for b in _valid_bases() if re.search("[aeiouv]", b))


def _segment(chunk: str) -> list[str] | None:
    """Split one run of pinyin letters into syllables, longest first, backtracking.

    A syllable starting with a, o or e can only open the run: elsewhere it would have an
    apostrophe before it (dangan is dan-gan, not dang-an).
    """
    valid = _segmentable()

    @cache
    def split_at(pos: int) -> tuple[str, ...] | None:
        if pos == len(chunk):
            return ()
        for length in range(min(6, len(chunk) - pos), 0, -1):
            syllable = chunk[pos : pos + length]
            if syllable in valid and (pos == 0 or syllable[0] not in "aoe"):
                rest = split_at(pos + length)
                if rest is not None:
                    return (syllable, *rest)
        return None

    result = split_at(0)
    return None if result is None else list(result)


def split_spelling(spelling: str) -> list[str]:
    """Syllables of a spelled name, lower case, without tone marks (``ü`` kept).

    Words are split at spaces, apostrophes and hyphens, then into syllables. Chunks that are
    not pinyin (digits, Latin abbreviations) come back whole.

    Parameters
    ----------
    spelling : str
        Spelled text such as ``"Zhùmǎdiàn Shì"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> split_spelling("Zhùmǎdiàn Shì")
    ['zhu', 'ma', 'dian', 'shi']
    >>> split_spelling("Xī'ān Shì"), split_spelling("Jīng 5 Lù"), split_spelling("Lǚzhuāng")
    (['xi', 'an', 'shi'], ['jing', '5', 'lu'], ['lü', 'zhuang'])
    """
    out: list[str] = []
    for chunk in re.split(r"[\s'’\-]+", spelling.strip()):
        if not chunk:
            continue
        plain = "".join(
            ch for ch in unicodedata.normalize("NFD", chunk.lower()) if ch not in _TONE_OF_COMBINING
        )
        plain = unicodedata.normalize("NFC", plain).replace("v", "ü")
        syllables = _segment(plain) if re.fullmatch("[a-zü]+", plain) else None
        out.extend(syllables if syllables is not None else [chunk])
    return out


def syllable_initials(spelling: str) -> str:
    """First letter of every syllable of a spelled name, lower case.

    Examples
    --------
    >>> syllable_initials("Zhùmǎdiàn Shì"), syllable_initials("Jīng 5 Lù")
    ('zmds', 'j5l')
    """
    return "".join(s[:1] for s in split_spelling(spelling)).lower()


@cache
def default_romanizer() -> Romanizer:
    """The shared romanizer with the curated overrides (built once)."""
    return Romanizer()


def spell(
    name: str,
    *,
    specific: str | None = None,
    generic: str | None = None,
    category: str | None = None,
) -> Spelling:
    """:meth:`Romanizer.spell` with the curated overrides.

    Examples
    --------
    >>> spell("西安市", specific="西安", generic="市", category="city").text
    "Xī'ān Shì"
    """
    return default_romanizer().spell(name, specific=specific, generic=generic, category=category)
