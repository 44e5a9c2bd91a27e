from django.conf import settings
from django.db import models
from django.utils import timezone


class DataExport(models.Model):
    """A ZIP of what Tengja holds about a person, made in the background and
    fetched once through a link e-mailed to them (the token is kept hashed).

    The file lives in DATA_EXPORT_ROOT, outside the public media files, and is
    deleted once downloaded or when the link expires."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    downloaded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data export {self.pk} of {self.user_id}"
