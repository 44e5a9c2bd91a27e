"""Tengja's URLs and, for the load benchmark only, TechEmpower's "fortunes": one
query of 10 rows, one row added in memory, sorted, rendered by a small template
through the same middleware as every page. What a cheap dynamic page costs in
this server: the yardstick for a signed-in page's CPU (bench_load.py)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from tengja.urls import urlpatterns as tengja_urlpatterns

TABLE = "bench_fortune"
FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
]

TEMPLATE = engines["django"].from_string(
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "{% for id, message in fortunes %}<tr><td>{{ id }}</td><td>{{ message }}</td></tr>"
    "{% endfor %}</table></body></html>"
)


def fortunes(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, message FROM {TABLE}")  # noqa: S608 (a constant)
        rows = cursor.fetchall()
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return HttpResponse(TEMPLATE.render({"fortunes": rows}))


def create_table() -> None:
    """The 10 rows, once (the benchmark's scratch database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id integer PRIMARY KEY, message text NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {TABLE} (id, message) VALUES (%s, %s)",  # noqa: S608
            list(enumerate(FORTUNES, start=1)),
        )


urlpatterns = [path("bench/fortunes/", fortunes), *tengja_urlpatterns]
