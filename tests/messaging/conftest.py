import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tengja.messaging.services import conversation_start
from tests.factories import BookingFactory


@pytest.fixture
def session(alice, professional):
    """Alice's session to come with her professional (she booked it)."""
    return BookingFactory(
        client=alice,
        session_type__professional=professional,
        starts_at=timezone.now() + timedelta(days=10),
    )


@pytest.fixture
def conversation(session, alice, professional):
    return conversation_start(client=alice, professional=professional)


def pdf_bytes(size: int = 0) -> bytes:
    """A small PDF (padded with a comment up to `size` bytes, if given)."""
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    tail = b"trailer << /Root 1 0 R >>\n%%EOF\n"
    padding = max(0, size - len(head) - len(tail))
    return head + b"%" + b"x" * max(0, padding - 2) + b"\n" + tail if size else head + tail


def pdf(name: str = "report.pdf", size: int = 0) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(size), content_type="application/pdf")


def picture(name: str = "photo.png", format: str = "PNG", mode: str = "RGB") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new(mode, (40, 30), (0, 128, 128, 100) if mode == "RGBA" else "teal").save(
        out, format=format
    )
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{format.lower()}")
