"""The hostile corpus (tests/data/hostile/) posted to every route that takes files: each file
is refused with a 4xx and a Chinese message naming the field, and memory stays bounded."""

from __future__ import annotations

import re
from pathlib import Path

import psutil
import pytest

from tests.data.hostile.make_hostile import huge_field_csv
from tests.upload_cases import HOSTILE, ROUTES, Context, post_file

FILES = sorted(p.name for p in HOSTILE.iterdir() if p.suffix not in (".py", ".md"))
#: Extra memory the whole sweep may cost the process that serves it.
RSS_GROWTH_MAX = 300 * 1024 * 1024
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def ctx(demo_template, store_maker, tmp_path_factory: pytest.TempPathFactory) -> Context:
    return Context.make(store_maker.copy(demo_template, tmp_path_factory.mktemp("hostile"), "demo"))


@pytest.fixture(scope="module")
def rss() -> dict[str, int]:
    """The process's RSS before the sweep (this process serves the test client's requests)."""
    return {"before": psutil.Process().memory_info().rss}


def _refused(response, field: str) -> None:
    body = response.get_json(silent=True) or {}
    text = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, text[:300])
    problems = body.get("problems") or []
    assert any(p.get("field") == field for p in problems), text[:300]
    assert all(_CJK.search(p["message"]) for p in problems), text[:300]


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("name", FILES)
def test_every_hostile_file_is_refused_by_every_route(ctx, rss, name: str, route: str) -> None:
    field = ROUTES[route](ctx)[2]
    response = post_file(ctx, route, (HOSTILE / name).read_bytes(), name)
    _refused(response, field)


@pytest.mark.parametrize("route", sorted(set(ROUTES) - {"case_documents"}))
def test_a_csv_with_one_enormous_field_is_refused(ctx, rss, tmp_path: Path, route: str) -> None:
    """(A case document may be plain text of any line length within its byte bound.)"""
    path = huge_field_csv(tmp_path / "站点.csv")
    field = ROUTES[route](ctx)[2]
    _refused(post_file(ctx, route, path.read_bytes(), path.name), field)


def test_memory_stayed_bounded(rss) -> None:
    grown = psutil.Process().memory_info().rss - rss["before"]
    assert grown < RSS_GROWTH_MAX, f"RSS grew by {grown / 2**20:.0f} MB"
