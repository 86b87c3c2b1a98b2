"""Store-size benchmark: the same request mix on the Zhumadian demo and on all of Henan.

Two stores on one backend: the demo (Zhumadian, ~3,100 divisions), and the demo plus every
city, county, township (2,586) and village/community (52 k) of Henan from the NBS code lists
in ``../shared/data/admin-codes``, each with its name record. The app's jurisdiction stays
Zhumadian in both, so a request that costs the same in both does not grow with the store.

Request mix, through the real Flask app (in-process WSGI, as waitress would call it): the name
search API (Chinese, pinyin, initials), the home page, the boundary page, the coverage page,
and a write (an officer registering a road name, checked against every rule first).

Each app is warmed up as ``geociv serve`` does (search index and validator built, then
``gc.freeze``; that time is printed). The two sizes take turns request by request, so that a
drift of the machine weighs on both alike. Prints, per endpoint and store: the first ("cold":
the page's own caches, e.g. a rendered map, built on the way) request, then p50/p95 over the
warm rounds, and the ratio Henan / demo of the warm p50 and p95; with both backends
(``--backend both``, the default) also the ratio PostGIS / GeoPackage per size. The PostGIS
stores are copies (``geociv store copy``) of the GeoPackage ones, in a throw-away cluster
started as the tests start theirs (Debian ``postgresql`` + ``postgresql-15-postgis-3``; the
machine's own server is not touched), or in the server at ``--pg-url`` (databases are created
there and dropped afterwards).

Run: ``python bench/store_bench.py [SHARED_DATA_DIR] [--backend both|gpkg|postgis] [--rounds 40]``.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from _shared import shared_data  # bench/ is on sys.path when run as a script

from geociv.auth import Users
from geociv.demo import load_demo
from geociv.divisions import Divisions
from geociv.gazetteer.names import Gazetteer
from geociv.store import open_store

PASSWORD = "bench-password-9"
QUERIES = ("驿城", "zmd", "shangcai", "王庄", "确山县", "xiping", "新华")
#: Common simplified characters for generated road names (a serial → two of them).
_SYLLABLES = "安宁平和兴旺福泰康乐华新光明长春永丰顺利文化建设胜团结友谊育才"
CODE_LISTS = (
    "henan_cities_nbs.csv",
    "henan_counties_nbs.csv",
    "henan_townships_nbs.csv",
    "henan_villages_nbs.csv",
)


BACKENDS = ("gpkg", "postgis")

#: size → endpoint → (cold ms, warm ms of each round)
Results = dict[str, dict[str, tuple[float, list[float]]]]


class Servers:
    """PostgreSQL databases for the PostGIS column: a throw-away cluster (tests/pg_cluster.py)
    unless ``url`` names a server; :meth:`close` removes what was made."""

    def __init__(self, url: str | None) -> None:
        self.url, self.cluster, self.made = url, None, []

    def new_database(self, name: str) -> str:
        import psycopg

        if self.url is None and self.cluster is None:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.pg_cluster import Cluster

            self.cluster = Cluster.start()
        if self.cluster is not None:
            dsn = self.cluster.new_database(name)
        else:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            dsn = self.url.rsplit("/", 1)[0] + f"/{name}"
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        self.made.append(name)
        return dsn

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        elif self.url is not None:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                for name in self.made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def to_postgis(gpkg_url: str, servers: Servers, name: str) -> str:
    """A PostGIS copy of the GeoPackage store at ``gpkg_url`` (checked by checksums)."""
    from geociv.transfer import copy_store

    started = time.perf_counter()
    dsn = servers.new_database(f"bench_{name.lower()}")
    copy_store(gpkg_url, dsn, actor="bench")
    print(f"copied {name} to PostGIS in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return dsn


def build(folder: Path, name: str, shared: Path | None) -> str:
    """A demo store (plus Henan's divisions and names when ``shared``); returns its URL."""
    started = time.perf_counter()
    store = open_store(folder / f"{name}.gpkg")
    load_demo(store)
    if shared is not None:
        codes = folder / "henan_codes.csv"
        with open(codes, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["code", "name"])
            for file in CODE_LISTS:
                with open(shared / "admin-codes" / file, encoding="utf-8") as f:
                    writer.writerows((r["code"], r["name"]) for r in csv.DictReader(f))
        Divisions(store).load_code_list(codes, actor="system")
        Gazetteer(store).load_division_names("410000", actor="system")
    users = Users(store)
    users.add("officer1", PASSWORD, role="officer", division_code="411702", actor="bench")
    counts = store.count_divisions()
    url = store.url
    store.close()
    took = time.perf_counter() - started
    print(f"built {name}: {sum(counts.values()):,} divisions in {took:.0f} s", file=sys.stderr)
    return url


def requests(client, serial: list[int]) -> dict[str, Callable[[int], object]]:
    """The request mix: endpoint → a call taking the round number."""

    def search(i: int) -> object:
        q = urllib.parse.quote(QUERIES[i % len(QUERIES)])
        return client.get(f"/api/names/search?q={q}")

    def write(i: int) -> object:
        serial[0] += 1
        a, b = divmod(serial[0], len(_SYLLABLES))
        name = "试" + _SYLLABLES[a % len(_SYLLABLES)] + _SYLLABLES[b]
        return client.post("/api/names", json={"name": name + "路", "category": "road",
                                               "division_code": "411702",
                                               "accept": {"N2-SIMILAR": "bench"}})  # fmt: skip

    return {
        "search API": search,
        "home page": lambda i: client.get("/"),
        "boundary page": lambda i: client.get("/boundaries/"),
        "coverage page": lambda i: client.get("/coverage/"),
        "write (name)": write,
    }


def client_for(url: str):
    """A logged-in test client of the app on the store at ``url``, warmed up as ``geociv
    serve`` does (the time that takes is printed)."""
    from web import create_app
    from web.caching import warm_up

    app = create_app({"GEOCIV_STORE": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    started = time.perf_counter()
    warm_up(app)
    print(f"start-up cache build: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    client = app.test_client()
    client.post("/login", data={"username": "officer1", "password": PASSWORD})
    return client


def timed(call: Callable[[int], object], i: int, endpoint: str) -> float:
    """Milliseconds one request takes (an error answer stops the benchmark)."""
    started = time.perf_counter()
    answer = call(i)
    took = (time.perf_counter() - started) * 1000
    if answer.status_code >= 400:  # type: ignore[attr-defined]
        body = answer.get_data(as_text=True)[:300]  # type: ignore[attr-defined]
        raise SystemExit(f"{endpoint}: HTTP {answer.status_code}: {body}")  # type: ignore[attr-defined]
    return took


def measure(urls: dict[str, str], rounds: int) -> Results:
    """Cold time and warm times (ms) per endpoint and store size. The sizes take turns request
    by request (which one goes first alternates), so a drift of the machine (frequency, other
    load) weighs on both alike instead of on whichever was measured later."""
    calls = {size: requests(client_for(url), [0]) for size, url in urls.items()}
    sizes = list(urls)
    out: Results = {size: {} for size in sizes}
    for endpoint in calls[sizes[0]]:
        cold = {size: timed(calls[size][endpoint], 0, endpoint) for size in sizes}
        warm: dict[str, list[float]] = {size: [] for size in sizes}
        for i in range(1, rounds + 1):
            for size in sizes if i % 2 else reversed(sizes):
                warm[size].append(timed(calls[size][endpoint], i, endpoint))
        for size in sizes:
            out[size][endpoint] = (cold[size], warm[size])
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def report(backend: str, results: Results) -> None:
    print(f"\nbackend {backend}; times in ms; cold = first request after the start-up build, "
          "warm = the following rounds")  # fmt: skip
    head = f"{'endpoint':<15}"
    for size in results:
        head += f" | {size + ' cold':>12} {'p50':>7} {'p95':>7}"
    head += " | Henan/demo p50   p95"
    print(head)
    print("-" * len(head))
    demo, henan = results.get("demo"), results.get("Henan")
    for endpoint in next(iter(results.values())):
        line = f"{endpoint:<15}"
        for by_endpoint in results.values():
            cold, warm = by_endpoint[endpoint]
            line += f" | {cold:12.1f} {statistics.median(warm):7.1f} {p95(warm):7.1f}"
        if demo and henan:
            d, h = demo[endpoint][1], henan[endpoint][1]
            line += f" | {statistics.median(h) / statistics.median(d):13.2f} {p95(h) / p95(d):5.2f}"
        print(line)


def run(
    backends: tuple[str, ...], shared: Path, servers: Servers, rounds: int
) -> dict[str, Results]:
    """Build both sizes once as GeoPackages, copy them to PostGIS if asked, measure each."""
    by_backend: dict[str, Results] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gpkg = {"demo": build(folder, "demo", None), "Henan": build(folder, "henan", shared)}
        stores = {"gpkg": gpkg}
        if "postgis" in backends:  # copied before any measurement writes to the GeoPackages
            stores["postgis"] = {size: to_postgis(url, servers, size) for size, url in gpkg.items()}
        for backend in backends:
            by_backend[backend] = measure(stores[backend], rounds)
    return by_backend


def compare(by_backend: dict[str, Results]) -> None:
    """The ratio PostGIS / GeoPackage of the warm p50 and p95, per endpoint and size."""
    gpkg, pg = by_backend["gpkg"], by_backend["postgis"]
    print("\nPostGIS / GeoPackage (warm)")
    head = f"{'endpoint':<15}" + "".join(f" | {size + ' p50':>10} {'p95':>6}" for size in gpkg)
    print(head)
    print("-" * len(head))
    for endpoint in next(iter(gpkg.values())):
        line = f"{endpoint:<15}"
        for size in gpkg:
            g, p = gpkg[size][endpoint][1], pg[size][endpoint][1]
            line += f" | {statistics.median(p) / statistics.median(g):10.2f} {p95(p) / p95(g):6.2f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", default=None, help="shared data folder")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL server to use instead of "
                        "a throw-away cluster (a database URL whose role may CREATE DATABASE)")
    args = parser.parse_args()
    shared = shared_data(args.shared, *(f"admin-codes/{f}" for f in CODE_LISTS))
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    servers = Servers(args.pg_url)
    try:
        by_backend = run(backends, shared, servers, args.rounds)
    finally:
        servers.close()
    for backend, results in by_backend.items():
        report(backend, results)
    if len(by_backend) == 2:
        compare(by_backend)


if __name__ == "__main__":
    main()
