"""Long computations run in the background with their progress, for progress bars.

A coverage run on a city network or a site suggestion can take seconds to minutes; the API
answers ``202`` with a job id at once and the page polls ``/api/coverage/jobs/<id>`` for the
fraction done, the current stage (in Chinese) and finally the result or the error.

Examples
--------
>>> jobs = Jobs(workers=1)
>>> job = jobs.submit("demo", lambda progress: progress(0.5, "一半") or {"answer": 42})
>>> jobs.wait(job.job_id, timeout=5).to_dict()["result"]
{'answer': 42}
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geociv.errors import BusyError, GeocivError, ValidationError

if TYPE_CHECKING:
    from web.job_board import JobBoard

__all__ = ["Job", "Jobs"]

Work = Callable[[Callable[[float, str], None]], Any]


@dataclass
class Job:
    """One background computation.

    Attributes
    ----------
    job_id : str
        Random id.
    kind : str
        What it computes (``coverage``, ``suggest`` …).
    owner : str
        The user who started it.
    state : str
        ``queued``, ``running``, ``done`` or ``failed``.
    progress : float
        Fraction done, 0–1.
    message : str
        Current stage, in Chinese.
    result : Any
        What the work returned (JSON-ready) once done.
    error : dict or None
        ``{"error", "problems"}`` when it failed.
    """

    job_id: str
    kind: str
    owner: str = ""
    state: str = "queued"
    progress: float = 0.0
    message: str = "排队中"
    result: Any = None
    error: dict[str, Any] | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The job as the API reports it."""
        end = self.finished or time.time()
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 3),
            "message": self.message,
            "elapsed_s": round(end - self.started, 2),
            "result": self.result,
            "error": self.error,
        }


class Jobs:
    """A small pool of worker threads running :class:`Job` s, keeping the latest ``keep``.

    With a ``board`` (:class:`web.job_board.JobBoard`), each job's state is also posted there
    for the other ``geociv serve`` workers, and :meth:`get` finds their jobs. The limits
    (``max_waiting``, ``per_owner``) count the jobs of this process.
    """

    #: Progress is posted to the board at most this often (seconds).
    POST_EVERY_S = 0.5

    def __init__(
        self,
        workers: int = 2,
        keep: int = 200,
        max_waiting: int = 8,
        per_owner: int = 3,
        board: JobBoard | None = None,
    ) -> None:
        self._max_waiting = max_waiting
        self._per_owner = per_owner
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geociv-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._done: dict[str, threading.Event] = {}
        self._keep = keep
        self._board = board

    def submit(self, kind: str, work: Work, *, owner: str = "") -> Job:
        """Start ``work(progress)`` in the background and return its job at once.

        Raises
        ------
        BusyError
            ``max_waiting`` jobs are queued or running already, or ``per_owner`` of the
            owner's (nothing is started; the web answers 429).
        """
        job = Job(uuid.uuid4().hex[:12], kind, owner)
        with self._lock:
            waiting = [j for j in self._jobs.values() if j.state in ("queued", "running")]
            mine = [j for j in waiting if j.owner == owner]
            if len(waiting) >= self._max_waiting or len(mine) >= self._per_owner:
                raise BusyError(
                    f"后台计算已满（本人最多 {self._per_owner} 项、共 {self._max_waiting} 项"
                    "同时排队或计算），请等已开始的计算完成后再试"
                )
            self._jobs[job.job_id] = job
            self._done[job.job_id] = threading.Event()
            while len(self._jobs) > self._keep:
                old, _ = self._jobs.popitem(last=False)
                self._done.pop(old, None)
        if self._board is not None:
            self._board.forget_old()
            self._board.publish(job)
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        posted = [0.0]

        def progress(fraction: float, message: str) -> None:
            job.progress = max(job.progress, min(float(fraction), 0.99))
            job.message = message
            if time.monotonic() - posted[0] >= self.POST_EVERY_S:
                posted[0] = time.monotonic()
                self._post(job)

        job.state, job.message = "running", "开始计算"
        self._post(job)
        try:
            job.result = work(progress)
            job.state, job.progress, job.message = "done", 1.0, "完成"
        except ValidationError as exc:
            job.error = {"error": exc.title, "problems": [p.to_dict() for p in exc.problems]}
            job.state, job.message = "failed", exc.title
        except GeocivError as exc:
            job.error = {"error": str(exc), "problems": []}
            job.state, job.message = "failed", str(exc)
        except Exception as exc:  # an unexpected failure must still reach the page
            traceback.print_exc()
            job.error = {"error": f"计算出错：{type(exc).__name__}: {exc}", "problems": []}
            job.state, job.message = "failed", "计算出错"
        finally:
            job.finished = time.time()
            self._post(job)
            event = self._done.get(job.job_id)
            if event is not None:
                event.set()

    def _post(self, job: Job) -> None:
        if self._board is not None:
            self._board.publish(job)

    def get(self, job_id: str) -> Job | None:
        """The job (of this process, else as another worker posted it on the board), or
        ``None`` when unknown (or long forgotten)."""
        with self._lock:
            found = self._jobs.get(job_id)
        if found is None and self._board is not None:
            return self._board.read(job_id)
        return found

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job ends (for scripts and tests) and return it."""
        event = self._done.get(job_id)
        if event is not None:
            event.wait(timeout)
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job
