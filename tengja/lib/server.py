"""How Tengja's ASGI server is started: one command line, used by `manage.py serve`
and by the benchmarks, so what they measure is what users run."""

import sys

# uvicorn closes a connection idle this long (seconds). Its default of 5 is below
# the idle timeout of load balancers and proxies that reuse connections to it (60 s
# for nginx's upstream keepalive_timeout and for AWS's ALB): the server closed
# connections the proxy was about to reuse, which answers a request with 502.
# It also keeps a person's browser connection across a pause of a few seconds.
KEEP_ALIVE_SECONDS = 75


def uvicorn_command(*, host: str, port: int, workers: int, access_log: bool = False) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "tengja.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # uvloop and httptools (both in requirements.lock) are what uvicorn picks when
        # installed; named here so a missing one stops the server instead of
        # quietly running the slower pure-Python event loop and parser.
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--timeout-keep-alive",
        str(KEEP_ALIVE_SECONDS),
        "--lifespan",
        "off",
        "--no-server-header",
        # The client's address is worked out by Tengja (tengja.lib.ip, from
        # TRUSTED_PROXIES); uvicorn's own rewriting trusts 127.0.0.1 by default,
        # which let a forged X-Forwarded-For from this machine pass as anyone.
        "--no-proxy-headers",
        # In production the proxy in front logs requests, as its operator decides.
        # uvicorn's line per request repeated it, cost 3 % of the server's CPU under
        # load, and wrote every client's address with every path (whose session,
        # which bill) to the process's output. `manage.py serve` keeps it in DEBUG.
        *([] if access_log else ["--no-access-log"]),
    ]
