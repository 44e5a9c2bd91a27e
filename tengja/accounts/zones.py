"""The time zones people choose from.

The list is tzdata's zone.tab: one entry per place a country keeps its own
clock, by its canonical name (Africa/Asmara, never the alias Africa/Asmera,
nor US/Eastern or Etc/GMT+5), about 420 in all, plus UTC. Each is shown with
its country in the reader's language (Babel's CLDR names) and its offset from
UTC now, grouped by region and sorted by offset within it.

A browser may report an alias (Chromium says Asia/Calcutta for India):
`canonical_zone` follows tzdata's links back to a listed name.
"""

import unicodedata
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
    """'Berlin, Þýskaland (UTC+01:00)': the place, its country, the offset now. The
    place comes first so that typing on the select itself (without the search)
    finds it, as a browser goes to the first option starting with what is typed."""
    offset = format_offset(_offset(name, now))
    if name == "UTC":
        return f"UTC ({offset})"
    place = ", ".join(part.replace("_", " ") for part in reversed(name.split("/")[1:]))
    country = Locale.parse(language).territories.get(listed_zones().get(name, ""), "")
    return f"{place}, {country} ({offset})" if country else f"{place} ({offset})"


# The names people use for a zone that neither its place nor its country say: the
# time's own name and its abbreviations (winter and summer). A name given to
# several zones finds them all; the first zone listed for it is the one chosen
# when that name is searched for (so "GMT" chooses London, though Reykjavik and
# UTC are on Greenwich time too). Not translated: they are what people type.
_CET = ("CET", "CEST", "Central European Time")
_EET = ("EET", "EEST", "Eastern European Time")
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "America/New_York": ("Eastern Time", "ET", "EST", "EDT", "US Eastern"),
    "America/Chicago": ("Central Time", "CT", "CST", "CDT", "US Central"),
    "America/Denver": ("Mountain Time", "MT", "MST", "MDT", "US Mountain"),
    "America/Los_Angeles": ("Pacific Time", "PT", "PST", "PDT", "US Pacific"),
    "America/Anchorage": ("Alaska Time", "AKST", "AKDT"),
    "Pacific/Honolulu": ("Hawaii Time", "HST"),
    "America/Phoenix": ("Mountain Time", "MST", "Arizona"),
    "America/Toronto": ("Eastern Time", "ET", "EST", "EDT"),
    "America/Vancouver": ("Pacific Time", "PT", "PST", "PDT"),
    "America/Halifax": ("Atlantic Time", "AST", "ADT"),
    "America/St_Johns": ("Newfoundland Time", "NST", "NDT"),
    "America/Sao_Paulo": ("Brasilia Time", "BRT"),
    "Asia/Kolkata": ("India Standard Time", "IST", "India"),
    "Europe/London": ("GMT", "Greenwich Mean Time", "BST", "British Summer Time", "UK"),
    "UTC": ("UTC", "GMT", "Greenwich Mean Time", "Coordinated Universal Time", "Zulu"),
    "Atlantic/Reykjavik": ("GMT", "Greenwich Mean Time"),
    "Europe/Dublin": ("GMT", "IST", "Irish Standard Time"),
    "Europe/Lisbon": ("WET", "WEST", "Western European Time"),
    "Europe/Berlin": _CET,
    "Europe/Paris": _CET,
    "Europe/Brussels": _CET,
    "Europe/Amsterdam": _CET,
    "Europe/Luxembourg": _CET,
    "Europe/Zurich": _CET,
    "Europe/Vienna": _CET,
    "Europe/Rome": _CET,
    "Europe/Madrid": _CET,
    "Europe/Copenhagen": _CET,
    "Europe/Oslo": _CET,
    "Europe/Stockholm": _CET,
    "Europe/Warsaw": _CET,
    "Europe/Prague": _CET,
    "Europe/Budapest": _CET,
    "Europe/Helsinki": _EET,
    "Europe/Athens": _EET,
    "Europe/Bucharest": _EET,
    "Europe/Sofia": _EET,
    "Europe/Kyiv": _EET,
    "Europe/Riga": _EET,
    "Europe/Tallinn": _EET,
    "Europe/Vilnius": _EET,
    "Europe/Moscow": ("Moscow Time", "MSK"),
    "Africa/Johannesburg": ("South Africa Standard Time", "SAST"),
    "Africa/Lagos": ("West Africa Time", "WAT"),
    "Africa/Nairobi": ("East Africa Time", "EAT"),
    "Asia/Dubai": ("Gulf Standard Time", "GST"),
    "Asia/Jerusalem": ("Israel Time", "IST", "IDT"),
    "Asia/Shanghai": ("China Standard Time", "CST", "Beijing"),
    "Asia/Hong_Kong": ("Hong Kong Time", "HKT"),
    "Asia/Singapore": ("Singapore Time", "SGT"),
    "Asia/Seoul": ("Korea Standard Time", "KST"),
    "Asia/Tokyo": ("Japan Standard Time", "JST"),
    "Australia/Perth": ("Australian Western Time", "AWST"),
    "Australia/Adelaide": ("Australian Central Time", "ACST", "ACDT"),
    "Australia/Darwin": ("Australian Central Time", "ACST"),
    "Australia/Sydney": ("Australian Eastern Time", "AEST", "AEDT"),
    "Australia/Melbourne": ("Australian Eastern Time", "AEST", "AEDT"),
    "Australia/Brisbane": ("Australian Eastern Time", "AEST"),
    "Pacific/Auckland": ("New Zealand Time", "NZST", "NZDT"),
}


def fold(text: str) -> str:
    """Lower case without accents, so "reykjavik" finds "Reykjavík" (as zones.js does)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@cache
def _best_for() -> dict[str, str]:
    """Folded common name -> the zone chosen when it is searched for."""
    best: dict[str, str] = {}
    for zone, names in COMMON_NAMES.items():
        for name in names:
            best.setdefault(fold(name), zone)
    return best


@cache  # the same for every form that lists the zones
def search_names(name: str, *, language: str) -> str:
    """What the search finds a zone by besides its label, region and name: its
    common names, and in another language than English its country's English name
    too (a person in Icelandic may still type "Iceland")."""
    words = list(COMMON_NAMES.get(name, ()))
    if not language.startswith("en") and listed_zones().get(name):
        words.append(Locale.parse("en").territories.get(listed_zones()[name], ""))
    return " ".join(words)


@cache  # the same for every form that lists the zones
def aliases(name: str) -> str:
    """The zone's folded common names, "|"-joined: a search for one of them exactly
    (or for the start of one) lists the zone first."""
    return "|".join(fold(alias) for alias in COMMON_NAMES.get(name, ()))


# A word this short is found only where a word starts ("est" finds EST and
# Estonia, never West Africa or Western Sahara); a longer one anywhere.
SHORT_WORD = 3
# The rank of a zone found in another way than by its names (see _rank).
RANKED = 3


def _found(word: str, text: str) -> bool:
    """Whether a searched word is in a zone's folded text (as zones.js's found())."""
    if len(word) > SHORT_WORD or not word[0].isalnum():
        return word in text
    start = text.find(word)
    while start != -1:
        if start == 0 or not text[start - 1].isalnum():
            return True
        start = text.find(word, start + 1)
    return False


def _rank(name: str, label: str, query: str) -> int:
    """Where a found zone is listed (as zones.js's rank()): first the zones the
    query names exactly ("est", "gmt", "cet"), then those whose place starts with
    it ("easter": Easter Island), then those with a common name starting with it
    ("eastern"), then the others (RANKED, in the list's order)."""
    names = aliases(name).split("|")
    if query in names:
        return 0
    if fold(label).startswith(query):
        return 1
    if any(alias.startswith(query) for alias in names if alias):
        return 2
    return RANKED


@cache  # the same for every form that lists the zones
def best_names(name: str) -> str:
    """The folded common names for which this zone is the one chosen, "|"-joined."""
    return "|".join(folded for folded, zone in _best_for().items() if zone == name)


def zone_search(query: str, *, now: datetime | None = None) -> tuple[list[str], str | None]:
    """The zones the picker's search shows for `query`, in the active language,
    and the one it chooses: static/js/zones.js does the same in the browser (with
    the person's own choice kept when it is among them). Every word typed must be
    in a zone's label, region, name or common names (a short word at the start of
    a word there). The zones the query names come first (see _rank), then the
    others as the list has them. None chosen when nothing matches: the choice
    stays as it was."""
    words = fold(query).split()
    if not words:
        return [], None
    language = translation.get_language() or "en"
    found: list[tuple[int, int, str]] = []
    places: list[str] = []
    query = " ".join(words)
    for region, zones in time_zone_choices(now=now):
        for name, label in zones:
            text = fold(f"{label} {name} {region} {search_names(name, language=language)}")
            if all(_found(word, text) for word in words):
                found.append((_rank(name, label, query), len(found), name))
                if fold(label).startswith(query):
                    places.append(name)
    matches = [name for _rank_, _order, name in sorted(found)]
    return matches, _chosen(matches, places, query)


def _chosen(matches: list[str], places: list[str], query: str) -> str | None:
    """A zone that is a searched name's own ("est"), else the first whose place
    starts with what was typed ("easter": Easter Island), else one with a common
    name starting with it, the shortest such name first ("eastern": Eastern Time
    before Eastern European Time), else the first found."""
    if not matches:
        return None
    best = _best_for()
    if query in best and best[query] in matches:
        return best[query]
    if places:
        return places[0]
    starting = sorted(
        (len(folded), zone) for folded, zone in best.items() if folded.startswith(query)
    )
    for _length, zone in starting:
        if zone in matches:
            return zone
    return matches[0]


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
