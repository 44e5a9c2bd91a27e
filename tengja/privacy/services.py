"""A person's data: download all of it (data_export_*), or erase it (account_delete)."""

import json
import logging
import os
import uuid
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import IO

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from tengja.accounts.models import EmailChange, User
from tengja.accounts.services import two_factor_disable, user_signed_out
from tengja.billing.models import PaymentMethod, StripeCustomer
from tengja.billing.services import BillingError, card_remove
from tengja.bookings.models import Booking, Invitation, PageSignup
from tengja.bookings.requests import requests_close_for_account
from tengja.bookings.services import booking_cancel
from tengja.hubs.models import HubInvitedAddress, Membership
from tengja.hubs.services import credit_requests_close
from tengja.intake.models import FormResponse
from tengja.lib.emails import email_deliver_now, email_render
from tengja.lib.tokens import token_hash, token_make
from tengja.measures.services import measures_erase
from tengja.messaging.services import messages_erase
from tengja.notifications.models import Delivery, Notification, Preferences
from tengja.privacy.export import export_write
from tengja.privacy.models import DataExport
from tengja.professionals.models import Professional
from tengja.wellbeing.services import wellbeing_erase

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
    data_exports_sweep (one of the `periodic` jobs)."""
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


# ------------------------------------------------------------------ delete my account


def account_deletable(*, user: User) -> bool:
    """A professional's account holds what their practice must keep (the invoices
    they issued, their clients' sessions): closing it goes through support."""
    return not Professional.objects.filter(user=user).exists()


def account_delete(*, user: User) -> None:
    """Erase the person: cancel their future sessions under the normal rules, remove
    their cards at the provider, and erase everything that names them.

    What is kept: the user row, anonymised (sessions and invoices point to it);
    past and cancelled sessions without a name; issued invoices and their
    payments, because Icelandic bookkeeping law (lög um bókhald nr. 145/1994,
    20. gr.) requires accounting records to be kept for seven years; Wellbeing
    Hub credit ledger entries (the company's accounts) on a membership without
    its work address. The last e-mail is written to the old address before it is
    erased, and delivered straight after the erasure commits, not through the
    task queue (whose rows would keep the address).
    """
    if not account_deletable(user=user):
        raise PrivacyError(
            _(
                "A professional's account is closed with our help, as your practice's records must be kept."
            )
        )
    # The provider is outside any transaction: cards go first, and if one cannot
    # be removed nothing is erased and the person can try again.
    for method in PaymentMethod.objects.filter(user=user, removed_at=None):
        try:
            card_remove(method=method)
        except BillingError:
            raise PrivacyError(
                _(
                    "We could not remove your saved card at the payment provider just now, "
                    "so nothing was deleted. Try again in a few minutes."
                )
            ) from None

    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        future = Booking.objects.filter(
            client=user, status=Booking.Status.CONFIRMED, starts_at__gt=now
        )
        cancelled = 0
        for booking in future:
            booking_cancel(booking=booking, by=user)
            cancelled += 1

        subject, text, html = email_render(
            template="account-deleted",
            context={"user": user, "cancelled": cancelled},
            language=user.language,
            time_zone=user.time_zone,
        )
        old_email = user.email
        addresses = {
            old_email,
            *Membership.objects.filter(user=user).values_list("email", flat=True),
        }
        files = [user.picture.name] if user.picture else []
        exports = list(
            DataExport.objects.filter(user=user)
            .exclude(file_name="")
            .values_list("file_name", flat=True)
        )
        placeholder = f"deleted-{uuid.uuid4().hex}@deleted.invalid"  # .invalid never routes

        _erase_related(user=user, addresses=addresses, placeholder=placeholder, now=now)

        user.email = placeholder
        user.name = ""
        user.picture = ""
        user.set_unusable_password()
        user.is_active = user.is_staff = user.is_superuser = False
        user.last_login = None
        user.language = settings.LANGUAGE_CODE
        user.time_zone = settings.TIME_ZONE
        user.erased_at = now
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        _sessions_delete(user_id=user.pk)

        storage = User._meta.get_field("picture").storage

        def after_commit() -> None:
            for name in files:
                storage.delete(name)
            for name in exports:
                _unlink(name)
            try:
                email_deliver_now(to=old_email, subject=subject, text=text, html=html)
            except Exception:
                logger.warning("the notice of a deleted account could not be sent", exc_info=True)

        transaction.on_commit(after_commit)


def _erase_related(*, user: User, addresses: set[str], placeholder: str, now: datetime) -> None:
    """Every other row that names the person, or that exists only for them."""
    # Their own things.
    Notification.objects.filter(user=user).delete()
    EmailChange.objects.filter(user=user).delete()
    # A booking page sign-up: the one that made the account, and any waiting for its link.
    PageSignup.objects.filter(Q(user=user) | Q(email__in=addresses)).delete()
    Preferences.objects.filter(user=user).delete()  # calendar feed and reminders
    DataExport.objects.filter(user=user).delete()
    two_factor_disable(user=user)
    PaymentMethod.objects.filter(user=user).delete()  # payments keep their amounts
    StripeCustomer.objects.filter(user=user).delete()
    user.administered_companies.clear()
    # Forms: a draft was never given to the professional and goes with the account; a
    # form sent or a consent signed is part of the professional's health record (lög
    # um sjúkraskrár nr. 55/2009) and stays with them, as SECURITY.md says.
    FormResponse.objects.filter(client=user, state=FormResponse.State.DRAFT).delete()
    # Outcome measures likewise: answers given stay with the professional; requests
    # never answered, and the client's shares, go (tengja.measures.services).
    measures_erase(user=user)
    # Wellbeing index and session ratings: kept without the link to the person, so
    # no figure of an ended month moves (tengja.wellbeing.services, SECURITY.md).
    wellbeing_erase(user=user)
    # Messages likewise: the conversation is closed and stays with the professional,
    # the client shown as a deleted account (tengja.messaging.services).
    messages_erase(user=user, now=now)

    # Wellbeing Hubs: the ledger stays (the company's accounts), without the address.
    Membership.objects.filter(user=user).update(
        email=placeholder,
        status=Membership.Status.REMOVED,
        verify_token_hash="",
        verify_expires_at=None,
    )
    Membership.objects.filter(user=user, removed_at=None).update(removed_at=now)
    # Requests for more credits for them: nobody is left to give them to. After
    # the memberships (the order HR's decision takes them: credit_request_decide).
    credit_requests_close(user=user)
    lowered = [address.lower() for address in addresses]
    HubInvitedAddress.objects.filter(email__in=lowered).delete()

    # Sessions: the invitation's address, and e-mails still to go to them.
    Invitation.objects.filter(Q(booking__client=user) | Q(email__in=lowered)).update(
        email=placeholder
    )
    # Their session requests: the open ones withdrawn (nobody told), what they said erased.
    requests_close_for_account(user=user)
    theirs = Delivery.objects.filter(
        Q(booking__client=user) | Q(booking_request__client=user), role=Booking.Role.CLIENT
    )
    theirs.filter(sent_at=None, skipped_at=None, failed_at=None).update(
        skipped_at=now, last_error="account deleted"
    )
    theirs.exclude(last_error__in=["", "account deleted"]).update(last_error="")

    # Records of sign-ins (django-axes) and of admin changes name the address.
    AccessAttempt.objects.filter(username__in=lowered).delete()
    AccessLog.objects.filter(username__in=lowered).delete()
    AccessFailureLog.objects.filter(username__in=lowered).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr="deleted account", change_message="")

    # Finished background tasks keep their arguments (e-mails sent, addresses).
    needles = set(lowered)
    if user.name:
        needles |= {user.name, json.dumps(user.name)[1:-1]}
    tasks = DBTaskResult.objects.exclude(status="RUNNING").annotate(
        text=Cast("args_kwargs", TextField())
    )
    for needle in needles:
        tasks.filter(text__icontains=needle).delete()


def _sessions_delete(*, user_id: int) -> None:
    """Sign the person out everywhere. Session data is encoded, so each live
    session is read; account deletion is rare enough for that. Each goes through
    the session engine, which also drops any cached copy the engine keeps."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            store_class().delete(session.session_key)
            # Its open sockets (a call, the live count) close as at a sign-out.
            user_signed_out(user_id=user_id, session_key=session.session_key)
