from django.contrib import admin

from tengja.billing.models import Invoice, Payment, PaymentMethod, ProviderEvent


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["display_number", "professional", "amount", "currency", "status", "issued_at"]
    list_filter = ["status", "currency"]
    raw_id_fields = ["professional", "booking"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "invoice",
        "amount",
        "currency",
        "status",
        "manual_method",
        "created_at",
    ]
    list_filter = ["status", "provider", "manual_method"]
    raw_id_fields = ["invoice", "method", "recorded_by", "cancelled_by"]


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "last4", "exp_month", "exp_year", "is_default", "removed_at"]
    raw_id_fields = ["user"]


@admin.register(ProviderEvent)
class ProviderEventAdmin(admin.ModelAdmin):
    list_display = ["provider", "type", "event_id", "received_at", "processed_at"]
