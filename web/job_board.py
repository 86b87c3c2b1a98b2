"""Background jobs seen by every ``geociv serve`` worker: one JSON file per job.

A job runs in the worker process that accepted it, but the page's next poll may reach another
worker (``serve --workers N``). So the job's state (queued, progress, the result or the error)
is also written to ``<instance>/jobs/<job_id>.json`` (written to a temporary file, then
renamed, so a reader never sees half of it); a worker that does not know a job reads it there.
Files older than :data:`KEEP_S` are removed when a new job starts.

Examples
--------
>>> import tempfile, pathlib
>>> from web.jobs import Job
>>> board = JobBoard(pathlib.Path(tempfile.mkdtemp()) / "jobs")
>>> board.publish(Job("0123456789ab", "demo", "planner1", state="done", result={"a": 1}))
>>> board.read("0123456789ab").result, board.read("../../etc/passwd")
({'a': 1}, None)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from web.jobs import Job

logger = logging.getLogger(__name__)

#: A job file is kept this long (a day) after it was last written.
KEEP_S = 24 * 3600
#: What job ids look like (anything else is not looked up on disk).
_JOB_ID = re.compile(r"[0-9a-f]{12}")


class JobBoard:
    """The folder where the workers of one store post their jobs' state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def publish(self, job: Job) -> None:
        """Write ``job``'s state for the other workers (a failure is logged, not raised: the
        worker running the job still answers for it)."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            text = json.dumps(dataclasses.asdict(job), ensure_ascii=False, default=str)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.folder / f"{job.job_id}.json")
        except (OSError, TypeError, ValueError) as exc:
            logger.warning("job %s not posted for the other workers: %s", job.job_id, exc)

    def read(self, job_id: str) -> Job | None:
        """The job as last posted, or ``None`` (unknown, expired, or not a job id)."""
        from web.jobs import Job

        if not _JOB_ID.fullmatch(job_id):
            return None
        try:
            data = json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        fields = {f.name for f in dataclasses.fields(Job)}
        return Job(**{k: v for k, v in data.items() if k in fields})

    def forget_old(self) -> None:
        """Remove job files not written for :data:`KEEP_S`."""
        cutoff = time.time() - KEEP_S
        try:
            for path in self.folder.iterdir():  # job files, and temporary ones left behind
                if path.suffix in (".json", ".tmp") and path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.warning("old job files not removed from %s: %s", self.folder, exc)
