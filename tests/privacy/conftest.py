import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tengja.accounts.services import user_set_picture
from tengja.billing.services import card_add
from tengja.bookings.services import booking_invite
from tengja.hubs.services import hub_book
from tengja.lib.images import picture_reencode
from tests.factories import SessionTypeFactory


def picture_file() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def sessions(professional, email: str, count: int, start_days: int = 2) -> list:
    kind = SessionTypeFactory(professional=professional, name=f"Talk {start_days}")
    now = timezone.now().replace(second=0, microsecond=0)
    return [
        booking_invite(
            professional=professional,
            session_type=kind,
            starts_at=now + timedelta(days=start_days + n, hours=1),
            email=email,
        )
        for n in range(count)
    ]


@pytest.fixture
def emma(member, offer, professional, django_capture_on_commit_callbacks):
    """A hub member with everything: sessions (with credits and with bills), a card,
    a picture, notifications, credits granted and spent."""
    user = member.user
    with django_capture_on_commit_callbacks(execute=True):
        sessions(professional, user.email, 2)
        slot_day = timezone.now() + timedelta(days=3)
        hub_book(
            membership=member,
            offer=offer,
            starts_at=slot_day.replace(hour=10, minute=0, second=0, microsecond=0),
        )
        card_add(
            user=user,
            data={
                "number": "4242 4242 4242 4242",
                "exp_month": 12,
                "exp_year": timezone.now().year + 2,
                "cvc": "123",
            },
        )
        user_set_picture(user=user, picture=picture_reencode(picture_file()))
    user.refresh_from_db()
    return user
