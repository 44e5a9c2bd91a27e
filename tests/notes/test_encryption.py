"""Notes at rest: the database holds no text a professional wrote, only Fernet
tokens; the keys are in the settings, rotatable; production without a key does
not start."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from tengja.notes.checks import notes_key_problems
from tengja.notes.models import Note, NoteAddendum, NoteTemplate
from tengja.notes.services import note_start, note_template_save
from tests.notes.conftest import SECRET_ADDENDUM, SECRET_BODY, SECRET_TITLE
from tests.test_settings import PRODUCTION_ENV, manage, settings_seen_with

TEMPLATE_NAME = "Mitt eigið sniðmát"
TEMPLATE_TEXT = "Fjölskyldusaga og lyfjanotkun"


def all_cells(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return "\n".join(str(cell) for row in cursor.fetchall() for cell in row)


def test_the_notes_tables_hold_no_plaintext(signed, professional):
    note_template_save(professional=professional, name=TEMPLATE_NAME, body=TEMPLATE_TEXT)
    soap = note_start(professional=professional, client=signed.client, template="soap")
    assert "Subjective" in soap.body  # the template's text is in the note...
    stored = "\n".join(
        all_cells(model._meta.db_table) for model in (Note, NoteAddendum, NoteTemplate)
    )
    assert signed.code in stored  # ...and the rows were read
    for secret in (
        SECRET_TITLE,
        SECRET_BODY,
        SECRET_ADDENDUM,
        TEMPLATE_NAME,
        TEMPLATE_TEXT,
        "Subjective",
        "skilnaðar",
        "Fjölskyldusaga",
    ):
        assert secret not in stored, secret
    # What is stored is Fernet tokens, which read back with the key.
    assert Note.objects.get(pk=signed.pk).body == SECRET_BODY


def test_a_rotated_key_still_reads_old_notes_and_notes_rotate_moves_them(settings, past):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NOTES_KEYS = [old]
    note = note_start(professional=past.professional, client=past.client, template="dap")
    note.title = SECRET_TITLE
    note.save()
    template = note_template_save(
        professional=past.professional, name=TEMPLATE_NAME, body=TEMPLATE_TEXT
    )
    # The new key first, the old kept: old notes still read, new ones use the new key.
    settings.NOTES_KEYS = [new, old]
    assert Note.objects.get(pk=note.pk).title == SECRET_TITLE
    settings.NOTES_KEYS = [new]
    with pytest.raises(InvalidToken):
        Note.objects.get(pk=note.pk).title  # noqa: B018
    settings.NOTES_KEYS = [new, old]
    call_command("notes_rotate", stdout=None)
    # Now the new key alone reads everything, and the old alone reads nothing.
    settings.NOTES_KEYS = [new]
    assert Note.objects.get(pk=note.pk).title == SECRET_TITLE
    assert "Data" in Note.objects.get(pk=note.pk).body
    assert NoteTemplate.objects.get(pk=template.pk).body == TEMPLATE_TEXT
    settings.NOTES_KEYS = [old]
    with pytest.raises(InvalidToken):
        NoteTemplate.objects.get(pk=template.pk).name  # noqa: B018


def test_notes_rotate_rewrites_every_row_and_addendum(settings, signed):
    before = NoteAddendum.objects.get(note=signed).body_sealed
    settings.NOTES_KEYS = [Fernet.generate_key().decode(), *settings.NOTES_KEYS]
    call_command("notes_rotate", stdout=None)
    after = NoteAddendum.objects.get(note=signed)
    assert after.body_sealed != before
    settings.NOTES_KEYS = settings.NOTES_KEYS[:1]
    assert after.body == SECRET_ADDENDUM


def test_without_a_key_nothing_is_written_in_the_clear(settings, past):
    settings.NOTES_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        note_start(professional=past.professional, client=past.client)
    assert not Note.objects.exists()
    [problem] = notes_key_problems()
    assert problem.id == "tengja.E010" and problem.is_serious()


def test_production_without_notes_keys_fails_the_deploy_check_and_will_not_start():
    import subprocess
    import sys

    from tests.test_settings import ROOT

    without = {k: v for k, v in PRODUCTION_ENV.items() if k != "NOTES_KEYS"}
    result = manage("check", "--deploy", env=without)
    assert result.returncode != 0
    assert "tengja.E010" in result.stderr and "NOTES_KEYS is not set" in result.stderr
    for server in ("tengja.asgi", "tengja.wsgi"):
        started = subprocess.run(
            [sys.executable, "-c", f"import {server}"],
            cwd=ROOT,
            env={**without, "DJANGO_SETTINGS_MODULE": "tengja.settings"},
            capture_output=True,
            text=True,
        )
        assert started.returncode != 0, server
        assert "Tengja will not start: NOTES_KEYS is not set" in started.stderr


def test_notes_keys_come_from_the_environment_and_a_bad_one_is_refused():
    a, b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert settings_seen_with({"NOTES_KEYS": f"{a}, {b}"}, "'|'.join(s.NOTES_KEYS)") == [f"{a}|{b}"]
    # In development, a key derived from SECRET_KEY.
    [derived] = settings_seen_with({"DEBUG": "true"}, "len(s.NOTES_KEYS)", drop=("NOTES_KEYS",))
    assert derived == "1"
    result = manage("check", env={**PRODUCTION_ENV, "NOTES_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "NOTES_KEYS must be Fernet keys" in result.stderr
