"""Background jobs followed through any ``geociv serve`` worker (web/job_board.py, issue 11):
two job pools on one board folder stand for two worker processes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from geociv.errors import Problem, ValidationError
from web.job_board import KEEP_S, JobBoard
from web.jobs import Jobs


def test_another_pool_follows_a_job_from_queued_to_its_result(tmp_path: Path) -> None:
    board = JobBoard(tmp_path / "jobs")
    here, there = Jobs(workers=1, board=board), Jobs(workers=1, board=board)
    halfway, go_on = threading.Event(), threading.Event()

    def work(progress) -> dict:
        progress(0.5, "一半")
        halfway.set()
        go_on.wait(30)
        return {"run_id": "CR0001", "share": 0.5}

    job = here.submit("coverage", work, owner="planner1")
    assert halfway.wait(30)
    seen = there.get(job.job_id)
    assert (seen.kind, seen.owner, seen.state) == ("coverage", "planner1", "running")
    go_on.set()
    here.wait(job.job_id, timeout=30)
    done = there.get(job.job_id).to_dict()
    assert (done["state"], done["progress"], done["result"]) == (
        "done", 1.0, {"run_id": "CR0001", "share": 0.5})  # fmt: skip
    assert oct((tmp_path / "jobs").stat().st_mode & 0o777) == "0o700"


def test_a_failure_reaches_the_other_pool_with_its_problems(tmp_path: Path) -> None:
    board = JobBoard(tmp_path / "jobs")
    here, there = Jobs(workers=1, board=board), Jobs(workers=1, board=board)

    def work(progress) -> None:
        raise ValidationError(Problem("人口栅格不存在", field="raster_id"), title="请求有误")

    job = here.submit("coverage", work)
    here.wait(job.job_id, timeout=30)
    failed = there.get(job.job_id)
    assert failed.state == "failed"
    assert failed.error["problems"][0]["field"] == "raster_id"


def test_only_job_ids_are_looked_up_and_old_files_are_forgotten(tmp_path: Path) -> None:
    board = JobBoard(tmp_path / "jobs")
    jobs = Jobs(workers=1, board=board)
    (tmp_path / "secret.json").write_text('{"job_id": "x", "kind": "x"}')
    for asked in ("../secret", "0123456789ab", "0123456789AB", ""):
        assert jobs.get(asked) is None
    old = jobs.submit("demo", lambda progress: {"a": 1})
    jobs.wait(old.job_id, timeout=30)
    stale = time.time() - KEEP_S - 60
    os.utime(tmp_path / "jobs" / f"{old.job_id}.json", (stale, stale))
    Jobs(workers=1, board=board).submit("demo", lambda progress: None)
    assert not (tmp_path / "jobs" / f"{old.job_id}.json").exists()
    assert jobs.get(old.job_id).state == "done"  # still known to its own pool


def test_a_value_json_does_not_know_is_posted_as_text(tmp_path: Path) -> None:
    board = JobBoard(tmp_path / "jobs")
    jobs = Jobs(workers=1, board=board)
    job = jobs.submit("demo", lambda progress: {"value": object()})
    assert jobs.wait(job.job_id, timeout=30).state == "done"
    assert Jobs(workers=1, board=board).get(job.job_id).result["value"].startswith("<object")
