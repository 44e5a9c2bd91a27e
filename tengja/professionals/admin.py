from django.contrib import admin

from tengja.professionals.models import Professional, SessionType, WeeklyAvailability


class SessionTypeInline(admin.TabularInline):
    model = SessionType
    extra = 0


class WeeklyAvailabilityInline(admin.TabularInline):
    model = WeeklyAvailability
    extra = 0


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["user", "title"]
    search_fields = ["user__name", "user__email", "title"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [SessionTypeInline, WeeklyAvailabilityInline]
