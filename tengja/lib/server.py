"""How Tengja's servers are started: one command line for each, used by
`manage.py serve`, the tests and the benchmarks, so what they measure is what
README's "Running at scale" tells operators to run.

- The embedded default (`manage.py serve`): one uvicorn process serving
  `tengja.asgi:application`, Django's own ASGI handler for HTTP and Channels for
  /ws/.
- At scale: nginx in front (deploy/nginx/), HTTP to gunicorn serving
  `tengja.wsgi:application` with its plain (sync) workers, /ws/ to uvicorn.
  nginx holds the idle keep-alive connections of thousands of browsers and
  buffers slow clients both ways; a gunicorn worker only ever sees a whole
  request from it, works on it alone and hands the answer back at loopback
  speed. (gunicorn alone kept a thread per idle connection and collapsed under
  2,000 of them.)
  `nginx_config` renders the shipped configuration for a run on loopback ports.
"""

import re
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent.parent / "deploy" / "nginx"

# uvicorn closes a connection idle this long (seconds): longer than nginx's
# upstream keepalive_timeout (60 s) and AWS's ALB idle timeout (60 s), so a
# connection the proxy is about to reuse is never closed under it (which answers
# a request with 502). Its default is 5 s. (gunicorn's sync workers close each
# connection after its answer, so the proxy never reuses one.)
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


def gunicorn_command(*, host: str, port: int, workers: int) -> list[str]:
    """HTTP at scale, behind nginx. (No access log: gunicorn writes none unless
    asked; nginx's is the one, as for uvicorn above.)

    Its sync workers, one request at a time each: the kind gunicorn's own
    documentation pairs with a buffering proxy. They served more, for less CPU
    a request, than threaded workers (gthread), whose threads take turns at the
    interpreter's lock: README's "Running at scale" has the figures."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "tengja.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # Named, though it is gunicorn's default: see the docstring.
        "--worker-class",
        "sync",
        # As uvicorn's --no-proxy-headers: nothing the peer says about the scheme
        # is believed here; Django decides (BEHIND_HTTPS_PROXY, TRUSTED_PROXIES).
        "--forwarded-allow-ips",
        "",
        # gunicorn's control socket is one path per user (~/.gunicorn/): a second
        # gunicorn on the machine would take it over. Nothing of Tengja's uses it.
        "--no-control-socket",
    ]


def nginx_config(
    *, workdir: Path, listen_port: int, http_port: int, ws_port: int, workers: str = "auto"
) -> str:
    """A whole nginx.conf for a run as an ordinary user: the shipped upstreams and
    server block contents (deploy/nginx/) on loopback ports, plain HTTP, with the
    pid file, logs and temporary files in `workdir`. Start it with
    `nginx -p WORKDIR -c WORKDIR/nginx.conf -e WORKDIR/error.log`."""
    site = (DEPLOY / "tengja.conf").read_text()
    # The upstreams and the map, as shipped, pointed at this run's servers.
    blocks = re.findall(r"^(?:upstream|map) .*?^\}", site, re.M | re.S)
    shared = (
        "\n".join(blocks)
        .replace("127.0.0.1:8000", f"127.0.0.1:{http_port}")
        .replace("127.0.0.1:8001", f"127.0.0.1:{ws_port}")
    )
    temp = {name: workdir / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    return f"""# Rendered by tengja.lib.server.nginx_config from deploy/nginx/.
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
worker_processes {workers};
worker_rlimit_nofile 20000;
events {{
    worker_connections 10000;
}}
http {{
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    keepalive_timeout 75s;
{shared}
    server {{
        listen 127.0.0.1:{listen_port};
        server_name 127.0.0.1;
        include {DEPLOY / "tengja-proxy.conf"};
    }}
}}
"""
