"""Work a read request does not repeat (issue 11, throughput with cores).

Under load each worker's CPU per request bounds the throughput; these tests pin the work
that is done once per change of the data (or once per process) instead of on every request.
They count calls on the real store and compare real answers, not wall time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest

from geociv.divisions import division_record
from tests.conftest import login

#: Store methods that read divisions.
DIVISION_READS = ("query_divisions", "get_division", "count_divisions")


@pytest.fixture
def division_reads(app, monkeypatch) -> Counter:
    """Calls of the store's division reads from now on, by method."""
    store = app.extensions["geociv_store"]
    calls: Counter = Counter()
    for method in DIVISION_READS:
        real = getattr(store, method)

        def counting(*args, _real=real, _method=method, **kwargs):
            calls[_method] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(store, method, counting)
    return calls


def _figures(page: str) -> list[str]:
    return re.findall(r"<b(?: id=\"count-county\")?>(\d+)</b>", page)


def test_home_page_reads_no_division_again_until_one_changes(app, client, division_reads):
    login(client, "officer1")
    first = client.get("/").get_data(as_text=True)
    before = sum(division_reads.values())
    assert before > 0
    assert client.get("/").get_data(as_text=True) == first
    assert sum(division_reads.values()) == before, division_reads  # nothing read again
    store = app.extensions["geociv_store"]
    county = store.get_division("411702")
    store.upsert_divisions(
        [replace(county, name="驿城试验区"), division_record("411702999", "试验街道")],
        actor="system",
    )
    page = client.get("/").get_data(as_text=True)
    table = page[page.index('id="county-table"') :]
    assert "<td>驿城试验区</td>" in table
    township_before, township_after = _figures(first)[1], _figures(page)[1]
    assert int(township_after) == int(township_before) + 1


def test_home_page_county_without_area_shows_a_dash(app, client):
    store = app.extensions["geociv_store"]
    county = store.get_division("411721")
    store.upsert_divisions([replace(county, area_km2=None)], actor="system")
    login(client, "officer1")
    page = client.get("/").get_data(as_text=True)
    row = re.search(r"<tr><td>[^<]*</td><td>411721</td><td class=\"num\">([^<]*)</td>", page)
    assert row is not None and row.group(1) == "—"
