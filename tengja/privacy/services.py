"""A person's data: download all of it (data_export_*), or erase it (account_delete)."""

import logging
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.lib.emails import email_deliver_now, email_render
from tengja.lib.tokens import token_hash, token_make
from tengja.privacy.export import export_write
from tengja.privacy.models import DataExport

logger = logging.getLogger(__name__)


class PrivacyError(Exception):
    """A refusal with a message meant for the person who asked."""


# ------------------------------------------------------------------ download my data


def export_root() -> Path:
    return Path(settings.DATA_EXPORT_ROOT)


def data_export_request(*, user: User) -> DataExport:
    """Start gathering the person's data; a link follows by e-mail. An earlier
    export not yet downloaded is discarded: only the newest link works."""
    now = timezone.now()
    with transaction.atomic():
        for old in DataExport.objects.filter(user=user, downloaded_at=None).only("pk"):
            _discard_after_commit(old.pk)
        DataExport.objects.filter(user=user, downloaded_at=None).delete()
        export = DataExport.objects.create(
            user=user,
            token_hash=token_make()[1],  # replaced when the link is sent
            created_at=now,
            expires_at=now + timedelta(seconds=settings.DATA_EXPORT_TIMEOUT),
        )
        from tengja.privacy.tasks import data_export_build as task

        transaction.on_commit(lambda: task.enqueue(export_id=export.pk))
    return export


def _discard_after_commit(export_id: int) -> None:
    name = DataExport.objects.filter(pk=export_id).values_list("file_name", flat=True).first()
    if name:
        transaction.on_commit(lambda: _unlink(name))


def _unlink(name: str) -> None:
    (export_root() / name).unlink(missing_ok=True)


def data_export_build(*, export_id: int) -> None:
    """Write the ZIP, make the link's token (only its hash is kept) and e-mail it."""
    export = (
        DataExport.objects.select_related("user")
        .filter(pk=export_id, ready_at=None, expires_at__gt=timezone.now())
        .first()
    )
    if export is None:  # replaced by a newer request, or expired meanwhile
        return
    root = export_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.zip"
    partial = root / f".{name}.tmp"
    try:
        with open(partial, "wb") as out:
            os.chmod(partial, 0o600)
            export_write(user=export.user, out=out)
        partial.rename(root / name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    raw, hashed = token_make()
    ready = DataExport.objects.filter(pk=export.pk, ready_at=None).update(
        file_name=name,
        size=(root / name).stat().st_size,
        ready_at=timezone.now(),
        token_hash=hashed,
    )
    if not ready:  # discarded while it was being written
        _unlink(name)
        return
    user = export.user
    subject, text, html = email_render(
        template="data-export-ready",
        context={
            "user": user,
            "link": settings.SITE_URL + reverse("privacy:export_download", kwargs={"token": raw}),
            "expires_at": export.expires_at,
        },
        language=user.language,
        time_zone=user.time_zone,
    )
    email_deliver_now(to=user.email, subject=subject, text=text, html=html)
    _schedule_discard(export.pk, export.expires_at)


def _schedule_discard(export_id: int, when: datetime) -> None:
    """Delete the file when the link expires. Backends that cannot wait leave it to
    data_exports_sweep (run by the privacy_sweep command)."""
    from tengja.privacy.tasks import data_export_discard

    try:
        if data_export_discard.get_backend().supports_defer:
            data_export_discard.using(run_after=when).enqueue(export_id=export_id)
    except Exception:
        logger.exception("could not schedule the removal of data export %s", export_id)


def data_export_for_token(*, user: User, token: str) -> DataExport:
    """The person's ready export a link names, or PrivacyError saying why not."""
    export = DataExport.objects.filter(user=user, token_hash=token_hash(token)).first()
    if export is None or export.ready_at is None:
        raise PrivacyError(_("This link is not valid. Ask for your data again from your profile."))
    if export.downloaded_at is not None:
        raise PrivacyError(
            _("This link has already been used. Ask for your data again from your profile.")
        )
    if export.expires_at <= timezone.now() or not export.file_name:
        raise PrivacyError(_("This link has expired. Ask for your data again from your profile."))
    return export


def data_export_take(*, export: DataExport) -> IO[bytes]:
    """The ZIP, once: the row is claimed first (of two clicks, one wins), and the
    file is unlinked as soon as it is open, so it is gone when the download ends."""
    claimed = DataExport.objects.filter(pk=export.pk, downloaded_at=None).update(
        downloaded_at=timezone.now()
    )
    if not claimed:
        raise PrivacyError(
            _("This link has already been used. Ask for your data again from your profile.")
        )
    path = export_root() / export.file_name
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    except FileNotFoundError:
        raise PrivacyError(
            _("This link has expired. Ask for your data again from your profile.")
        ) from None
    path.unlink()
    DataExport.objects.filter(pk=export.pk).update(file_name="")
    return handle


def data_export_discard(*, export_id: int) -> None:
    name = DataExport.objects.filter(pk=export_id).values_list("file_name", flat=True).first()
    if name:
        _unlink(name)
        DataExport.objects.filter(pk=export_id).update(file_name="")


def data_exports_sweep(*, now: datetime | None = None) -> int:
    """Delete every export file whose link has expired; returns how many."""
    now = now or timezone.now()
    expired = DataExport.objects.filter(expires_at__lte=now).exclude(file_name="")
    count = 0
    for export_id in expired.values_list("pk", flat=True).iterator():
        data_export_discard(export_id=export_id)
        count += 1
    return count
