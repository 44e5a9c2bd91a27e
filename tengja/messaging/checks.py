"""Message files are served only through a view that checks who asks: their
folder must never be one the web server hands out as it is."""

from pathlib import Path

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_message_files_root(app_configs, **kwargs) -> list[checks.CheckMessage]:
    files = Path(settings.MESSAGE_FILES_ROOT).resolve()
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        served = Path(getattr(settings, name)).resolve()
        if files == served or served in files.parents:
            return [
                checks.Error(
                    f"MESSAGE_FILES_ROOT ({files}) is inside {name} ({served}), which is served "
                    "to anyone: message files would be readable without signing in.",
                    hint="Point MESSAGE_FILES_ROOT at a folder outside the media and static folders.",
                    id="tengja.E020",
                )
            ]
    return []
