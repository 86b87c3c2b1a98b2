"""Requests whose cost does not grow with the store (issue 11).

The store here is the demo plus a generated gazetteer: 20,800 villages (divisions and their
name records, generated codes) under the demo's townships. The tests assert behaviour, not
wall time: how many records a request reads through the store API, that a write updates the
search index instead of rebuilding it, that another process sees a write, and that an ETag
sent back gives 304.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from geociv.divisions import division_record
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.search import NameSearch
from geociv.store import NameRecord, Store, open_store
from tests.conftest import login

#: Villages generated under each of the demo's townships (208 townships → 20,800 villages).
PER_TOWNSHIP = 100


@pytest.fixture(scope="module")
def large_template(
    demo_template, store_maker, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo store plus tens of thousands of generated villages with name records (of the
    backend under test)."""
    path = store_maker.copy(demo_template, tmp_path_factory.mktemp("large"), "large")
    store = open_store(path)
    townships = [
        t for t in store.query_divisions(level="township", with_geometry=False)
        if t.code.startswith("4117")
    ]  # fmt: skip
    villages = [
        division_record(f"{t.code}{600 + i:03d}", f"生成{t.code[-5:]}{i:03d}村")
        for t in townships
        for i in range(PER_TOWNSHIP)
    ]
    store.upsert_divisions(villages, actor="system")
    store.upsert_names(
        (
            NameRecord(name_id=f"D{v.code}", name=v.name, specific=v.name[:-1], generic="村",
                       category="village", division_code=v.parent_code or "",
                       pinyin="Shēngchéng Cūn", status="published", represents=v.code)
            for v in villages
        ),
        actor="system",
    )  # fmt: skip
    store.close()
    return path


@pytest.fixture
def large_path(large_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "large.gpkg"
    shutil.copy(large_template, target)
    return target


@pytest.fixture
def large_app(large_path: Path):
    from web import create_app

    return create_app(
        {"GEOCIV_STORE": str(large_path), "TESTING": True, "WTF_CSRF_ENABLED": False,
         "SECRET_KEY": "test"}
    )  # fmt: skip


class RecordsRead:
    """Counts the records the store API hands out, per method (wrapping the real methods)."""

    METHODS = ("query_divisions", "query_names", "former_names", "division_names",
               "get_division", "get_name")  # fmt: skip

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: Counter[str] = Counter()
        for method in self.METHODS:
            if not hasattr(store, method):
                continue
            real = getattr(store, method)
            monkeypatch.setattr(store, method, self._counting(method, real))

    def _counting(self, method, real):
        def wrapper(*args, **kwargs):
            found = real(*args, **kwargs)
            self.counts[method] += len(found) if isinstance(found, list | dict) else 1
            return found

        return wrapper

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def test_the_large_store_is_large(large_path: Path) -> None:
    with open_store(large_path) as store:
        assert store.count_divisions(within="4117")["village"] > 20_000
        assert store.count_divisions() == store.count_divisions(within="41") | {
            "province": store.count_divisions()["province"]
        }


def test_name_search_reads_only_the_divisions_it_shows(large_app, monkeypatch) -> None:
    client = large_app.test_client()
    assert client.get("/api/names/search?q=驿城").status_code == 200  # builds the index
    seen = RecordsRead(large_app.extensions["geociv_store"], monkeypatch)
    for q in ("驿城", "生成", "zmd", "shengcheng"):
        body = client.get(f"/api/names/search?q={urllib.parse.quote(q)}&limit=20").get_json()
        assert body["results"], q
        assert all(r["division_name"] for r in body["results"] if r["division_code"] != "")
    assert seen.total <= 4 * 20, seen.counts  # at most the divisions of the hits shown


def test_home_page_counts_without_reading_the_villages(large_app, monkeypatch) -> None:
    client = large_app.test_client()
    login(client, "officer1")
    assert client.get("/").status_code == 200  # renders the map once
    seen = RecordsRead(large_app.extensions["geociv_store"], monkeypatch)
    page = client.get("/").get_data(as_text=True)
    with open_store(large_app.config["GEOCIV_STORE"]) as other:
        villages = other.count_divisions(within="4117", include_statistical=False)["village"]
    assert f'<b id="count-village">{villages}</b>村级' in page and villages > 20_000
    assert seen.total <= 40, seen.counts  # the city and its counties, no village


def test_children_below_the_next_level_read_only_their_own(large_path, monkeypatch) -> None:
    from geociv.divisions import Divisions

    with open_store(large_path) as store:
        seen = RecordsRead(store, monkeypatch)
        villages = Divisions(store).children("411702001", level="village")
        assert villages and all(v.code.startswith("411702001") for v in villages)
        assert seen.counts["query_divisions"] == len(villages)
        assert Divisions(store).counts("411702")["township"] == len(
            Divisions(store).children("411702", level="township")
        )


def test_a_write_updates_the_search_index_without_rebuilding_it(large_app) -> None:
    client = large_app.test_client()
    login(client, "officer1")
    assert client.get("/api/names/search?q=驿城").status_code == 200
    for i, name in enumerate(("天枢路", "天璇路", "天玑路")):
        # an acceptance is written before the check, in the same transaction
        made = client.post("/api/names", json={"name": name, "category": "road",
                                                "division_code": "411702",
                                                "accept": {"N2-SIMILAR": "测试"}})  # fmt: skip
        assert made.status_code == 201, made.get_json()
        hits = client.get(f"/api/names/search?q={urllib.parse.quote(name)}").get_json()
        assert hits["results"][0]["name"] == name, i
    search = large_app.extensions["geociv_name_search"]
    gazetteer = large_app.extensions["geociv_gazetteer"]
    assert (search.builds, gazetteer.builds) == (1, 1)
    # a duplicate is still caught by the updated validator
    again = client.post("/api/names", json={"name": "天枢路", "category": "road",
                                             "division_code": "411702"})  # fmt: skip
    assert again.status_code == 400 and "N2-DUPLICATE" in again.get_data(as_text=True)


def test_a_rolled_back_write_leaves_no_trace_in_the_index(demo_store) -> None:
    search = NameSearch(demo_store)
    gaz = Gazetteer(demo_store)
    assert search.search("驿城区") and gaz.validator()
    ghost = NameRecord(name_id="N-ghost", name="幽灵路", specific="幽灵", generic="路",
                       category="road", division_code="411702", pinyin="Yōulíng Lù")  # fmt: skip
    with pytest.raises(RuntimeError), demo_store.transaction():
        demo_store.upsert_names([ghost], actor="system")
        assert [h.name for h in search.search("幽灵路")] == ["幽灵路"]  # seen inside
        assert "N2-DUPLICATE" in {f.rule_id for f in gaz.check("幽灵路", "road", "411702").findings}
        raise RuntimeError("the rest of the transaction failed")
    # the next write takes the audit id the rolled-back one had
    real = NameRecord(name_id="N-real", name="实在路", specific="实在", generic="路",
                      category="road", division_code="411702", pinyin="Shízài Lù")  # fmt: skip
    demo_store.upsert_names([real], actor="system")
    assert search.search("幽灵路") == []
    assert [h.name for h in search.search("实在路")] == ["实在路"]
    assert "N2-DUPLICATE" not in {
        f.rule_id for f in gaz.check("幽灵路", "road", "411702").findings
    }
    assert search.builds == 1


def test_a_bulk_change_rebuilds_once(demo_store) -> None:
    from geociv.store.changes import ChangeFollower

    follower = ChangeFollower(demo_store, ("geociv_meta",), most=3)
    follower.done(follower.poll())
    for i in range(5):
        demo_store.set_meta(f"k{i}", "v", actor="system")
    changes = follower.poll()
    assert changes.rebuild
    follower.done(changes)
    demo_store.set_meta("k0", "w", actor="system")
    changes = follower.poll()
    assert not changes.rebuild and changes.keys == {"geociv_meta": {"k0"}}


def test_another_process_sees_a_write(live_server: str, demo_path: Path) -> None:
    """``geociv serve`` (its own process, its index built) finds a name this process wrote."""

    def search(q: str) -> list[str]:
        url = f"{live_server}/api/names/search?q={urllib.parse.quote(q)}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return [r["name"] for r in json.load(answer)["results"]]

    assert search("驿城区")[0] == "驿城区"
    assert search("开阳路") == []
    with open_store(demo_path) as store:
        Gazetteer(store).add("开阳路", "road", "411702", actor="officer1")
        old = store.get_name("D411702001002").name
        Gazetteer(store).rename("D411702001002", "开阳社区", actor="officer1",
                                effective="2026-03-01")  # fmt: skip
    assert search("开阳路") == ["开阳路"]
    assert search("开阳社区")[0] == "开阳社区"
    assert "开阳社区" in search(old)  # found by its former name


def test_division_geojson_etag_round_trip(client) -> None:
    first = client.get("/api/divisions?parent=411700&level=county")
    tag = first.headers["ETag"]
    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    again = client.get("/api/divisions?parent=411700&level=county",
                       headers={"If-None-Match": tag})  # fmt: skip
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/api/divisions?parent=411702&level=township",
                       headers={"If-None-Match": tag})  # fmt: skip
    assert other.status_code == 200  # another query, another tag
    tag = client.get("/api/divisions/411702").headers["ETag"]
    again = client.get("/api/divisions/411702", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_etag_changes_when_divisions_change(app, client) -> None:
    tag = client.get("/api/divisions/411702").headers["ETag"]
    store = app.extensions["geociv_store"]
    county = store.get_division("411702")
    from dataclasses import replace

    store.upsert_divisions([replace(county, area_km2=(county.area_km2 or 0) + 1)], actor="system")
    answer = client.get("/api/divisions/411702", headers={"If-None-Match": tag})
    assert answer.status_code == 200 and answer.headers["ETag"] != tag


def test_home_map_is_rendered_again_only_after_a_division_change(app, client) -> None:
    login(client, "officer1")
    first = client.get("/").get_data(as_text=True)
    assert client.get("/").get_data(as_text=True).count("division-label") == first.count(
        "division-label"
    )
    kept = app.extensions["geociv_cached"]["home-map:411700"]
    client.get("/")
    assert app.extensions["geociv_cached"]["home-map:411700"] is kept
    store = app.extensions["geociv_store"]
    county = store.get_division("411702")
    from dataclasses import replace

    store.upsert_divisions([replace(county, name="驿城试验区")], actor="system")
    assert "驿城试验区" in client.get("/").get_data(as_text=True)
    assert app.extensions["geociv_cached"]["home-map:411700"] is not kept


def test_boundary_map_is_rendered_again_only_after_a_change(app, client) -> None:
    login(client, "inspector1")
    assert client.get("/boundaries/").status_code == 200
    kept = dict(app.extensions["geociv_cached"])
    (key,) = [k for k in kept if k.startswith("boundary-map:")]
    client.get("/boundaries/")
    assert app.extensions["geociv_cached"][key] is kept[key]
    store = app.extensions["geociv_store"]
    from dataclasses import replace

    county = store.get_division("411721")
    store.upsert_divisions([replace(county, name="西平试验县")], actor="system")
    page = client.get("/boundaries/").get_data(as_text=True)
    assert "西平试验县" in page or json.dumps("西平试验县")[1:-1] in page
    assert app.extensions["geociv_cached"][key] is not kept[key]


def test_warm_up_builds_the_indexes_once_before_any_request(app, client) -> None:
    import gc

    from web.caching import warm_up

    warm_up(app)
    gc.unfreeze()  # the test process keeps collecting as before
    search = app.extensions["geociv_name_search"]
    assert (search.builds, app.extensions["geociv_gazetteer"].builds) == (1, 1)
    assert client.get("/api/names/search?q=zmd").get_json()["results"][0]["name"] == "驻马店市"
    assert search.builds == 1


#: Audit entries of each of two tables in the long-log store below.
LOG_ROWS = 2_000


@pytest.fixture
def long_log(any_store: Store) -> Store:
    """A store whose audit log holds 2,000 old entries on ``divisions`` and, after them, 2,000
    on ``names`` (as after a province's import), with planner statistics gathered."""
    from geociv.store.postgis import PostgisStore

    villages = [
        division_record(f"411702{1 + i // 900:03d}{100 + i % 900:03d}", f"生成{i:04d}村")
        for i in range(LOG_ROWS)
    ]
    any_store.upsert_divisions(villages, actor="system")
    any_store.upsert_names(
        (
            NameRecord(name_id=f"D{v.code}", name=v.name, specific=v.name[:-1], generic="村",
                       category="village", division_code="411702", pinyin="Shēngchéng Cūn",
                       status="published", represents=v.code)
            for v in villages
        ),
        actor="system",
    )  # fmt: skip
    if isinstance(any_store, PostgisStore):
        any_store._conn().execute("ANALYZE audit_log")  # as autovacuum would have
    else:
        any_store._conn().execute("ANALYZE")
    return any_store


def test_the_change_stamp_reads_one_entry_per_table(long_log: Store) -> None:
    """Every cached page asks for the stamp on every request: its work must not grow with the
    audit log (PostgreSQL walked the primary key back past every newer entry of other tables)."""
    from tests.db_work import measured

    newest = {
        e.entity: e.id for e in reversed(long_log.audit_entries(limit=10 * LOG_ROWS))
    }  # fmt: skip
    assert long_log.last_change(()) == 0
    for entities in (("divisions",), ("names",), ("divisions", "markers"), ("markers",)):
        with measured(long_log) as work:
            stamp = long_log.last_change(entities)
        assert stamp == max((newest.get(e, 0) for e in entities), default=0), entities
        assert 0 < work.amount < LOG_ROWS / 10, (entities, work.amount, work.plans)
