"""60 writers at once on a large gazetteer through ``geociv serve --workers 2`` (issue 11).

The store is the demo plus 20,800 generated villages with their name records (the fixture of
``test_store_size_cost``). Sixty officers' clients write at the same moment over HTTP, with the
session cookie and CSRF header the pages send: each registers a road name, a sign for it, and
marks the sign damaged; each also tries to register one contested name that only one may get.
Behaviour, not wall time: every answer is 2xx or the expected 400, no 5xx, no timeout, exactly
one contested name, and every acknowledged write is in the store afterwards.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import requests

from geociv.store import open_store
from tests.http_client import Client
from tests.test_serve_workers import Workers
from tests.test_store_size_cost import large_template  # noqa: F401 (the fixture)

WRITERS = 60
#: Distinct characters for the writers' road names (载X路 …), none a polyphone.
CHARS = "春夏秋冬东西南北松柏梅兰竹菊桂荷杉榆槐柳桃李杏梨枣栗桑楠樟枫石泉溪湖港湾桥岭峰"
CONTESTED = "载争路"


def _writer(client: Client, n: int, out: list) -> None:
    def post(kind: str, path: str, body: dict) -> requests.Response | None:
        try:
            answer = client.post(path, json=body)
        except requests.RequestException as exc:  # a timeout or a broken connection
            out.append((kind, 0, repr(exc)))
            return None
        out.append((kind, answer.status_code, answer.text[:200]))
        return answer

    def road(name: str) -> dict:
        return {"name": name, "category": "road", "division_code": "411702",
                "accept": {"N2-SIMILAR": "t", "N2-HOMOPHONE": "t"}}  # fmt: skip

    name = f"载{CHARS[n % len(CHARS)]}{CHARS[n // len(CHARS)]}路"
    made = post("name", "/api/names", road(name))
    post("contested", "/api/names", road(CONTESTED))
    if made is None or made.status_code != 201:
        return
    name_id = made.json()["record"]["id"]
    out.append(("made name", name_id, name))
    sign = post("sign", "/api/signs", {"name_id": name_id, "sign_type": "road", "text": name,
                                       "lon": 114.02 + n / 1e4, "lat": 32.98})  # fmt: skip
    if sign is None or sign.status_code != 201:
        return
    sign_id = sign.json()["id"]
    out.append(("made sign", sign_id, name_id))
    if post("status", f"/api/signs/{sign_id}/status", {"status": "damaged"}) is not None:
        out.append(("damaged", sign_id, ""))


def test_sixty_writers_at_once_all_answered_and_every_acknowledged_write_kept(
    large_template: Path,  # noqa: F811
    store_maker,
    tmp_path: Path,
) -> None:
    path = store_maker.copy(large_template, tmp_path, "large")
    server = Workers(path, tmp_path)
    try:
        officer = Client(server.url, "officer1")
        clients = [officer.twin() for _ in range(WRITERS)]  # one session, sixty connections
        results: list[list] = [[] for _ in clients]
        threads = [threading.Thread(target=_writer, args=(c, n, results[n]))
                   for n, c in enumerate(clients)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        server.stop()
    answers = [r for rs in results for r in rs if isinstance(r[1], int)]
    by_kind = Counter((kind, status) for kind, status, _ in answers)
    assert not [r for r in answers if r[1] == 0 or r[1] >= 500], by_kind
    refused = [text for kind, status, text in answers if (kind, status) == ("name", 400)]
    assert by_kind == {("name", 201): WRITERS, ("contested", 201): 1,
                       ("contested", 400): WRITERS - 1, ("sign", 201): WRITERS,
                       ("status", 200): WRITERS}, (by_kind, refused)  # fmt: skip
    refused = {text for kind, status, text in answers if (kind, status) == ("contested", 400)}
    assert all("N2-DUPLICATE" in text for text in refused)
    made = [r for rs in results for r in rs if not isinstance(r[1], int)]
    with open_store(path) as store:
        for kind, key, detail in made:
            if kind == "made name":
                assert store.get_name(key).name == detail
            elif kind == "made sign":
                assert store.get_sign(key).name_id == detail
            else:
                assert store.get_sign(key).status == "damaged"
        assert len(store.query_names(name=CONTESTED)) == 1
