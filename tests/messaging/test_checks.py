"""Message files must never sit where the web server hands files out as they are."""

from django.core import checks


def errors(settings) -> list[str]:
    return [m.id for m in checks.run_checks(tags=[checks.Tags.security]) if m.id == "tengja.E020"]


def test_message_files_inside_the_media_folder_fail_the_checks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MESSAGE_FILES_ROOT = tmp_path / "media" / "message-files"
    assert errors(settings) == ["tengja.E020"]
    settings.MESSAGE_FILES_ROOT = tmp_path / "static"
    settings.STATIC_ROOT = tmp_path / "static"
    assert errors(settings) == ["tengja.E020"]


def test_message_files_beside_the_media_folder_pass(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MESSAGE_FILES_ROOT = tmp_path / "message-files"
    assert errors(settings) == []
