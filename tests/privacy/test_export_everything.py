"""Download my data holds everything Tengja holds about the person: every model
that points at them is in the archive, or listed with the reason it is not."""

import io
import json
import zipfile
from datetime import time, timedelta

from django.apps import apps
from django.utils import timezone

from tengja.bookings.services import booking_invite
from tengja.hubs.models import HubProfessional
from tengja.hubs.services import credit_request_create
from tengja.privacy.export import EXPORTED, NOT_EXPORTED, export_write
from tengja.professionals.models import (
    AvailabilityException,
    Language,
    ProfessionalInvitation,
    Specialty,
    WeeklyAvailability,
)
from tests.factories import CompanyFactory, HubFactory, SessionTypeFactory
from tests.hubs.test_hr import book


def models_pointing_at_a_person() -> dict[str, str]:
    """Every model (many-to-many tables too) with a foreign key or one-to-one to
    the user, or to a model whose rows are exported as the person's: its label,
    and the field that points. A model listed as not exported ends the walk."""
    person = {"accounts.User"}
    reached: dict[str, str] = {}
    models = apps.get_models(include_auto_created=True)
    grown = True
    while grown:
        grown = False
        for model in models:
            label = model._meta.label
            if label in reached:
                continue
            for field in model._meta.get_fields():
                if (
                    (field.many_to_one or field.one_to_one)
                    and field.concrete
                    and not field.auto_created
                    and field.related_model._meta.label in person
                ):
                    reached[label] = field.name
                    if label in EXPORTED:
                        person.add(label)
                    grown = True
                    break
    return reached


def test_every_model_that_points_at_a_person_is_exported_or_excused():
    reached = models_pointing_at_a_person()
    missing = sorted(set(reached) - set(EXPORTED) - set(NOT_EXPORTED))
    assert missing == [], "export these in privacy/export.py, or say in NOT_EXPORTED why not"
    # No stale entries, none in both lists, and every reason says something.
    assert set(EXPORTED) | set(NOT_EXPORTED) == set(reached) | {"accounts.User"}
    assert not set(EXPORTED) & set(NOT_EXPORTED)
    assert all(len(reason) > 40 for reason in NOT_EXPORTED.values())
    # SECURITY.md gives the same reasons in words.
    from pathlib import Path

    from django.conf import settings

    security = (Path(settings.BASE_DIR) / "SECURITY.md").read_text()
    for label in NOT_EXPORTED:
        assert f"`{label}`" in security, label


def archive_of(user) -> dict:
    out = io.BytesIO()
    export_write(user=user, out=out)
    archive = zipfile.ZipFile(out)
    return {n: json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")}


def test_a_professionals_own_data_is_in_the_export(
    member, offer, bob, django_capture_on_commit_callbacks
):
    professional = offer.professional
    user = professional.user
    professional.title = "Sálfræðingur"
    professional.bio = "Ég hjálpa fólki með kvíða."
    professional.business_name = "Sól slf."
    professional.business_address = "Laugavegi 1, 101 Reykjavík"
    professional.business_id = "410123-4560"
    professional.vat_number = "123456"
    professional.save()
    professional.languages.add(Language.objects.get_or_create(code="is", name="Íslenska")[0])
    professional.specialties.add(Specialty.objects.get_or_create(name="Kvíði")[0])
    SessionTypeFactory(professional=professional, name="Para­viðtal", price_amount=22000)
    day_off = timezone.localdate() + timedelta(days=40)
    AvailabilityException.objects.create(professional=professional, date=day_off, kind="off")
    other_hub = HubFactory(company=CompanyFactory(name="Önnur hf."), name="Annað torg")
    HubProfessional.objects.create(hub=other_hub, professional=professional)  # asked
    credit_request_create(booking=book(member, offer), credits=3)
    with django_capture_on_commit_callbacks(execute=True):
        booking_invite(
            professional=professional,
            session_type=offer.session_type,
            starts_at=(timezone.now() + timedelta(days=5)).replace(
                hour=10, minute=0, second=0, microsecond=0
            ),
            email="new.client@example.com",
        )
    ProfessionalInvitation.objects.create(
        email=user.email,
        language="is",
        invited_by=bob,
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=7),
        accepted_at=timezone.now(),
        professional=professional,
    )

    data = archive_of(user)

    assert data["professional.json"] == data["professional.json"] | {
        "title": "Sálfræðingur",
        "bio": "Ég hjálpa fólki með kvíða.",
        "business_name": "Sól slf.",
        "business_address": "Laugavegi 1, 101 Reykjavík",
        "business_id": "410123-4560",
        "vat_number": "123456",
        "languages": ["Íslenska"],
        "specialties": ["Kvíði"],
        "taking_new_bookings": True,
    }
    assert {t["name"] for t in data["session_types.json"]} == {"Talk", "Para­viðtal"}
    assert (
        len(data["availability.json"]["weekly_hours"])
        == WeeklyAvailability.objects.filter(professional=professional).count()
        == 7
    )
    assert data["availability.json"]["weekly_hours"][0]["from"] == time(9).isoformat()
    assert data["availability.json"]["exceptions"] == [
        {
            "date": day_off.isoformat(),
            "kind": "off",
            "from": None,
            "until": None,
            "last_day": None,
            "label": "",
            "every_week": False,
            "repeat_until": None,
        }
    ]
    assert {(o["hub"], o["status"]) for o in data["hub_offers.json"]} == {
        (offer.hub.name, "accepted"),
        ("Annað torg", "asked"),
    }
    [request] = data["credit_requests.json"]
    assert (request["role"], request["credits"], request["professional"]) == (
        "professional",
        3,
        None,
    )
    kinds = [i["kind"] for i in data["invitations.json"]]
    assert kinds == ["session, sent by you", "to join as a professional, to you"]
    # The client's address is theirs, not the professional's.
    assert "new.client@example.com" not in json.dumps(data, ensure_ascii=False)
    assert {s["role"] for s in data["sessions.json"]} == {"professional"}
    assert data["emails.json"] and {e["session"] for e in data["emails.json"]} <= {
        s["code"] for s in data["sessions.json"]
    }
    # Nothing of another person's: the member is not named.
    assert member.email not in json.dumps(data) and member.user.name not in json.dumps(data)


def test_the_member_sees_the_request_made_for_them(member, offer):
    credit_request_create(booking=book(member, offer), credits=2)
    [request] = archive_of(member.user)["credit_requests.json"]
    assert (request["role"], request["credits"], request["professional"]) == (
        "member",
        2,
        "Dr. Sól",
    )


def test_an_hr_admins_companies_are_in_the_export(hr, hub):
    [company] = archive_of(hr)["hr_companies.json"]
    assert company["company"] == "Acme hf."
    assert [h["name"] for h in company["hubs"]] == [hub.name]
    assert company["hubs"][0]["time_zone"] == hub.time_zone


def test_secrets_stay_out(alice, client, password):
    """Two-step sign-in's key and the recovery codes' hashes are not exported;
    sign-ins are, and a pending change of e-mail without its link."""
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tengja.accounts.models import EmailChange

    client.post(reverse("accounts:login"), {"username": alice.email, "password": password})
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    EmailChange.objects.create(
        user=alice,
        new_email="alice.new@example.com",
        token_hash="f" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    data = archive_of(alice)
    assert [c["new_email"] for c in data["email_changes.json"]] == ["alice.new@example.com"]
    assert "f" * 64 not in json.dumps(data) and device.key not in json.dumps(data)
    assert data["profile.json"]["two_step_sign_in"] is True
    assert [s["kind"] for s in data["sign_ins.json"]] == ["signed in"]
