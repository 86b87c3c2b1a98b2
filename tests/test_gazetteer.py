"""The gazetteer on the real Zhumadian demo: checks, records, history, lists, search, import."""

from __future__ import annotations

import io
import time
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook, load_workbook
from shapely import LineString

from geociv.errors import InputFileError, ValidationError
from geociv.gazetteer.importer import read_name_file, report_csv, report_xlsx, summary
from geociv.gazetteer.names import Gazetteer, division_name_id
from geociv.gazetteer.rules import sound_keys
from geociv.gazetteer.search import NameSearch, SearchIndex


def rules_of(report) -> list[str]:
    return [f.rule_id for f in report.findings]


@pytest.fixture
def gaz(demo_store) -> Gazetteer:
    return Gazetteer(demo_store)


def test_demo_townships_and_villages_are_name_records(demo_store) -> None:
    names = demo_store.query_names()
    assert len(names) == 1 + 10 + 208 + 2906
    village = demo_store.get_name(division_name_id("411702001002"))
    assert village.category == "village" and village.division_code == "411702001"
    assert village.aliases and village.aliases[0].endswith(("委员会", "委会"))
    assert village.name.endswith(("村", "社区")) and village.status == "published"
    county = demo_store.get_name("D411726")
    assert (county.name, county.pinyin, county.specific, county.generic) == (
        "泌阳县",
        "Bìyáng Xiàn",
        "泌阳",
        "县",
    )


@pytest.mark.parametrize(
    ("name", "category", "division", "expected"),
    [
        ("人民路", "road", "411702", []),
        ("人民大厦广场", "building", "411702", ["N1-STACKED"]),
        ("解放", "road", "411702", ["N1-GENERIC"]),
        ("路", "road", "411702", ["N1-GENERIC"]),
        ("万达广场", "park", "411702", ["N3-BRAND"]),
        ("毛泽东大道", "road", "411702", ["N3-LEADER"]),
        ("曼哈顿小区", "residential", "411702", ["N3-FOREIGN"]),
        ("驛城路", "road", "411702", ["N4-TRADITIONAL"]),
        ("A区3号路", "road", "411702", ["N4-SCRIPT"]),
        ("", "road", "411702", ["N4-EMPTY"]),
        (
            "中华人民共和国河南省驻马店市驿城区人民东路",
            "road",
            "411702",
            ["N4-LENGTH", "N1-DIVISION"],
        ),
        ("驿城区", "county", "411700", ["N2-DUPLICATE"]),
        ("西平县", "county", "411700", ["N2-DUPLICATE"]),
        ("嵖岈山路", "road", "411702", ["N4-RARE"]),
    ],
)
def test_one_name_against_every_rule(gaz, name, category, division, expected) -> None:
    report = gaz.check(name, category, division)
    got = [r for r in rules_of(report) if r not in ("N5-POLYPHONE", "N2-SIMILAR")]
    assert got == expected, report.findings


def test_findings_carry_chinese_messages_and_severities(gaz) -> None:
    report = gaz.check("驛城大厦广场", "building", "411702")
    by_rule = {f.rule_id: f for f in report.findings}
    assert by_rule["N4-TRADITIONAL"].severity == "error"
    assert "驛→驿" in by_rule["N4-TRADITIONAL"].message
    assert by_rule["N1-STACKED"].severity == "warning" and "大厦" in by_rule["N1-STACKED"].message
    assert report.blocking


def test_village_duplicates_and_homophones_are_scoped_to_the_county(gaz, demo_store) -> None:
    counties_with = {r.division_code[:6] for r in demo_store.query_names(name="王庄村")}
    assert "411726" in counties_with  # 泌阳县 has a 王庄村
    without = sorted(
        {
            r.division_code
            for r in demo_store.query_names(category="village")
            if r.division_code[:6] not in counties_with
        }
    )
    assert without, "some county of Zhumadian has no 王庄村"
    assert "N2-DUPLICATE" in rules_of(gaz.check("王庄村", "village", "411726001"))
    assert "N2-DUPLICATE" not in rules_of(gaz.check("王庄村", "village", without[0]))
    homophone = gaz.check("何庄村", "village", "411726001")  # 和庄村 is in 泌阳县
    assert "N2-HOMOPHONE" in rules_of(homophone)
    assert any("和庄村" in f.message for f in homophone.findings)


def test_township_uniqueness_is_province_wide(gaz) -> None:
    # 古城街道 is both in 驿城区 and in 泌阳县: a third one anywhere in Henan clashes
    report = gaz.check("古城街道", "township", "411721")
    dup = next(f for f in report.findings if f.rule_id == "N2-DUPLICATE")
    assert "驿城区" in dup.message and "泌阳县" in dup.message


def test_stored_pinyin_that_disagrees_is_flagged(gaz) -> None:
    rec = gaz.update("D411726", actor="admin1", pinyin="Mìyáng Xiàn")
    assert rec.pinyin_reviewed
    disagreements = gaz.pinyin_disagreements()
    assert [(r.name_id, generated) for r, generated in disagreements] == [
        ("D411726", "Bìyáng Xiàn")
    ]


def test_unknown_division_and_category(gaz) -> None:
    from geociv.errors import UnknownDivisionError

    with pytest.raises(UnknownDivisionError):
        gaz.check("人民路", "road", "411799")
    report = gaz.check("人民路", "street", "411702")
    assert rules_of(report) == ["N1-GENERIC"] and report.findings[0].field == "category"


def test_add_name_is_audited_and_errors_block_unless_accepted(gaz, demo_store) -> None:
    with pytest.raises(ValidationError, match="N3-LEADER"):
        gaz.add("毛泽东大道", "road", "411702", actor="officer1")
    rec, _report = gaz.add(
        "天中大道",
        "road",
        "411702",
        actor="officer1",
        geometry=LineString([(114.0, 32.98), (114.05, 32.99)]),
    )
    assert rec.status == "proposed" and rec.pinyin == "Tiānzhōng Dàdào"
    assert rec.specific == "天中" and rec.generic == "大道"
    stored = demo_store.get_name(rec.name_id)
    assert stored.geometry.geom_type == "LineString"
    entry = demo_store.audit_entries(entity="names", limit=1)[0]
    assert (entry.actor, entry.action, entry.after["name"]) == ("officer1", "names.add", "天中大道")
    # the same name again is now a duplicate in the central city's built-up area
    assert "N2-DUPLICATE" in rules_of(gaz.check("天中大道", "road", "411771"))
    # an officer accepts a person-name finding with a reason
    with pytest.raises(ValidationError, match="理由"):
        gaz.accept_finding("焦裕禄路", "N3-PERSON", reason=" ", actor="officer1")
    gaz.accept_finding("焦裕禄路", "N3-PERSON", reason="纪念英模，经市政府批准", actor="officer1")
    finding = next(
        f for f in gaz.check("焦裕禄路", "road", "411702").findings if f.rule_id == "N3-PERSON"
    )
    assert finding.accepted and finding.reason == "纪念英模，经市政府批准"


def test_rename_keeps_the_former_name_and_nothing_is_deleted(gaz, demo_store) -> None:
    rec = gaz.rename("D411702001002", "新华社区", actor="officer1", effective="2026-03-01")
    assert rec.name == "新华社区" and rec.generic == "社区"
    former = demo_store.former_names("D411702001002")
    assert former[-1].valid_to == "2026-03-01" and former[-1].name != "新华社区"
    retired = gaz.retire(rec.name_id, actor="officer1")
    assert retired.status == "retired"
    assert demo_store.get_name(rec.name_id) is not None
    assert rec.name_id not in {r.name_id for r in demo_store.query_names()}


def test_officers_extend_lists_and_readings(gaz) -> None:
    assert "N3-BRAND" not in rules_of(gaz.check("天中蜜雪大厦", "building", "411702"))
    gaz.add_term("brand", "蜜雪", note="连锁品牌", actor="officer1")
    assert "N3-BRAND" in rules_of(gaz.check("天中蜜雪大厦", "building", "411702"))
    assert gaz.check("长庄路", "road", "411702").pinyin == "Chángzhuāng Lù"  # the 长 rule
    gaz.add_reading("长庄", "zhang3 zhuang1", note="当地读音", actor="officer1")
    # an officer's reading wins over the place-name rule
    assert gaz.check("长庄路", "road", "411702").pinyin == "Zhǎngzhuāng Lù"
    with pytest.raises(ValidationError):
        gaz.add_reading("长庄", "chang9 zhuang", note="", actor="officer1")
    with pytest.raises(ValidationError):
        gaz.add_term("slogan", "口号", actor="officer1")


def test_single_check_is_fast_once_warm(gaz) -> None:
    gaz.check("人民路", "road", "411702")  # builds the cached validator
    start = time.perf_counter()
    for _ in range(20):
        gaz.check("天中路", "road", "411702")
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.05, per_call  # the budget: 50 ms per name


def test_sound_keys_keep_u_umlaut_apart() -> None:
    assert sound_keys("Lǚ Zhuāng")[1] != sound_keys("Lú Zhuāng")[1]
    assert sound_keys("Xī'ān")[0] == "xīān"


# -- search --------------------------------------------------------------------------------
@pytest.fixture
def search(demo_store) -> NameSearch:
    return NameSearch(demo_store)


def test_search_chinese_exact_prefix_contains(search) -> None:
    hits = search.search("驿城区")
    assert hits[0].name == "驿城区" and hits[0].how == "exact"
    prefix = search.search("驿城")
    assert prefix[0].name == "驿城区"
    contains = search.search("城区")
    assert "驿城区" in [h.name for h in contains]


def test_search_pinyin_with_and_without_tones_and_initials(search) -> None:
    assert search.search("biyang")[0].name == "泌阳县"
    assert search.search("Bìyáng")[0].name == "泌阳县"
    assert search.search("bi4yang2")[0].name == "泌阳县"
    assert search.search("byx")[0].name == "泌阳县"
    assert search.search("ycq")[0].name == "驿城区"
    assert search.search("zmd")[0].name == "驻马店市"
    # pinyin with the wrong tones finds the toneless match but not the toned one
    assert search.search("mìyáng") == [] or search.search("mìyáng")[0].name != "泌阳县"


def test_search_former_names_within_a_division(search, gaz) -> None:
    old = gaz.get("D411702001002").name
    gaz.rename("D411702001002", "新华社区", actor="officer1", effective="2026-03-01")
    search.refresh()
    hits = search.search(old, within="411702")
    assert hits and hits[0].name_id == "D411702001002" and hits[0].kind == "former"
    assert all(h.division_code.startswith("41172") for h in search.search("王庄村", within="41172"))


def test_search_index_from_entries() -> None:
    from geociv.gazetteer.search import Entry

    idx = SearchIndex(
        [
            Entry("a", "西安路", "西安路", "name", "road", "411702", "Xī'ān Lù"),
            Entry("b", "先路", "先路", "name", "road", "411702", "Xiān Lù"),
        ]
    )
    assert [h.name for h in idx.search("xian")][:2] == ["先路", "西安路"] or {
        h.name for h in idx.search("xian")
    } == {"先路", "西安路"}
    assert [h.name for h in idx.search("xal")] == ["西安路"]


# -- bulk files ----------------------------------------------------------------------------
def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def test_bulk_csv_in_gbk_with_chinese_headers(gaz, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_bytes(
        "名称,类别,区划代码\n天中路,道路街巷,411702\n驛站路,road,411702\n"
        "王庄村,village,411726001\n,road,411702\n人民路,road,411799\n".encode("gbk")
    )
    rows = read_name_file(path)
    reports = gaz.check_many(rows.candidates)
    by_row = {r.candidate.row: rules_of(r) for r in reports}
    # rows as Excel counts them: the header is row 1
    assert by_row[2] == [] or set(by_row[2]) <= {"N5-POLYPHONE", "N2-SIMILAR"}
    assert "N4-TRADITIONAL" in by_row[3]
    assert "N2-DUPLICATE" in by_row[4]
    assert by_row[5] == ["N4-EMPTY"]
    assert "N0-DIVISION" in by_row[6]
    stats = summary(reports)
    assert stats["names"] == 5 and stats["blocked"] == 4
    csv_text = report_csv(reports).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("行号,名称")
    assert "驛→驿" in csv_text


def test_bulk_duplicates_inside_one_file(gaz, tmp_path: Path) -> None:
    path = tmp_path / "dups.xlsx"
    _write_xlsx(
        path,
        [
            ["name", "category", "division_code"],
            ["天中路", "road", "411702"],
            ["天中路", "road", "411771"],  # the 开发区 is in the central city's built-up area
            ["天钟路", "road", "411702"],
        ],
    )
    reports = gaz.check_many(read_name_file(path).candidates)
    assert "N2-DUPLICATE" in rules_of(reports[0]) and "N2-DUPLICATE" in rules_of(reports[1])
    assert "N2-HOMOPHONE" in rules_of(reports[2])
    book = load_workbook(io.BytesIO(report_xlsx(reports)))
    assert book.active["B2"].value == "天中路"


def test_bulk_geojson_keeps_geometry(gaz, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"名称": ["天中路"], "类别": ["road"], "区划代码": ["411702"]},
        geometry=[LineString([(114.0, 32.98), (114.05, 32.99)])],
        crs="EPSG:4326",
    )
    path = tmp_path / "roads.geojson"
    frame.to_file(path)
    rows = read_name_file(path)
    assert rows.geometries[1].geom_type == "LineString"
    assert rows.candidates[0].name == "天中路"


def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    missing = tmp_path / "m.csv"
    missing.write_text("地名,备注\n天中路,x\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_name_file(missing)
    assert {p.field for p in info.value.problems} == {"category", "division_code"}
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x81\xff\xfe" * 40)
    with pytest.raises(InputFileError, match="编码"):
        read_name_file(binary)
    fake = tmp_path / "f.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputFileError, match="Excel"):
        read_name_file(fake)
    word97 = tmp_path / "x.doc"
    word97.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(InputFileError, match="不支持的文件格式：内容是 旧版 Office"):
        read_name_file(word97)
