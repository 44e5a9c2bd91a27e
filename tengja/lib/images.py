"""Uploaded pictures: checked with Pillow, then re-encoded so nothing of the
original file (metadata, trailing bytes, a polyglot payload) is ever stored."""

import io
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# MPO: the multi-picture JPEG many phone cameras write; its first picture is used.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "GIF", "WEBP"}


def _decoded(
    upload: UploadedFile, *, formats: set[str], not_an_image: ValidationError, draft: int
) -> Image.Image:
    """The upload's first picture as RGBA, turned as its EXIF says, or
    ValidationError: not one of `formats`, unreadable, or too many pixels (read
    from the header before a pixel is decoded)."""
    too_many_pixels = ValidationError(
        _("The picture has too many pixels. Choose a smaller image."), code="too_many_pixels"
    )
    image: Image.Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                if probe.format not in formats:
                    raise not_an_image
                # Read the header's size before decoding a single pixel.
                if probe.width * probe.height > settings.PICTURE_MAX_PIXELS:
                    raise too_many_pixels
                probe.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                # JPEG can decode at a fraction of its size: far less memory for big photos.
                image.draft("RGB", (draft, draft))
                image.load()
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    return image


def _on_white(image: Image.Image) -> Image.Image:
    """Transparency flattened onto white; JPEG has no alpha channel."""
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    return background


def picture_reencode(upload: UploadedFile) -> ContentFile:
    """A square JPEG of at most PICTURE_SIZE pixels, or ValidationError."""
    if (upload.size or 0) > settings.PICTURE_MAX_BYTES:
        raise ValidationError(
            _("The picture is too large. Choose a file of at most %(size)d MB.")
            % {"size": settings.PICTURE_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    not_an_image = ValidationError(
        _("This file is not a picture we can read. Upload a JPEG, PNG, GIF or WebP image."),
        code="not_an_image",
    )
    image = _decoded(
        upload, formats=ACCEPTED_FORMATS, not_an_image=not_an_image, draft=settings.PICTURE_SIZE * 2
    )
    background = _on_white(image)
    size = min(settings.PICTURE_SIZE, *background.size)  # never enlarge
    square = ImageOps.fit(background, (size, size), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


# What a message may carry (tengja.messaging.files): photos and screenshots.
MESSAGE_IMAGE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}


def image_reencode(upload: UploadedFile, *, max_side: int) -> tuple[ContentFile, str]:
    """A JPEG, or a PNG when the picture has transparency, of at most `max_side`
    pixels on its longer side (never enlarged), made afresh from the decoded
    pixels, and its content type; or ValidationError. The caller checks the
    upload's size in bytes."""
    not_an_image = ValidationError(
        _("This file is not a picture we can read. Send a JPEG, PNG or WebP image, or a PDF."),
        code="not_an_image",
    )
    image = _decoded(
        upload, formats=MESSAGE_IMAGE_FORMATS, not_an_image=not_an_image, draft=max_side
    )
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    alpha_low, _alpha_high = image.getchannel("A").getextrema()
    if alpha_low < 255:  # type: ignore[operator]
        image.save(out, format="PNG", optimize=True)
        return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.png"), "image/png"
    _on_white(image).save(out, format="JPEG", quality=88, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), "image/jpeg"
