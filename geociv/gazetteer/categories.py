"""Place-name categories (地名类别): the generics (通名) each admits and its uniqueness scope.

The scope follows 《地名管理条例》: county-level and above divisions are unique nationwide,
townships within a province, village/residents' committees within a county, and streets,
residential areas, buildings and the like within a built-up area (建成区, see
:func:`built_up_area`: the central city's districts together, each county on its own).

Examples
--------
>>> CATEGORIES["road"].label, CATEGORIES["road"].scope
('道路街巷', 'built_up')
>>> split_generic("解放大道", "road")
('解放', '大道')
>>> split_generic("人民路街道", "township")
('人民路', '街道')
"""

from __future__ import annotations

from dataclasses import dataclass

#: Scope levels and how many leading digits of a division code identify the scope (a
#: built-up area is not a prefix of the code: :func:`built_up_area`).
SCOPE_DIGITS: dict[str, int] = {"nation": 0, "province": 2, "county": 6}

#: Digits 5–6 of the county-level units whose seat is the central city of their prefecture:
#: the city itself (00), its 市辖区 (01–20 in GB/T 2260) and the statistical zones NBS codes
#: under the city (71–79, e.g. 411771 河南驻马店经济开发区). Counties (21–70) and county-level
#: cities (81–99) each have their own seat.
CENTRAL_CITY_UNITS: frozenset[str] = frozenset(
    ["00", *(f"{n:02d}" for n in range(1, 21)), *(f"{n:02d}" for n in range(71, 80))]
)


@dataclass(frozen=True)
class Category:
    """One category of place names."""

    code: str
    label: str
    generics: tuple[str, ...]
    scope: str
    geometry: str  # point / line / polygon / any
    #: whether the whole name is one word in pinyin (no 专名/通名 split)
    one_word: bool = False


_ROAD = ("大道", "大街", "路", "街", "巷", "胡同", "道", "弄", "里", "环路", "快速路", "高架路")
_RESIDENTIAL = (
    "小区",
    "花园",
    "家园",
    "新村",
    "公寓",
    "苑",
    "园",
    "庭",
    "府",
    "城",
    "山庄",
    "社区",
    "新城",
    "公馆",
    "佳苑",
    "雅苑",
    "名苑",
    "华庭",
    "名邸",
    "湾",
)

CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category(
            "province", "省级行政区", ("省", "自治区", "市", "特别行政区"), "nation", "polygon"
        ),
        Category("city", "地级行政区", ("市", "地区", "自治州", "盟"), "nation", "polygon"),
        Category(
            "county",
            "县级行政区",
            ("自治县", "自治旗", "县", "市", "区", "旗", "林区", "特区"),
            "nation",
            "polygon",
        ),
        Category(
            "township",
            "乡级行政区",
            ("民族乡", "街道", "乡", "镇", "苏木", "民族苏木"),
            "province",
            "polygon",
        ),
        Category(
            "village", "村（居）民委员会", ("村", "社区", "居委会", "村委会"), "county", "point"
        ),
        Category(
            "natural_village",
            "自然村",
            (
                "庄",
                "村",
                "寨",
                "营",
                "屯",
                "集",
                "店",
                "湾",
                "楼",
                "岗",
                "洼",
                "坡",
                "沟",
                "台",
                "铺",
                "堡",
                "庙",
                "桥",
                "园",
                "坊",
                "圩",
                "坪",
                "郢",
                "岭",
                "河",
                "湖",
                "口",
                "头",
                "家",
            ),
            "county",
            "point",
            one_word=True,
        ),
        Category("road", "道路街巷", _ROAD, "built_up", "line"),
        Category("residential", "居民区", _RESIDENTIAL, "built_up", "polygon"),
        Category(
            "building",
            "建筑物",
            ("大厦", "大楼", "中心", "广场", "楼", "馆", "大酒店", "宾馆", "饭店", "公寓"),
            "built_up",
            "point",
        ),
        Category("bridge", "桥梁", ("立交桥", "大桥", "立交", "桥"), "built_up", "line"),
        Category(
            "station",
            "交通站场",
            ("火车站", "高铁站", "汽车站", "客运站", "公交站", "站", "机场", "码头", "港"),
            "built_up",
            "point",
        ),
        Category(
            "mountain", "山岭", ("山脉", "山", "岭", "峰", "岗", "顶", "崖", "坡"), "county", "any"
        ),
        Category(
            "river", "河流", ("河", "江", "溪", "渠", "沟", "涧", "川", "水"), "county", "line"
        ),
        Category(
            "lake",
            "湖泊水库",
            ("水库", "湖", "塘", "池", "潭", "淀", "泊", "海"),
            "county",
            "polygon",
        ),
        Category(
            "park",
            "公园广场",
            ("公园", "广场", "游园", "绿地", "植物园", "动物园", "湿地公园", "森林公园"),
            "built_up",
            "polygon",
        ),
    )
}

#: Categories whose names may not stack generics (××大厦广场); admin names such as 驿城区 or
#: 人民路街道 legitimately end their 专名 in a generic-like character.
STACKING_CATEGORIES = ("residential", "building", "park", "station", "bridge")

#: Generics that, found twice in a row, make a stacked name (××大厦广场).
STACKABLE = (
    "大厦",
    "广场",
    "中心",
    "花园",
    "小区",
    "公寓",
    "大楼",
    "商城",
    "城",
    "苑",
    "公园",
    "大酒店",
)

#: Full NBS committee names → the place-name generic of the village or community.
COMMITTEE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居委会", "社区"),
)


#: County-level forestry districts (林区): the only names whose generic is 林区. Elsewhere
#: 林 belongs to the 专名 (万柏林区 is 万柏林 + 区, Wànbǎilín Qū). Source: 民政部县级以上行政区划
#: 代码 (429021 神农架林区, the one county-level 林区).
FORESTRY_DISTRICTS = frozenset({"神农架林区"})

#: Categories tried, in this order, when a name comes without one (:func:`infer_generic`);
#: natural villages are left out (their names are one word, never split).
INFERENCE_ORDER = (
    "city", "county", "province", "township", "village", "road", "residential", "building",
    "bridge", "station", "park", "mountain", "river", "lake",
)  # fmt: skip


def split_generic(name: str, category: str) -> tuple[str, str]:
    """Split ``name`` into (专名, 通名) by the longest generic of ``category`` it ends with.

    Returns ``(name, "")`` when no generic of the category fits (a finding for the caller).
    Raises ``KeyError`` for an unknown category. 林区 is a generic only for the forestry
    districts of :data:`FORESTRY_DISTRICTS`.

    >>> split_generic("万柏林区", "county"), split_generic("神农架林区", "county")
    (('万柏林', '区'), ('神农架', '林区'))
    """
    generics = CATEGORIES[category].generics
    best = ""
    for generic in generics:
        if generic == "林区" and name not in FORESTRY_DISTRICTS:
            continue
        if name.endswith(generic) and len(generic) > len(best) and len(name) > len(generic):
            best = generic
    return (name[: len(name) - len(best)], best) if best else (name, "")


def infer_generic(name: str) -> tuple[str | None, str, str]:
    """Guess the category of a name given alone, and split it: (category, 专名, 通名).

    The longest generic of any category (:data:`INFERENCE_ORDER`; ties go to the earlier
    category) decides; ``(None, name, "")`` when none fits.

    >>> infer_generic("驿城区"), infer_generic("驻马店市")
    (('county', '驿城', '区'), ('city', '驻马店', '市'))
    >>> infer_generic("经五路")
    ('road', '经五', '路')
    >>> infer_generic("人民路街道"), infer_generic("周口店")
    (('township', '人民路', '街道'), (None, '周口店', ''))
    """
    best: tuple[str | None, str, str] = (None, name, "")
    for category in INFERENCE_ORDER:
        specific, generic = split_generic(name, category)
        if len(generic) > len(best[2]):
            best = (category, specific, generic)
    return best


def built_up_area(division_code: str) -> str:
    """The built-up area (建成区) a street, residential area or building name is unique in.

    《地名管理条例》 asks such names to be unique within a built-up area: one town is one area,
    not the whole prefecture. Without built-up-area outlines it is taken from the division:
    the central city's districts and zones together (:data:`CENTRAL_CITY_UNITS`, key
    ``411700``), and each county or county-level city on its own, its seat being its town
    (key its county code). A road in a county's rural township counts with its county.

    >>> built_up_area("411702001"), built_up_area("411771"), built_up_area("411722100")
    ('411700', '411700', '411722')
    """
    county = division_code[:6]
    if len(county) < 6 or county[4:6] in CENTRAL_CITY_UNITS:
        return f"{county[:4]}00"
    return county


def scope_key(category: str, division_code: str) -> str:
    """The uniqueness scope of a name: the leading digits of its division code, or its
    built-up area (:func:`built_up_area`)."""
    scope = CATEGORIES[category].scope
    if scope == "built_up":
        return built_up_area(division_code)
    digits = SCOPE_DIGITS[scope]
    return division_code[:digits] if digits else "CN"


def committee_to_place_name(name: str) -> tuple[str, str]:
    """Turn an NBS committee name into its place name and generic.

    >>> committee_to_place_name("张庄村民委员会"), committee_to_place_name("王村村委会")
    (('张庄村', '村'), ('王村', '村'))
    >>> committee_to_place_name("建设路社区居民委员会")
    ('建设路社区', '社区')

    Names without a committee suffix come back unchanged with their generic guessed from the
    village category (or ``""``).
    """
    for suffix, generic in COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return (stem if stem.endswith(generic) else stem + generic), generic
    return name, split_generic(name, "village")[1]
