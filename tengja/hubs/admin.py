from django.contrib import admin

from tengja.hubs.models import Company, Hub, HubDomain


class HubDomainInline(admin.TabularInline):
    model = HubDomain
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["admins"]


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "code", "time_zone"]
    list_select_related = ["company"]
    inlines = [HubDomainInline]

    def save_model(self, request, obj, form, change) -> None:
        # A new zone cuts the months from the next one on, as HR's form does
        # (Hub.time_zone_set): a month already begun keeps its dates.
        if change and "time_zone" in form.changed_data:
            chosen = obj.time_zone
            obj.time_zone = form.initial["time_zone"]
            obj.time_zone_set(chosen)
        super().save_model(request, obj, form, change)
