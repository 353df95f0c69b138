from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import School, Trust


@admin.register(Trust)
class TrustAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "slug", "two_factor_required"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ["name", "phase", "urn", "lgc_name", "trust"]
    list_filter = ["phase", "trust"]
    search_fields = ["name", "urn"]
    prepopulated_fields = {"slug": ["name"]}
