#!/usr/bin/env python
"""Load: signed-in clients against Tengja served as README's "Running at scale"
says (nginx in front, deploy/nginx/), on PostgreSQL and Redis, driven by wrk.

nginx (a configuration rendered from the shipped one, on loopback ports, run as
an ordinary process with its own pid, logs and temporary files) sends /ws/ to
uvicorn and HTTP to the stock server under test, each `--servers` in turn:

- gunicorn: `tengja.wsgi` in its sync workers (tengja.lib.server), and one
  uvicorn process for /ws/;
- uvicorn: `tengja.asgi` (Django's own ASGI handler) for HTTP and /ws/ alike.

Each with `--workers` processes (2), the same data and the same signed-in
sessions, and these runs of `--duration` seconds each:

- ceiling: `/health/` alone at `--clients` connections: what the server, the
  session and the user lookup cost with no page behind them;
- fortunes: TechEmpower's "fortunes" (one query of 10 rows, a small template;
  the benchmark's own view, bench_urls.py) at `--clients` connections: the
  yardstick for what a page costs in this server;
- floor: the terms page, signed in (the session, the user, the header and the
  layout around a static text), at `--clients` connections: what any signed-in
  page costs before it shows anything of its own;
- mix: Home, calendar, Payments and notifications at `--clients` connections,
  with its throughput as a ratio to the ceiling;
- people: for each of `--people` (2,000; `--people 2000,4000` adds 4,000),
  that many simulated people, each signed in as a different client, making one
  request every `--think` seconds (10, with 10 % jitter; the first spread over
  the first interval), going through the mix's pages in turn, so about people /
  think requests a second at a steady pace. Each person's first visit to each
  page is their first: a cold request.

Prints requests/s, p50/p95/p99, errors (which must be 0), the CPU time per
request of the servers (and, apart, of nginx and PostgreSQL), and the servers'
CPU per request of the mix and of the people as a multiple of the fortunes'.

    .venv/bin/python scripts/bench_load.py [--duration 60] [--clients 200]
        [--servers gunicorn,uvicorn] [--workers 2] [--people 2000[,4000]] [--think 10]
        [--database-url postgres://postgres@127.0.0.1:5432/tengja_load]
        [--redis-url redis://127.0.0.1:6379/5]

Needs wrk and nginx (Debian: apt-get install wrk nginx) and, for gunicorn, the
packages of requirements.lock. The database and the Redis database are scratch
ones: the database is created if missing and filled with test data, and its
sessions are replaced on every run.
"""

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from importlib import import_module
from pathlib import Path

from support import ROOT, free_port, production_env

from tengja.lib.server import gunicorn_command, nginx_config, uvicorn_command

SCRIPTS = Path(__file__).resolve().parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PATHS = ["/", "/calendar/", "/payments/", "/notifications/"]
FORTUNES = "/bench/fortunes/"
# The cheapest signed-in page: the session, the user, the header's one statement
# and the site's layout around a static text. No page can cost less.
FLOOR = "/accounts/terms/"

LUA = r"""
local cookies = {COOKIES}
local paths = {PATHS}
local think_ms = {THINK_MS}
local per_thread = {PER_THREAD}

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local counter, delays = 0, 0
non_200 = 0  -- a global: done() reads it from each thread
function init(args)
  math.randomseed(os.time() + id)
end

request = function()
  -- Each thread has its own clients (as many as its connections) and serves
  -- them in turn, so a client comes back once all the others have had a
  -- request: with think time, one request per person every `think` seconds.
  -- A client's requests go through the pages in turn.
  local client = id * per_thread + (counter % per_thread)
  local path = paths[(math.floor(counter / per_thread) % #paths) + 1]
  counter = counter + 1
  return wrk.format("GET", path, {["Cookie"] = "sessionid=" .. cookies[(client % #cookies) + 1]})
end

if think_ms > 0 then
  -- wrk asks before each request on a connection (the first included).
  delay = function()
    delays = delays + 1
    if delays <= per_thread then
      return math.random(0, think_ms)
    end
    return math.random(math.floor(think_ms * 0.9), math.floor(think_ms * 1.1))
  end
end

response = function(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end

done = function(summary, latency, requests)
  local other = 0
  for _, thread in ipairs(threads) do other = other + thread:get("non_200") end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50": %d, "p95": %d, "p99": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "non_200": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.timeout, other))
end
"""


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def raise_open_files(needed: int) -> None:
    """wrk holds a socket per connection and the server one per client: the default
    limit (often 1,024) is below 2,000 people. Children inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            sys.exit(f"{needed} open files are needed and the hard limit is {hard}: ulimit -Hn")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def make_data(count: int) -> list:
    """`count` clients, each with a session booked, created in bulk once and reused."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from tengja.accounts.models import User
    from tengja.bookings.models import Booking
    from tengja.professionals.models import Professional, SessionType

    pro_user, _ = User.objects.get_or_create(email="pro@load.test", defaults={"name": "Load Pro"})
    pro, _ = Professional.objects.get_or_create(user=pro_user, defaults={"title": "Psychologist"})
    kind, _ = SessionType.objects.get_or_create(
        professional=pro,
        name="Session",
        defaults={"duration_minutes": 50, "price_amount": 1, "currency": "ISK"},
    )
    emails = [f"c{n}@load.test" for n in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        User(email=email, name=f"Client {email[1:].split('@')[0]}", password=make_password(None))
        for email in emails
        if email not in existing
    )
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    booked = set(Booking.objects.filter(professional=pro).values_list("client_id", flat=True))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    last = Booking.objects.filter(professional=pro).order_by("-starts_at").first()
    first_free = max(now, last.ends_at) if last else now
    start = first_free + timedelta(days=1)
    bookings = []
    for email in emails:
        user = users[email]
        if user.pk in booked:
            continue
        bookings.append(
            Booking(
                professional=pro,
                client=user,
                session_type=kind,
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                price_amount=1,
                currency="ISK",
            )
        )
        start += timedelta(hours=1)
    Booking.objects.bulk_create(bookings)
    return [users[email] for email in emails]


def sign_in(users: list) -> list[str]:
    """A session for each user, in the session engine the settings choose, written in
    bulk (a database row and/or a cache entry, as that engine would keep it)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.core.cache import caches
    from django.utils.crypto import get_random_string

    # As the sign-in view stores it: the backend that checks the user on each request.
    backend = settings.AUTHENTICATION_BACKENDS[-1]
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    stores = []
    for user in users:
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store._session_key = get_random_string(32, VALID_KEY_CHARS)
        stores.append(store)
    if hasattr(store_class, "create_model_instance"):  # db and cached_db
        model = store_class.get_model_class()
        model.objects.all().delete()  # a scratch database: last run's sessions go
        model.objects.bulk_create(s.create_model_instance(s._get_session()) for s in stores)
    if hasattr(store_class, "cache_key_prefix"):  # cache and cached_db
        cache = caches[settings.SESSION_CACHE_ALIAS]
        cache.set_many({s.cache_key: s._get_session() for s in stores}, settings.SESSION_COOKIE_AGE)
    return [s.session_key for s in stores]


def cpu_seconds(roots: list[int]) -> dict[int, float]:
    """CPU time (user + system) of each process in the trees rooted at `roots`."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    pids, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in table and pid not in pids:
            pids.add(pid)
            todo += [child for child, (parent, _) in table.items() if parent == pid]
    return {pid: table[pid][1] for pid in pids}


def database_pids(url: str) -> list[int]:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return [pid for (pid,) in rows]


def used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0) for pid, cpu in after.items())


def settle(stack: dict, most: float = 120) -> None:
    """Wait until the servers are idle: requests queued by the last run (whose
    clients wrk has closed) are still worked through, and would be the next
    run's first seconds."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        before = cpu_seconds(stack["servers"])
        time.sleep(1)
        if used(before, cpu_seconds(stack["servers"])) < 0.05:
            return


def run_wrk(base: str, script: Path, connections: int, seconds: int, stack: dict) -> dict:
    settle(stack)
    groups = {
        "server": lambda: stack["servers"],
        "nginx": lambda: [stack["nginx"]],
        "database": lambda: database_pids(stack["database_url"]),
    }
    before = {name: cpu_seconds(pids()) for name, pids in groups.items()}
    load = os.getloadavg()[0]
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
    )
    if "RESULT " not in out.stdout:
        sys.exit(f"wrk failed: {out.stderr or out.stdout}")
    result = json.loads(out.stdout.split("RESULT ", 1)[1].splitlines()[0])
    result["rate"] = result["requests"] / result["seconds"]
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout", "non_200"))
    requests = max(result["requests"], 1)
    for name, pids in groups.items():
        result[f"{name}_ms"] = used(before[name], cpu_seconds(pids())) * 1000 / requests
    result["load"] = load
    print(
        f"  {script.stem}, {connections} connections: {result['rate']:.0f} requests/s, "
        f"p95 {result['p95'] / 1000:.0f} ms, errors {result['errors']}, "
        f"server CPU {result['server_ms']:.1f} ms/request",
        file=sys.stderr,
    )
    return result


def lua(path: Path, cookies: list[str], paths: list[str], think_ms: int, connections: int) -> Path:
    def table(items: list[str]) -> str:
        return "{" + ",".join(f'"{item}"' for item in items) + "}"

    path.write_text(
        LUA.replace("{COOKIES}", table(cookies))
        .replace("{PATHS}", table(paths))
        .replace("{THINK_MS}", str(think_ms))
        .replace("{PER_THREAD}", str(connections // 2))
    )
    return path


def check_pages(base: str, cookie: str) -> None:
    """Every page answers 200 to a signed-in client (not a redirect to sign in)."""
    conn = http.client.HTTPConnection(*base.removeprefix("http://").split(":"))
    for path in ["/health/", FORTUNES, FLOOR, *PATHS]:
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"{path} answered {response.status} to a signed-in client")
    conn.close()


def wait_for_port(port: int, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 30
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            raise RuntimeError("a server did not start (see the log)")
        time.sleep(0.1)


@contextlib.contextmanager
def served(kind: str, workers: int, env: dict, workdir: Path, log: Path) -> Iterator[dict]:
    """nginx in front of `kind` (gunicorn or uvicorn) for HTTP and of uvicorn for
    /ws/, as README's "Running at scale"; yields nginx's URL and the processes."""
    http_port, nginx_port = free_port(), free_port()
    if kind == "gunicorn":
        ws_port = free_port()
        commands = [
            (gunicorn_command(host="127.0.0.1", port=http_port, workers=workers), http_port),
            (uvicorn_command(host="127.0.0.1", port=ws_port, workers=1), ws_port),
        ]
    else:  # Django's ASGI handler for HTTP: the same uvicorn serves /ws/
        ws_port = http_port
        commands = [(uvicorn_command(host="127.0.0.1", port=http_port, workers=workers), http_port)]
    conf = workdir / f"nginx-{kind}.conf"
    conf.write_text(
        nginx_config(workdir=workdir, listen_port=nginx_port, http_port=http_port, ws_port=ws_port)
    )
    processes: list[subprocess.Popen] = []
    with log.open("ab") as output:
        try:
            for command, port in commands:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=output,
                        stderr=output,
                        start_new_session=True,  # its own group: its workers stop with it
                    )
                )
                wait_for_port(port, processes)
            nginx = subprocess.Popen(
                [NGINX, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
            processes.append(nginx)
            wait_for_port(nginx_port, processes)
            yield {
                "base": f"http://127.0.0.1:{nginx_port}",
                "servers": [p.pid for p in processes[:-1]],
                "nginx": nginx.pid,
            }
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    # Requests still queued after a load test: stop the workers too.
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--clients", type=int, default=200, help="connections, no think time")
    parser.add_argument(
        "--servers", default="gunicorn,uvicorn", help="HTTP servers behind nginx, in turn"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes of the HTTP server")
    parser.add_argument(
        "--people", default="2000", help="people with think time, e.g. 2000 or 2000,4000"
    )
    parser.add_argument("--think", type=float, default=10, help="seconds between their requests")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tengja_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    servers = args.servers.split(",")
    crowds = [int(n) for n in args.people.split(",")]
    for tool in ("wrk", NGINX):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install wrk nginx")
    if "gunicorn" in servers and importlib.util.find_spec("gunicorn") is None:
        sys.exit("gunicorn is missing: pip install -r requirements.lock")
    raise_open_files(max(crowds) + args.clients + 1024)
    ensure_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="tengja-load-"))
    env = {
        **production_env(workdir, args.database_url, args.redis_url),
        # Its URLs and the fortunes view (bench_settings.py, bench_urls.py).
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        # nginx on this machine is the proxy whose X-Forwarded-For is believed.
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    os.environ.update(env)
    server_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SCRIPTS), os.environ.get("PYTHONPATH")])),
    }
    import django

    django.setup()
    import bench_urls
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    bench_urls.create_table()
    users = make_data(max(args.clients, *crowds))
    cookies = sign_in(users)
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum would after the bulk load (this machine's PostgreSQL runs
        # without it): with no statistics, the planner read every confirmed
        # session of the professional to find one client's (the Home's
        # connections, 2 ms instead of 0.1).
        cursor.execute("VACUUM ANALYZE")
    mix = lua(workdir / "mix.lua", cookies[: args.clients], PATHS, 0, args.clients)
    ceiling = lua(workdir / "health.lua", cookies[: args.clients], ["/health/"], 0, args.clients)
    fortunes = lua(workdir / "fortunes.lua", [""], [FORTUNES], 0, args.clients)
    floor = lua(workdir / "floor.lua", cookies[: args.clients], [FLOOR], 0, args.clients)
    think_ms = int(args.think * 1000)
    people = {n: lua(workdir / f"people{n}.lua", cookies[:n], PATHS, think_ms, n) for n in crowds}

    results = {}
    for kind in servers:
        cache.clear()  # the scratch Redis database: each server starts with nothing
        with served(kind, args.workers, server_env, workdir, workdir / "server.log") as stack:
            stack["database_url"] = args.database_url
            base = stack["base"]
            check_pages(base, cookies[0])
            time.sleep(1)  # the other workers finish starting
            # Warm up: every worker's pool, compiled templates, nginx's connections.
            run_wrk(base, mix, args.clients, 5, stack)
            results[kind] = {
                "ceiling": run_wrk(base, ceiling, args.clients, args.duration, stack),
                "fortunes": run_wrk(base, fortunes, args.clients, args.duration, stack),
                "floor": run_wrk(base, floor, args.clients, args.duration, stack),
                "mix": run_wrk(base, mix, args.clients, args.duration, stack),
            }
            for n, script in people.items():
                results[kind][f"people{n}"] = run_wrk(base, script, n, args.duration, stack)

    def ms(us: int) -> str:
        return f"{us / 1000:.0f}"

    def answered(cell):
        """A cell's figure, or a dash when no request was answered."""
        return lambda r, all: cell(r, all) if r["requests"] else "-"

    def errors(r: dict) -> str:
        if not r["errors"]:
            return "0"
        kinds = ("connect", "read", "write", "timeout", "non_200")
        return f"{r['errors']} (" + ", ".join(f"{k} {r[k]}" for k in kinds if r[k]) + ")"

    rows: list[tuple[str, ...]] = [
        (
            "",
            *(
                f"{kind}, {args.workers} worker{'s' if args.workers > 1 else ''}"
                for kind in servers
            ),
        ),
    ]

    def section(title: str, run: str, lines: list[tuple[str, object]]) -> None:
        rows.append((title, *("" for _ in servers)))
        for label, cell in lines:
            rows.append((f"  {label}", *(cell(results[k][run], results[k]) for k in servers)))

    common = [
        ("requests/s", lambda r, _: f"{r['rate']:.0f}"),
        (
            "p50 / p95 / p99 ms",
            answered(lambda r, _: f"{ms(r['p50'])} / {ms(r['p95'])} / {ms(r['p99'])}"),
        ),
        ("errors", lambda r, _: errors(r)),
        (
            "CPU ms/request: server, nginx, PostgreSQL",
            answered(
                lambda r, _: f"{r['server_ms']:.1f}, {r['nginx_ms']:.1f}, {r['database_ms']:.1f}"
            ),
        ),
        ("load average at start", lambda r, _: f"{r['load']:.1f}"),
    ]
    to_fortunes = (
        "server CPU / fortunes'",
        answered(lambda r, all: f"{r['server_ms'] / all['fortunes']['server_ms']:.1f}x"),
    )
    section(f"/health/ (the ceiling), {args.clients} connections", "ceiling", common)
    section(f"fortunes ({FORTUNES}), {args.clients} connections", "fortunes", common)
    section(
        f"signed-in floor ({FLOOR}), {args.clients} connections", "floor", [*common, to_fortunes]
    )
    section(
        f"page mix ({', '.join(PATHS)}), {args.clients} connections",
        "mix",
        [
            common[0],
            ("ratio to the ceiling", lambda r, all: f"{r['rate'] / all['ceiling']['rate']:.2f}"),
            *common[1:],
            to_fortunes,
        ],
    )
    for n in crowds:
        section(
            f"{n:,} people, one request every {args.think:g} s (expected {n / args.think:.0f}/s)",
            f"people{n}",
            [*common, to_fortunes],
        )
    print(
        f"Load: {args.duration} s per run; nginx in front; PostgreSQL + Redis; "
        f"{os.cpu_count()} CPUs; session engine {settings.SESSION_ENGINE.rsplit('.', 1)[1]}"
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if any(r["errors"] for runs in results.values() for r in runs.values()):
        sys.exit(f"FAILED: there were errors (the servers' log: {workdir / 'server.log'})")


if __name__ == "__main__":
    main()
