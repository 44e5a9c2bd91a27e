#!/usr/bin/env python
"""Load: signed-in clients against the production-like set-up (PostgreSQL, Redis,
Tengja's ASGI server started as `manage.py serve` starts it), driven by wrk.

For each number of ASGI worker processes (1 and 2 by default), with the same
data and the same signed-in sessions, three runs of `--duration` seconds each:

- ceiling: `/health/` alone at `--clients` connections: what the server, the
  session and the user lookup cost with no page behind them;
- mix: Home, calendar, Payments and notifications at `--clients` connections,
  with its throughput as a ratio to the ceiling;
- people: `--people` simulated people (2,000), each signed in as a different
  client, making one request every `--think` seconds (10, with 10 % jitter;
  the first spread over the first interval), going through the mix's pages in
  turn, so about people / think requests a second at a steady pace. Nothing
  is kept for them at the start: each person's first visit to each page is
  rendered afresh, as when they all arrive at once (in 60 s, four of six).

Prints requests/s, p50/p95/p99, errors (which must be 0) and the server's CPU
time per request, side by side for each worker count.

    .venv/bin/python scripts/bench_load.py [--duration 60] [--clients 200]
        [--workers 1,2] [--people 2000] [--think 10]
        [--database-url postgres://postgres@127.0.0.1:5432/tengja_load]
        [--redis-url redis://127.0.0.1:6379/5]

Needs wrk (Debian: apt-get install wrk). The database and the Redis database
are scratch ones: the database is created if missing and filled with test
data, and its sessions are replaced on every run.
"""

import argparse
import http.client
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from importlib import import_module
from pathlib import Path

from support import asgi_server, free_port, production_env

PATHS = ["/", "/calendar/", "/payments/", "/notifications/"]

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

    from tengja.accounts.backends import USER_BACKEND

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    stores = []
    for user in users:
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = USER_BACKEND
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


def cpu_seconds(pids: set[int] | None = None, parent: int | None = None) -> dict[int, float]:
    """CPU time (user + system) of the given processes, or of `parent`'s descendants."""
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
    if pids is None:
        pids, todo = set(), [parent]
        while todo:
            ppid = todo.pop()
            children = [pid for pid, (pp, _) in table.items() if pp == ppid]
            pids.update(children)
            todo += children
    return {pid: table[pid][1] for pid in pids if pid in table}


def database_pids(url: str) -> set[int]:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return {pid for (pid,) in rows}


def run_wrk(base: str, script: Path, connections: int, seconds: int, database_url: str) -> dict:
    before = cpu_seconds(parent=os.getpid())
    db_before = cpu_seconds(database_pids(database_url))
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
    out = out.stdout
    after = cpu_seconds(parent=os.getpid())
    db_after = cpu_seconds(database_pids(database_url))
    result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    result["rate"] = result["requests"] / result["seconds"]
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout", "non_200"))
    requests = max(result["requests"], 1)
    server = sum(cpu - before.get(pid, 0) for pid, cpu in after.items())
    database = sum(cpu - db_before.get(pid, 0) for pid, cpu in db_after.items())
    result["server_ms"] = server * 1000 / requests
    result["database_ms"] = database * 1000 / requests
    result["load"] = load
    print(
        f"  {script.stem}, {connections} connections: {result['rate']:.0f} requests/s, "
        f"p95 {result['p95'] / 1000:.0f} ms, errors {result['errors']}",
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
    for path in ["/health/", *PATHS]:
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"{path} answered {response.status} to a signed-in client")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--clients", type=int, default=200, help="connections, no think time")
    parser.add_argument("--workers", default="1,2", help="ASGI worker processes, e.g. 1,2")
    parser.add_argument("--people", type=int, default=2000, help="people with think time")
    parser.add_argument("--think", type=float, default=10, help="seconds between their requests")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tengja_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",")]
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    raise_open_files(args.people + args.clients + 1024)
    ensure_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="tengja-load-"))
    env = production_env(workdir, args.database_url, args.redis_url)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    users = make_data(max(args.clients, args.people))
    cookies = sign_in(users)
    mix = lua(workdir / "mix.lua", cookies[: args.clients], PATHS, 0, args.clients)
    ceiling = lua(workdir / "health.lua", cookies[: args.clients], ["/health/"], 0, args.clients)
    think_ms = int(args.think * 1000)
    people = lua(workdir / "people.lua", cookies[: args.people], PATHS, think_ms, args.people)

    results = {}
    for count in workers:
        # The scratch Redis database: each worker count starts with nothing kept
        # (from the last run, or the other column), then has the same warm-up.
        cache.clear()
        port = free_port()
        with asgi_server(
            {**os.environ, **env}, port, workers=count, log=workdir / "server.log"
        ) as base:
            check_pages(base, cookies[0])
            time.sleep(1)  # the other workers finish starting
            # Warm up: every worker's pool, caches and compiled templates.
            run_wrk(base, mix, args.clients, 5, args.database_url)
            results[count] = {
                "ceiling": run_wrk(base, ceiling, args.clients, args.duration, args.database_url),
                "mix": run_wrk(base, mix, args.clients, args.duration, args.database_url),
                "people": run_wrk(base, people, args.people, args.duration, args.database_url),
            }

    def ms(us: int) -> str:
        return f"{us / 1000:.0f}"

    def errors(r: dict) -> str:
        if not r["errors"]:
            return "0"
        kinds = ("connect", "read", "write", "timeout", "non_200")
        return f"{r['errors']} (" + ", ".join(f"{k} {r[k]}" for k in kinds if r[k]) + ")"

    rows: list[tuple[str, ...]] = [
        ("", *(f"{n} worker{'s' if n > 1 else ''}" for n in workers)),
    ]

    def section(title: str, run: str, lines: list[tuple[str, object]]) -> None:
        rows.append((title, *("" for _ in workers)))
        for label, cell in lines:
            rows.append((f"  {label}", *(cell(results[n][run], results[n]) for n in workers)))

    common = [
        ("requests/s", lambda r, _: f"{r['rate']:.0f}"),
        ("p50 / p95 / p99 ms", lambda r, _: f"{ms(r['p50'])} / {ms(r['p95'])} / {ms(r['p99'])}"),
        ("errors", lambda r, _: errors(r)),
        (
            "CPU ms/request: server, PostgreSQL",
            lambda r, _: f"{r['server_ms']:.1f}, {r['database_ms']:.1f}",
        ),
        ("load average at start", lambda r, _: f"{r['load']:.1f}"),
    ]
    section(f"/health/ (the ceiling), {args.clients} connections", "ceiling", common)
    section(
        f"page mix ({', '.join(PATHS)}), {args.clients} connections",
        "mix",
        [
            common[0],
            ("ratio to the ceiling", lambda r, all: f"{r['rate'] / all['ceiling']['rate']:.2f}"),
            *common[1:],
        ],
    )
    section(
        f"{args.people:,} people, one request every {args.think:g} s (expected "
        f"{args.people / args.think:.0f}/s)",
        "people",
        common,
    )
    print(
        f"Load: {args.duration} s per run; PostgreSQL + Redis; {os.cpu_count()} CPUs; "
        f"session engine {settings.SESSION_ENGINE.rsplit('.', 1)[1]}"
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if any(r["errors"] for runs in results.values() for r in runs.values()):
        sys.exit(f"FAILED: there were errors (the server's log: {workdir / 'server.log'})")


if __name__ == "__main__":
    main()
