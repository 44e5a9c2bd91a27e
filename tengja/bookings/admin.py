from django.contrib import admin

from tengja.bookings.models import Booking


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["code", "professional", "client", "starts_at", "status", "paid_with"]
    list_filter = ["status", "paid_with"]
    list_select_related = ["professional__user", "client"]
    raw_id_fields = ["professional", "client", "session_type"]
    date_hierarchy = "starts_at"
