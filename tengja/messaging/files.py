"""What a message may carry: a PDF, or an image (JPEG, PNG, WebP), at most
MESSAGE_FILE_MAX_BYTES. An image is decoded and re-encoded (tengja.lib.images),
so nothing of the sent file but its pixels is kept. A PDF is kept as sent, once
it looks like one from end to end: pypdf is only a development dependency, so
the check is the format's own markers (`%PDF-` at the start, `%%EOF` at the
end); anything else is refused. Files are stored under a random name; the
sender's name for it is kept apart, cleaned, for the download."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from tengja.lib.images import image_reencode
from tengja.messaging.models import files_storage

PDF = "application/pdf"
# How far from the end a PDF's %%EOF may be (writers add a newline or a few bytes).
PDF_TAIL = 1024


def storage() -> FileSystemStorage:
    """The message files' storage (MESSAGE_FILES_ROOT), typed."""
    return files_storage  # type: ignore[return-value]


@dataclass(slots=True)
class Prepared:
    """A file ready to store: its content (random name), the name to download it
    as, its content type and size in bytes."""

    content: File
    name: str
    content_type: str
    size: int


def size_label(size: int) -> str:
    """ "2.4 MB", "310 KB": how big a file is, for its link."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def clean_name(name: str, *, extension: str) -> str:
    """The sender's file name, safe to offer as a download: no folders, no
    control or separator characters, at most 100 characters, ending in the
    extension of what is really stored."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = re.sub(r'[\\/:*?"<>|;]+', "_", base).strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:100].strip(" .") or _("file")
    return f"{stem}.{extension}"


def _is_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(8)
    size = upload.size or 0
    upload.seek(max(0, size - PDF_TAIL))
    tail = upload.read(PDF_TAIL)
    upload.seek(0)
    return head.startswith(b"%PDF-") and b"%%EOF" in tail


def file_prepare(upload: UploadedFile) -> Prepared:
    """The upload checked and made ready to store, or ValidationError with a
    message the sender can act on."""
    limit = settings.MESSAGE_FILE_MAX_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError(
            _("The file is too large. Send a file of at most %(size)d MB.")
            % {"size": limit // (1024 * 1024)},
            code="too_large",
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        if not _is_pdf(upload):
            raise ValidationError(
                _("This PDF seems incomplete or damaged. Save it again and send it."),
                code="bad_pdf",
            )
        upload.seek(0)
        content = ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.pdf")
        return Prepared(content, clean_name(upload.name or "", extension="pdf"), PDF, upload.size)
    picture, content_type = image_reencode(upload, max_side=settings.MESSAGE_IMAGE_MAX_SIDE)
    extension = "png" if content_type == "image/png" else "jpg"
    return Prepared(
        picture,
        clean_name(upload.name or "", extension=extension),
        content_type,
        picture.size,
    )
