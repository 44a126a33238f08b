"""`silkgate bench http`: a whole zone online at once, against the real server.

For each backend the bench builds a fresh database with the demo zone, starts `silkgate serve` with
1 and 2 worker processes, and for 1, 8, 32 and 128 concurrent clients runs a realistic mix for a
fixed time:

- officials' page views (`/`, `/declarations`, `/stats`), logged in through the login form;
- enterprises' and the zone office's API reads (declarations, receipts, enterprises, statistics,
  alerts, credit, `/me`) with API keys;
- declarations POSTed by 8 senders at once (order, payment, waybill and list of new retail imports,
  each by the enterprise the standard names as its declarant);
- logins (Argon2id, the costliest request there is).

It prints requests/s, p50/p95/p99 latency, the server's own time for a small read (the
`Server-Timing` header the server sets), errors, and the ratio to one client (and of 2 workers to 1)
measured in the same run. The load generator is httpx on asyncio in this process; the server runs in
its own processes, so the two compete for the same cores, as they would on one box.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from silkgate.clitools import err_console

DEMO_PASSWORD = "silkgate-demo"
OFFICIALS = ("zone_admin", "customs", "commerce")
READ_USERS = ("seller1", "platform1", "logistics1")
PAGES = ("/", "/declarations", "/stats")
WRITERS = 8
# A realistic share of each kind of request (logins are rare: a session lasts a working day).
MIX = (("page", 0.35), ("api_read", 0.45), ("declare", 0.19), ("login", 0.01))
EXPECTED = {"page": {200}, "api_read": {200}, "declare": {200}, "login": {303}}
REQUEST_TIMEOUT = 30.0


@dataclass
class Fixture:
    """What the clients need: API keys, officials' logins and the messages to declare."""

    zone_key: str
    enterprise_keys: list[tuple[str, int]]  # (key, enterprise id)
    queues: list[list[tuple[str, bytes]]]  # per writer: (sender's key, message)


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    server_ms: float | None


@dataclass
class LevelResult:
    backend: str
    workers: int
    clients: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        lat = sorted(s.seconds for s in self.samples)
        reads = sorted(s.seconds for s in self.samples if s.kind in ("page", "api_read"))
        small = sorted(s.server_ms for s in self.samples if s.kind == "api_read" and s.server_ms is not None)
        errors = Counter(s.kind for s in self.samples if s.status not in EXPECTED[s.kind])
        server_errors = sum(1 for s in self.samples if s.status >= 500 or s.status == 0)
        return {
            "backend": self.backend,
            "workers": self.workers,
            "clients": self.clients,
            "requests": len(self.samples),
            "req_per_s": round(len(self.samples) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": _ms(_pct(lat, 50)),
            "p95_ms": _ms(_pct(lat, 95)),
            "p99_ms": _ms(_pct(lat, 99)),
            "read_p99_ms": _ms(_pct(reads, 99)),
            "api_read_server_p50_ms": round(_pct(small, 50), 2) if small else None,
            "by_kind": {
                kind: {
                    "requests": sum(1 for s in self.samples if s.kind == kind),
                    "p50_ms": _ms(_pct(sorted(s.seconds for s in self.samples if s.kind == kind), 50)),
                    "p99_ms": _ms(_pct(sorted(s.seconds for s in self.samples if s.kind == kind), 99)),
                }
                for kind, _ in MIX
            },
            "errors": sum(errors.values()),
            "server_errors": server_errors,
            "errors_by_kind": dict(errors),
        }


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[index]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# ---------------------------------------------------------------- the database and the server


def _fresh_database(backend: str, pg_admin_url: str) -> tuple[str, Any]:
    """A new empty database; returns its URL and a function that drops it."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="silkgate-httpbench-"))
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    from sqlalchemy import create_engine, text

    from silkgate.db import normalise_url

    admin_url = normalise_url(pg_admin_url)
    name = f"silkgate_httpbench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def prepare(url: str, transactions: int) -> Fixture:
    """Migrate, load the demo zone, add a trade for the writers, and make the API keys."""
    from sqlalchemy import select

    from silkgate.auth.service import create_api_key
    from silkgate.db import make_engine, session_factory
    from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
    from silkgate.declarations.trading import new_trade, register_buyers, stock_in_bonded
    from silkgate.demo import DEFAULT_ZONE, load_demo
    from silkgate.migrate import upgrade
    from silkgate.models.org import Organisation, User
    from silkgate.models.registry import Enterprise
    from silkgate.registry.bootstrap import ensure_reference_data

    upgrade("head", url)
    engine = make_engine(url)
    zone = DEFAULT_ZONE
    with session_factory(engine)() as session:
        ensure_reference_data(session)
        load_demo(session, zone)
        session.commit()
        rng = random.Random(20261208)
        setup = new_trade(session, zone, rng, city="运城压测", sellers=WRITERS)
        stock_in_bonded(session, setup, zone, quantity=Decimal(10**9))
        factory = TransactionFactory(
            rng,
            setup.parties,
            buyers=max(50, transactions // 3),
            fault_rate=0.0,
            start=dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=6),
        )
        txs = [factory.make() for _ in range(transactions)]
        register_buyers(session, txs)
        keys: dict[str, str] = {}

        def key_for_code(code: str) -> str:
            if code not in keys:
                keys[code] = create_api_key(session, setup.enterprises[code].org_id, "bench http")
            return keys[code]

        queues: list[list[tuple[str, bytes]]] = [[] for _ in range(WRITERS)]
        senders = {"order": "platform", "payment": "payment", "waybill": "logistics", "inventory": "agent"}
        for n, tx in enumerate(txs):
            for kind, data in transaction_messages(tx).items():
                sender = getattr(tx, senders[kind])
                queues[n % WRITERS].append((key_for_code(sender.code), data))
        office = session.scalar(
            select(Organisation.id).where(Organisation.kind == "zone_office", Organisation.zone_code == zone)
        )
        assert office is not None, "the demo has no zone office"
        zone_key = create_api_key(session, office, "bench http")
        readers: list[tuple[str, int]] = []
        for username in READ_USERS:
            row = session.execute(
                select(User.org_id, Enterprise.id)
                .join(Enterprise, Enterprise.org_id == User.org_id)
                .where(User.username == username)
            ).first()
            if row is not None:
                readers.append((create_api_key(session, row[0], "bench http"), row[1]))
        session.commit()
    engine.dispose()
    return Fixture(zone_key=zone_key, enterprise_keys=readers, queues=queues)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(url: str, workers: int) -> Iterator[str]:
    """`silkgate serve` in its own process group, until the block ends."""
    port = _free_port()
    env = {
        **os.environ,
        "SILKGATE_DATABASE_URL": url,
        "SILKGATE_SECRET_KEY": secrets.token_hex(32),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "silkgate",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 120 s")
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------- the clients


async def _login(client: httpx.AsyncClient, username: str) -> int:
    page = await client.get("/login")
    token = _csrf_from(page.text)
    data = {"username": username, "password": DEMO_PASSWORD, "next": "/"}
    if token:
        data["csrf_token"] = token
    response = await client.post("/login", data=data)
    return response.status_code


def _csrf_from(html: str) -> str | None:
    marker = 'name="csrf_token" value="'
    start = html.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return html[start : html.find('"', start)]


def _server_ms(response: httpx.Response) -> float | None:
    timing = response.headers.get("server-timing", "")
    for part in timing.split(","):
        name, _, rest = part.strip().partition(";")
        if name == "app" and rest.startswith("dur="):
            with contextlib.suppress(ValueError):
                return float(rest[4:])
    return None


async def _client_loop(
    n: int, base: str, fixture: Fixture, deadline: float, cursors: list[int], out: list[Sample]
) -> None:
    rng = random.Random(n)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    async with (
        httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, follow_redirects=False) as web,
        httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as api,
    ):
        official = OFFICIALS[n % len(OFFICIALS)]
        await _login(web, official)
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                if kind == "page":
                    response = await web.get(rng.choice(PAGES))
                elif kind == "api_read":
                    response = await _api_read(api, fixture, rng)
                elif kind == "declare":
                    queue = fixture.queues[n % WRITERS]
                    index = cursors[n % WRITERS]
                    if index >= len(queue):
                        continue
                    cursors[n % WRITERS] = index + 1
                    key, data = queue[index]
                    response = await api.post(
                        "/api/v1/messages",
                        content=data,
                        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"},
                    )
                else:
                    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as fresh:
                        status = await _login(fresh, official)
                    out.append(Sample(kind, status, time.perf_counter() - started, None))
                    continue
            except httpx.HTTPError:
                out.append(Sample(kind, 0, time.perf_counter() - started, None))
                continue
            out.append(
                Sample(kind, response.status_code, time.perf_counter() - started, _server_ms(response))
            )


async def _api_read(api: httpx.AsyncClient, fixture: Fixture, rng: random.Random) -> httpx.Response:
    if rng.random() < 0.3 or not fixture.enterprise_keys:
        key = fixture.zone_key
        path = rng.choice(
            (
                "/api/v1/declarations?limit=20",
                "/api/v1/enterprises?limit=20",
                "/api/v1/stats/summary",
                "/api/v1/risk/alerts",
                "/api/v1/me",
            )
        )
    else:
        key, enterprise_id = rng.choice(fixture.enterprise_keys)
        path = rng.choice(
            (
                "/api/v1/declarations?limit=20",
                "/api/v1/receipts?limit=20",
                f"/api/v1/credit/records/{enterprise_id}",
                "/api/v1/stats/summary",
                "/api/v1/me",
            )
        )
    return await api.get(path, headers={"Authorization": f"Bearer {key}"})


async def run_level(
    base: str, fixture: Fixture, clients: int, seconds: float, cursors: list[int]
) -> list[Sample]:
    out: list[Sample] = []
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_client_loop(n, base, fixture, deadline, cursors, out) for n in range(clients)))
    return out


# ---------------------------------------------------------------- the command


def _ints(text: str, name: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(v < 1 or v > 1024 for v in values):
        err_console.print(f"[red]错误[/red] {name} 应为逗号分隔的正整数，例如 1,8,32,128")
        raise typer.Exit(2)
    return values


def bench_http(
    backends: Annotated[
        str, typer.Option(help="sqlite, postgresql or both (comma-separated).")
    ] = "sqlite,postgresql",
    clients: Annotated[str, typer.Option(help="Concurrent clients per level.")] = "1,8,32,128",
    workers: Annotated[str, typer.Option(help="Server processes to try.")] = "1,2",
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Duration of each level.")] = 10.0,
    pg_url: Annotated[
        str, typer.Option(help="A PostgreSQL server to create the bench database on.")
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    as_json: Annotated[bool, typer.Option("--json", help="Print all figures as one JSON object.")] = False,
) -> None:
    """Serve a fresh demo zone and load it with a realistic mix of concurrent clients."""
    levels = _ints(clients, "--clients")
    worker_counts = _ints(workers, "--workers")
    chosen = [b.strip() for b in backends.split(",") if b.strip()]
    if not chosen or any(b not in ("sqlite", "postgresql") for b in chosen):
        err_console.print("[red]错误[/red] --backends 应为 sqlite、postgresql 或两者")
        raise typer.Exit(2)
    results: list[dict[str, Any]] = []
    # enough messages that the writers never run dry: ~60 declarations/s per level at most
    transactions = max(200, int(sum(levels) and len(levels) * len(worker_counts) * seconds * 60 / 4))
    for backend in chosen:
        url, drop = _fresh_database(backend, pg_url)
        try:
            err_console.print(f"[bold]{backend}[/bold]：建库并加载演示综试区（{transactions}笔压测交易）…")
            fixture = prepare(url, transactions)
            cursors = [0] * WRITERS
            for w in worker_counts:
                with served(url, w) as base:
                    asyncio.run(run_level(base, fixture, 2, 2.0, cursors))  # warm-up, not counted
                    for c in levels:
                        started = time.perf_counter()
                        samples = asyncio.run(run_level(base, fixture, c, seconds, cursors))
                        level = LevelResult(backend, w, c, time.perf_counter() - started, samples)
                        figures = level.figures()
                        results.append(figures)
                        if not as_json:
                            _print_level(figures)
        finally:
            drop()
    _add_ratios(results)
    if as_json:
        print(json.dumps({"levels": results}, ensure_ascii=False, indent=1))
    else:
        _print_summary(results)


def _add_ratios(results: list[dict[str, Any]]) -> None:
    base: dict[tuple[str, int], float] = {}
    by_key: dict[tuple[str, int, int], float] = {}
    for r in results:
        by_key[(r["backend"], r["workers"], r["clients"])] = r["req_per_s"]
        if r["clients"] == 1:
            base[(r["backend"], r["workers"])] = r["req_per_s"]
    for r in results:
        one = base.get((r["backend"], r["workers"]))
        r["ratio_to_one_client"] = round(r["req_per_s"] / one, 2) if one else None
        single = base.get((r["backend"], 1))
        r["ratio_to_one_client_one_worker"] = round(r["req_per_s"] / single, 2) if single else None
        same_one_worker = by_key.get((r["backend"], 1, r["clients"]))
        r["ratio_to_one_worker"] = round(r["req_per_s"] / same_one_worker, 2) if same_one_worker else None


def _print_level(r: dict[str, Any]) -> None:
    err_console.print(
        f"{r['backend']:<10} workers={r['workers']} clients={r['clients']:<4} "
        f"{r['req_per_s']:>7.1f} req/s  p50 {r['p50_ms']:>7.1f} ms  p95 {r['p95_ms']:>7.1f} ms  "
        f"p99 {r['p99_ms']:>7.1f} ms  reads p99 {r['read_p99_ms']:>7.1f} ms  "
        f"server p50 (API read) {r['api_read_server_p50_ms']} ms  errors {r['errors']}",
        markup=False,
    )


def _print_summary(results: list[dict[str, Any]]) -> None:
    print(
        "| backend | workers | clients | requests | req/s | ratio to 1 client | ratio to 1 worker | "
        "p50 ms | p95 ms | p99 ms | reads p99 ms | server ms (API read p50) | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']} | {r['workers']} | {r['clients']} | {r['requests']} | {r['req_per_s']} | "
            f"{r['ratio_to_one_client']} | {r['ratio_to_one_worker']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['p99_ms']} | {r['read_p99_ms']} | {r['api_read_server_p50_ms']} | {r['errors']} |"
        )
    per_kind: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for kind, v in r["by_kind"].items():
            per_kind[kind].append(v["p50_ms"])
    summary = ", ".join(f"{k} p50 median {statistics.median(v):.1f} ms" for k, v in per_kind.items() if v)
    print(f"\n{summary}")
