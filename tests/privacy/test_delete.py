"""Delete my account: future sessions cancelled by the normal rules, cards removed
at the provider, everything that names the person erased; invoices kept."""

import io
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from tengja.accounts.models import User
from tengja.billing.models import Invoice, PaymentMethod
from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking
from tengja.hubs.models import CreditEntry, HubInvitedAddress, Membership
from tengja.notifications.models import Notification
from tests.accounts.test_two_factor import app_code, later, turn_on
from tests.factories import UserFactory
from tests.privacy.conftest import sessions

URL = reverse("privacy:delete")


def delete(client, user, password, capture, **extra):
    client.force_login(user)
    with capture(execute=True):
        return client.post(URL, {"current_password": password, "confirm": "on", **extra})


def text_fields(model) -> list[str]:
    return [
        f.name
        for f in model._meta.get_fields()
        if f.concrete
        and not f.is_relation
        and isinstance(f, models.CharField | models.TextField | models.JSONField)
    ]


def rows_naming(needles: list[str]) -> list[str]:
    """Every row of every table whose text holds one of the needles."""
    found = []
    for model in apps.get_models():
        for name in text_fields(model):
            for needle in needles:
                if isinstance(model._meta.get_field(name), models.JSONField):
                    hits = [
                        pk
                        for pk, value in model.objects.values_list("pk", name)
                        if needle.lower() in str(value).lower()
                    ]
                else:
                    hits = list(
                        model.objects.filter(**{f"{name}__icontains": needle}).values_list(
                            "pk", flat=True
                        )
                    )
                found += [f"{model._meta.label}.{name} {pk}: {needle}" for pk in hits]
    return found


def files_under(*folders) -> list[Path]:
    return [
        p
        for folder in folders
        if Path(folder).exists()
        for p in Path(folder).rglob("*")
        if p.is_file()
    ]


def test_the_page_says_what_happens_and_needs_the_password(client, emma, password):
    client.force_login(emma)
    body = client.get(URL).content.decode()
    assert "Your 3 coming sessions are cancelled" in body
    assert "kept for seven years" in body
    response = client.post(URL, {"current_password": "wrong", "confirm": "on"})
    assert response.status_code == 400
    response = client.post(URL, {"current_password": password})
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    emma.refresh_from_db()
    assert emma.erased_at is None and emma.email == "emma@acme.test"


def test_future_sessions_are_cancelled_by_the_normal_rules(
    client, emma, member, professional, password, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [soon] = sessions(professional, emma.email, 1, start_days=0)  # in an hour: late
    balance_before = sum(member.ledger.values_list("amount", flat=True))
    response = delete(client, emma, password, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("privacy:deleted")
    bookings = Booking.objects.filter(client=emma)
    assert set(bookings.values_list("status", flat=True)) == {Booking.Status.CANCELLED}
    soon.refresh_from_db()
    assert soon.late_cancellation and invoice_standing(booking=soon).status == Invoice.Status.OPEN
    early = bookings.filter(paid_with=Booking.PaidWith.INVOICE, late_cancellation=False)
    assert {invoice_standing(booking=b).status for b in early} == {Invoice.Status.VOID}
    # The credit of the session booked with credits came back to the ledger.
    assert CreditEntry.objects.filter(membership=member, kind="refund").count() == 1
    assert sum(member.ledger.values_list("amount", flat=True)) == balance_before + 1


def test_nothing_personal_remains(
    client, emma, professional, settings, password, django_capture_on_commit_callbacks
):
    name, email, work = emma.name, emma.email, "emma@acme.test"
    # Traces that must go too: sign-in records, a queued task, an admin log entry,
    # an HR invitation of the work address, a pending change of e-mail, an export.
    Client().post(reverse("accounts:login"), {"username": email, "password": "wrong"})
    Client().post(reverse("accounts:login"), {"username": email, "password": password})
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from tengja.accounts.services import email_change_request, password_reset_request
    from tengja.privacy.services import data_export_request

    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(email=email)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    LogEntry.objects.create(
        user=UserFactory(is_staff=True),
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(emma.pk),
        object_repr=str(emma),
        action_flag=CHANGE,
        change_message="Changed name.",
    )
    HubInvitedAddress.objects.create(hub=Membership.objects.get(user=emma).hub, email=work)
    with django_capture_on_commit_callbacks(execute=True):
        email_change_request(user=emma, new_email="emma.new@example.com")
        data_export_request(user=emma)
    assert rows_naming([name, email, work])  # the scan does find them before
    assert files_under(settings.MEDIA_ROOT, settings.DATA_EXPORT_ROOT)
    invoice = Invoice.objects.filter(booking__client=emma).first()

    mail.outbox.clear()
    response = delete(client, emma, password, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("privacy:deleted")

    assert rows_naming([name, email, work, "emma.new@example.com"]) == []
    assert files_under(settings.MEDIA_ROOT, settings.DATA_EXPORT_ROOT) == []
    # E-mails: the last notice to her, and the professional's cancellations without her.
    notices = [m for m in mail.outbox if m.to == [email]]
    assert [m.subject for m in notices] == ["Your Tengja account has been deleted"]
    assert "Hello Emma Employee" in notices[0].body
    assert "3 coming sessions were cancelled" in notices[0].body
    for message in mail.outbox:
        if message is notices[0]:
            continue
        content = message.subject + message.body + message.alternatives[0][0]
        content += "".join(str(a[1]) for a in message.attachments)
        for needle in (name, email, work, "Emma"):
            assert needle not in content, (message.subject, needle)
    assert any(
        "Deleted account" in m.body for m in mail.outbox if m.to == [professional.user.email]
    )

    emma.refresh_from_db()
    assert emma.email.endswith("@deleted.invalid") and not emma.has_usable_password()
    assert not emma.is_active and emma.erased_at is not None
    assert not TOTPDevice.objects.filter(user=emma).exists()
    assert not Notification.objects.filter(user=emma).exists()
    assert not PaymentMethod.objects.filter(user=emma).exists()
    # The invoice is kept, without her name.
    invoice.refresh_from_db()
    assert invoice.number and invoice.amount
    client.force_login(professional.user)
    pdf = client.get(reverse("billing:invoice_pdf", args=[invoice.code])).content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Deleted account" in text
    assert "Emma" not in text and email not in text
    page = client.get(reverse("billing:invoice", args=[invoice.code])).content.decode()
    assert name not in page and email not in page
    assert (
        "Deleted account"
        in client.get(reverse("bookings:detail", args=[invoice.booking.code])).content.decode()
    )


@pytest.mark.parametrize(
    "engine",
    ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"],
)
def test_signed_out_everywhere_and_cannot_sign_in(
    client, alice, password, django_capture_on_commit_callbacks, settings, engine
):
    settings.SESSION_ENGINE = engine  # cached_db is what runs with REDIS_URL
    elsewhere = Client()
    elsewhere.force_login(alice)
    elsewhere_key = elsewhere.session.session_key
    email = alice.email
    delete(client, alice, password, django_capture_on_commit_callbacks)
    assert "_auth_user_id" not in client.session
    assert import_module(engine).SessionStore(session_key=elsewhere_key).load() == {}
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    assert not [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(alice.pk)
    ]
    response = Client().post(reverse("accounts:login"), {"username": email, "password": password})
    assert response.status_code == 200  # no such account any more
    assert client.get(reverse("privacy:deleted")).status_code == 200


def test_cards_are_removed_at_the_provider(
    client, emma, password, django_capture_on_commit_callbacks
):
    [card] = PaymentMethod.objects.filter(user=emma)
    with mock.patch("tengja.billing.providers.local.LocalProvider.card_remove") as remove:
        delete(client, emma, password, django_capture_on_commit_callbacks)
    remove.assert_called_once_with(provider_ref=card.provider_ref)


def test_a_provider_failure_erases_nothing(
    client, emma, password, django_capture_on_commit_callbacks
):
    from tengja.billing.providers import ProviderError

    with mock.patch(
        "tengja.billing.providers.local.LocalProvider.card_remove",
        side_effect=ProviderError("down"),
    ):
        response = delete(client, emma, password, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "nothing was deleted" in response.content.decode()
    emma.refresh_from_db()
    assert emma.erased_at is None and emma.name == "Emma Employee"
    assert Booking.objects.filter(client=emma, status=Booking.Status.CONFIRMED).count() == 3


def test_with_two_step_sign_in_the_code_is_needed_too(
    client, alice, password, django_capture_on_commit_callbacks
):
    key, _codes = turn_on(client, alice, password)
    client.force_login(alice)
    assert "Code from your authenticator app" in client.get(URL).content.decode()
    response = delete(client, alice, password, django_capture_on_commit_callbacks, code="000000")
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.erased_at is None
    with later(31):
        response = delete(
            client, alice, password, django_capture_on_commit_callbacks, code=app_code(key)
        )
    assert response["Location"] == reverse("privacy:deleted")
    assert not TOTPDevice.objects.exists()


def test_a_professional_is_asked_to_write_to_us(client, professional, password):
    client.force_login(professional.user)
    assert "write to us" in client.get(URL).content.decode()
    response = client.post(URL, {"current_password": password, "confirm": "on"})
    assert response.status_code == 200
    professional.user.refresh_from_db()
    assert professional.user.erased_at is None


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_last_email_is_in_the_persons_language(
    client, alice, password, language, django_capture_on_commit_callbacks
):
    alice.language = language
    alice.save()
    delete(client, alice, password, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    expected = {
        "en": "Your Tengja account has been deleted",
        "is": "Aðganginum þínum hjá Tengja hefur verið eytt",
    }
    assert message.subject == expected[language]
    assert "Alice Andersen" in message.alternatives[0][0]


def test_hr_admins_leave_their_companies(
    client, hr, hub, password, django_capture_on_commit_callbacks
):
    delete(client, hr, password, django_capture_on_commit_callbacks)
    assert not hub.company.admins.exists()


def test_the_deleted_page_is_for_anyone(client, db):
    assert client.get(reverse("privacy:deleted")).status_code == 200


def test_time_does_not_matter_for_past_sessions(
    client, alice, professional, password, django_capture_on_commit_callbacks
):
    from tests.factories import BookingFactory

    past = BookingFactory(
        client=alice, professional=professional, starts_at=timezone.now() - timedelta(days=3)
    )
    delete(client, alice, password, django_capture_on_commit_callbacks)
    past.refresh_from_db()
    assert past.status == Booking.Status.CONFIRMED  # a past session is a record, not cancelled
