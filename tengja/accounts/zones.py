"""The time zones people choose from.

The list is tzdata's zone.tab: one entry per place a country keeps its own
clock, by its canonical name (Africa/Asmara, never the alias Africa/Asmera,
nor US/Eastern or Etc/GMT+5), about 420 in all, plus UTC. Each is shown with
its country in the reader's language (Babel's CLDR names) and its offset from
UTC now, grouped by region and sorted by offset within it.

A browser may report an alias (Chromium says Asia/Calcutta for India):
`canonical_zone` follows tzdata's links back to a listed name.
"""

import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources

from babel import Locale
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

REGIONS = {
    "Africa": _("Africa"),
    "America": _("Americas"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
}
OTHER = _("Other")


def _tzdata(name: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


@cache
def listed_zones() -> dict[str, str]:
    """Canonical zone name -> ISO country code, from zone.tab (and UTC)."""
    zones = {}
    for line in _tzdata("zone.tab").splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, name, *_rest = line.split("\t")
            zones[name] = country
    zones["UTC"] = ""
    return zones


@cache
def _links() -> dict[str, str]:
    """Alias -> the zone it links to, from tzdata.zi's 'L target alias' lines."""
    links = {}
    for line in _tzdata("tzdata.zi").splitlines():
        if line.startswith("L "):
            _l, target, alias = line.split()
            links[alias] = target
    return links


def canonical_zone(name: str) -> str:
    """The listed name for a zone name, following aliases; the name itself if it
    is listed, or is nothing we can map (then the form shows it as it is)."""
    seen = set()
    candidate = name
    while candidate not in listed_zones() and candidate in _links() and candidate not in seen:
        seen.add(candidate)
        candidate = _links()[candidate]
    return candidate if candidate in listed_zones() else name


def _offset(name: str, now: datetime) -> timedelta:
    return now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or timedelta()


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_label(name: str, *, language: str, now: datetime) -> str:
    """'(UTC+01:00) Berlin, Þýskaland': the offset now, the place, its country."""
    offset = format_offset(_offset(name, now))
    if name == "UTC":
        return f"({offset}) UTC"
    place = ", ".join(part.replace("_", " ") for part in reversed(name.split("/")[1:]))
    country = Locale.parse(language).territories.get(listed_zones().get(name, ""), "")
    return f"({offset}) {place}, {country}" if country else f"({offset}) {place}"


@lru_cache(maxsize=16)
def _grouped(language: str, hour: datetime) -> tuple:
    by_region: dict[str, list] = {}
    for name in listed_zones():
        region = name.split("/")[0] if name.split("/")[0] in REGIONS else ""
        by_region.setdefault(region, []).append(
            (_offset(name, hour), zone_label(name, language=language, now=hour), name)
        )
    with translation.override(language):
        groups = []
        for region in [*REGIONS, ""]:
            zones = sorted(by_region.get(region, []))
            label = str(REGIONS[region]) if region else str(OTHER)
            groups.append((label, tuple((name, text) for _offset, text, name in zones)))
    return tuple(groups)


def time_zone_choices(*, extra: str | None = None, now: datetime | None = None) -> list:
    """Grouped choices for a select (optgroups), in the active language, with each
    zone's offset now. `extra`, a name not on the list (an old alias on a profile),
    is kept as a choice of its own so that saving the form does not change it."""
    now = (now or timezone.now()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    language = translation.get_language() or "en"
    groups = [(label, list(zones)) for label, zones in _grouped(language, now)]
    if extra and extra not in listed_zones():
        groups[-1][1].append((extra, extra.replace("_", " ")))  # "Other", where UTC is
    return groups
