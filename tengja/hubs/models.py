import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def hub_code() -> str:
    return secrets.token_urlsafe(8)


class Company(models.Model):
    name = models.CharField(_("name"), max_length=150)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="administered_companies",
        blank=True,
        verbose_name=_("HR admins"),
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Hub(models.Model):
    """A company's Wellbeing Hub, reached through its public link."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="hubs")
    name = models.CharField(_("name"), max_length=150)
    code = models.CharField(max_length=16, unique=True, default=hub_code, editable=False)
    welcome_text = models.TextField(_("welcome text"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Wellbeing Hub")
        verbose_name_plural = _("Wellbeing Hubs")

    def __str__(self) -> str:
        return self.name


class HubDomain(models.Model):
    """An e-mail domain whose addresses may join the hub."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253)

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        constraints = [
            models.UniqueConstraint(fields=["hub", "domain"], name="hubdomain_unique_per_hub")
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)
