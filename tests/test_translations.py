import gettext
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def test_every_string_is_translated_to_icelandic():
    po = catalogue(LOCALE / "is" / "LC_MESSAGES" / "django.po")
    missing = [m.id for m in po if m.id and (not all(m.string) if m.pluralizable else not m.string)]
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert missing == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source():
    po = catalogue(LOCALE / "is" / "LC_MESSAGES" / "django.po")
    with (LOCALE / "is" / "LC_MESSAGES" / "django.mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for message in po:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            key = (message.context + "\x04" if message.context else "") + singular
            assert mo.ngettext(singular, plural, 1) == message.string[0], key
        else:
            key = (message.context + "\x04" if message.context else "") + message.id
            assert mo._catalog.get(key) == message.string, key


def test_catalogue_holds_every_string_in_the_code(tmp_path, monkeypatch):
    """Run makemessages over the code into a copy of the catalogue: it must find
    nothing the catalogue lacks. (The copy sits beside links to the code, as
    makemessages writes to the locale folder nearest the files it reads.)"""
    for name in ("tengja", "templates"):
        (tmp_path / name).symlink_to(Path(settings.BASE_DIR) / name)
    copy = tmp_path / "locale" / "is" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    (copy / "django.po").write_bytes((LOCALE / "is" / "LC_MESSAGES" / "django.po").read_bytes())
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["is"], symlinks=True, no_obsolete=True, verbosity=0)
    assert (copy / "django.po").read_bytes() != b""
    fresh = {m.id for m in catalogue(copy / "django.po") if m.id}
    committed = {m.id for m in catalogue(LOCALE / "is" / "LC_MESSAGES" / "django.po") if m.id}
    assert fresh - committed == set(), "run `make messages` and translate the new strings"
