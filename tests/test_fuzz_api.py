"""schemathesis over ``/api/openapi.json`` against the real Flask app (WSGI, in process, CSRF
on): anonymous, as an admin and as a planner, valid and invalid requests generated from the
document with a fixed seed and a bounded number of examples per operation. Every answer must
be a documented status with a body matching its documented schema, and never a 5xx.

Also malformed bodies (broken multipart, bad CSRF tokens, non-JSON) sent to every POST route
of the app, the log-in form included.

The whole module runs in under two minutes on two cores (``FUZZ_EXAMPLES`` per
operation, user and mode).
"""

from __future__ import annotations

import re
import time
import warnings
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable

from geociv.auth import Users
from geociv.demo import load_demo
from geociv.store import open_store
from tests.conftest import ACCOUNTS, PASSWORD
from tests.store_probe import integrity

pytestmark = pytest.mark.fuzz

#: Examples per operation, user and generation mode (positive, negative).
FUZZ_EXAMPLES = 8
#: The fixed seed of every run.
FUZZ_SEED = 20260903
#: Who fuzzes: anonymous, and logged in as these accounts.
FUZZ_USERS = ("anonymous", "admin1", "planner1")


@pytest.fixture(scope="module")
def fuzz_app(store_maker, tmp_path_factory: pytest.TempPathFactory):
    """The app with CSRF on, on a demo store with the boundary and coverage samples."""
    from web import create_app

    path = store_maker.new(tmp_path_factory.mktemp("fuzz"), "fuzz")
    store = open_store(path)
    load_demo(store)
    users = Users(store)
    for name, (role, division) in ACCOUNTS.items():
        users.add(name, PASSWORD, role=role, division_code=division, actor="pytest")
    store.close()
    app = create_app(
        {
            "GEOCIV_STORE": str(path),
            "SECRET_KEY": "fuzz",
            "WTF_CSRF_ENABLED": True,
            # one background computation at a time: the rest are refused with a 429
            "JOBS_MAX_WAITING": 1,
            "JOBS_PER_USER": 1,
        }
    )
    yield app
    jobs = app.extensions.get("geociv_jobs")
    if jobs is not None:  # let a started computation end before the store goes away
        jobs._pool.shutdown(wait=True, cancel_futures=True)


def csrf_token(client) -> str:
    """The CSRF token of ``client``'s session, read from a page like a browser does."""
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF token on the log-in page"
    return found.group(1)


def session_for(app, username: str) -> tuple[object, dict[str, str]]:
    """A test client logged in through the real form, and the headers its API calls send."""
    client = app.test_client()
    token = csrf_token(client)
    if username != "anonymous":
        done = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert done.status_code == 302, done.get_data(as_text=True)[:300]
        token = csrf_token(client)
    return client, {"X-CSRFToken": token}


def fuzz_operation(op, mode, client, headers, user, checks, statuses, failures) -> None:
    """Send ``FUZZ_EXAMPLES`` generated cases of ``op`` as ``user``; count the statuses and
    collect every failed check (no shrinking: the first sighting is reported)."""

    @seed(FUZZ_SEED)
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def one(case) -> None:
        try:
            response = case.call(session=client, headers=headers)
        except Exception as exc:  # the app raised instead of answering
            failures.append(f"{op.label} [{user}] raised {type(exc).__name__}: {exc}")
            return
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except BaseException as exc:  # a FailureGroup: one per failed check
            text = str(exc).replace("\n", " ")[:600]
            failures.append(f"{op.label} [{user}] {response.status_code}: {text}")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one()
    except Unsatisfiable:
        pass  # e.g. no invalid value exists for a free-text path parameter


def test_schemathesis_finds_no_5xx_and_no_schema_violation(fuzz_app) -> None:
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    sessions = {user: session_for(fuzz_app, user) for user in FUZZ_USERS}
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()

    seconds: Counter[str] = Counter()
    for op in operations:
        began = time.monotonic()
        for user, (client, headers) in sessions.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz_operation(op, mode, client, headers, user, checks, statuses, failures)
        seconds[op.label] = round(time.monotonic() - began, 1)

    cases = sum(statuses.values())
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(operations)} operations × {len(FUZZ_USERS)} users × 2 modes, "
        f"{cases} cases in {elapsed:.0f} s; statuses {dict(sorted(statuses.items()))}; "
        f"5xx: {sum(n for s, n in statuses.items() if s >= 500)}; failures: {len(failures)}; "
        f"slowest: {seconds.most_common(5)}"
    )
    assert len(operations) >= 60
    assert cases >= 20 * len(operations)
    assert not failures, "\n".join(failures[:20])
    assert not [s for s in statuses if s >= 500]


#: Broken bodies: (content type, bytes).
MALFORMED = [
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"),
    ("multipart/form-data; boundary=x", b"--x\r\nbroken\r\n\r\n"),
    ("multipart/form-data; boundary=x", b"garbage without any boundary"),
    ("multipart/form-data; boundary=", b"--\r\n\r\n--"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--"),
    (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="csrf_token"; filename="t"\r\n\r\n'
        b"\xff\xfe\r\n--x--\r\n",
    ),
    (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.csv"\r\n\r\n'
        b"a,b\r\n--x--\r\n",
    ),
    ("application/x-www-form-urlencoded", b"csrf_token=%ff%fe&username=%00"),
    ("application/json", b"{not json"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"text"'),
    ("application/json", b'{"types": 5, "rings": "x", "k": 1e999}'),
    ("text/plain", b"\x00\xff"),
]


def test_malformed_bodies_on_every_post_route_are_4xx(fuzz_app) -> None:
    rules = [
        r for r in fuzz_app.url_map.iter_rules() if "POST" in r.methods and "<" not in r.rule
    ]
    rules += [r for r in fuzz_app.url_map.iter_rules() if "POST" in r.methods and "<" in r.rule]
    assert len(rules) >= 40
    statuses: Counter[int] = Counter()
    sent = 0
    for user in ("anonymous", "admin1"):
        client, headers = session_for(fuzz_app, user)
        for rule in rules:
            path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule.rule)
            if path == "/logout":
                continue  # logging the session out would end the sweep for this user
            for with_token in (False, True):
                for content_type, body in MALFORMED:
                    sent += 1
                    answer = client.open(
                        path,
                        method="POST",
                        data=body,
                        headers={"Content-Type": content_type, **(headers if with_token else {})},
                    )
                    statuses[answer.status_code] += 1
                    assert answer.status_code < 500, (user, path, content_type, body)
                    if path.startswith("/api/"):
                        error = answer.get_json()
                        assert error and error["error"], (path, content_type)
    print(f"\nmalformed bodies: {sent} requests to {len(rules)} POST routes; {dict(statuses)}")
    assert set(statuses) <= {302, 303, 400, 401, 403, 404, 405, 409, 413, 429}  # 30x: redirects


def test_fuzz_store_is_intact(fuzz_app) -> None:
    assert integrity(fuzz_app.config["GEOCIV_STORE"]) == "ok"
