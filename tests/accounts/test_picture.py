import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

URL = reverse("accounts:picture")


def image_file(fmt="PNG", size=(800, 600), name="me.png", exif=False) -> SimpleUploadedFile:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {1: "N", 2: (64.0, 8.0, 0.0)}  # GPS
        kwargs["exif"] = data
    image.save(out, format=fmt, **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def test_upload_is_reencoded_square_and_stripped(client, alice):
    client.force_login(alice)
    response = client.post(URL, {"picture": image_file("JPEG", (1600, 900), "me.jpg", exif=True)})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.picture.name.startswith("pictures/")
    assert alice.picture.name.endswith(".jpg")
    with alice.picture.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert image.size == (512, 512)
        assert not image.getexif()
    assert b"SecretCam" not in alice.picture.storage.open(alice.picture.name).read()


def test_small_picture_is_not_enlarged(client, alice):
    client.force_login(alice)
    client.post(URL, {"picture": image_file(size=(120, 200))})
    alice.refresh_from_db()
    with Image.open(alice.picture.path) as image:
        assert image.size == (120, 120)


def test_replacing_a_picture_deletes_the_old_file(
    client, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    client.post(URL, {"picture": image_file()})
    alice.refresh_from_db()
    first = alice.picture.path
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"picture": image_file()})
    alice.refresh_from_db()
    assert alice.picture.path != first
    import os

    assert not os.path.exists(first)


def test_remove_picture(client, alice):
    client.force_login(alice)
    client.post(URL, {"picture": image_file()})
    client.post(URL, {"remove": "1"})
    alice.refresh_from_db()
    assert not alice.picture


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("me.png", b"not an image at all", "image/png"),
            "not a picture we can read",
        ),
        (
            SimpleUploadedFile(
                "x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"
            ),
            "not a picture we can read",
        ),
        (
            SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1), "image/png"),
            "too large",
        ),
    ],
)
def test_fake_or_oversized_file_is_refused(client, alice, upload, message):
    client.force_login(alice)
    response = client.post(URL, {"picture": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert not alice.picture


def test_decompression_bomb_is_refused(client, alice, settings):
    # A small PNG file of 20 million pixels: under Pillow's own limit, over ours.
    out = io.BytesIO()
    Image.new("1", (5000, 4000)).save(out, format="PNG")
    assert settings.PICTURE_MAX_PIXELS < 5000 * 4000
    assert Image.MAX_IMAGE_PIXELS > 5000 * 4000
    assert out.tell() < 5 * 1024 * 1024
    client.force_login(alice)
    response = client.post(
        URL, {"picture": SimpleUploadedFile("bomb.png", out.getvalue(), "image/png")}
    )
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()


def test_missing_file_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(URL, {})
    assert response.status_code == 400
    assert (
        "No file was submitted" in response.content.decode()
        or "This field is required" in response.content.decode()
    )


def test_picture_appears_in_the_header(client, alice):
    client.force_login(alice)
    client.post(URL, {"picture": image_file()})
    alice.refresh_from_db()
    body = client.get(reverse("dashboard:home")).content.decode()
    assert alice.picture.url in body
