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
    list_display = ["name", "company", "code"]
    list_select_related = ["company"]
    inlines = [HubDomainInline]
