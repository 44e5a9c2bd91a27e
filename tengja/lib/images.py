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
    too_many_pixels = ValidationError(
        _("The picture has too many pixels. Choose a smaller image."), code="too_many_pixels"
    )
    image: Image.Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                # Read the header's size before decoding a single pixel.
                if probe.width * probe.height > settings.PICTURE_MAX_PIXELS:
                    raise too_many_pixels
                probe.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                # JPEG can decode at a fraction of its size: far less memory for big photos.
                image.draft("RGB", (settings.PICTURE_SIZE * 2, settings.PICTURE_SIZE * 2))
                image.load()
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None

    # Flatten transparency onto white; JPEG has no alpha channel.
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    size = min(settings.PICTURE_SIZE, *background.size)  # never enlarge
    square = ImageOps.fit(background, (size, size), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
