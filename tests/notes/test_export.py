"""A note is in its author's "Download my data", decrypted; never in the client's."""

import io
import zipfile

from tengja.privacy.export import export_write
from tests.notes.conftest import SECRET_ADDENDUM, SECRET_BODY, SECRET_TITLE
from tests.privacy.test_export_everything import archive_of


def raw_archive(user) -> bytes:
    out = io.BytesIO()
    export_write(user=user, out=out)
    archive = zipfile.ZipFile(out)
    return b"".join(archive.read(name) for name in archive.namelist())


def test_the_professionals_export_has_their_notes_decrypted(signed, draft, professional):
    files = archive_of(professional.user)
    by_title = {note["title"]: note for note in files["notes.json"]}
    mine = by_title[SECRET_TITLE]
    assert mine["text"] == SECRET_BODY and mine["state"] == "signed"
    assert [a["text"] for a in mine["addenda"]] == [SECRET_ADDENDUM]
    assert mine["session"] == signed.booking.code and mine["client"] == "Alice Andersen"
    assert by_title[""]["addenda"] == [] and "Subjective" in by_title[""]["text"]


def test_the_clients_export_has_no_note(signed, alice):
    raw = raw_archive(alice)
    for secret in (SECRET_TITLE, SECRET_BODY, SECRET_ADDENDUM):
        assert secret.encode() not in raw
    assert archive_of(alice)["notes.json"] == []
