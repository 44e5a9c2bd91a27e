from django.contrib import admin

from tengja.notifications.models import Delivery, Notification


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "booking",
        "booking_request",
        "kind",
        "role",
        "due_at",
        "sent_at",
        "skipped_at",
        "failed_at",
        "attempts",
    ]
    list_filter = ["kind", "role"]
    raw_id_fields = ["booking", "booking_request"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created_at", "read_at"]
    raw_id_fields = ["user", "booking", "booking_request"]
