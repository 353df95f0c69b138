"""Administration screens: terms and settings may be changed here (with history, as on the terms
page); ratings and reopenings are read-only, because only reviews.services applies their rules
(windows, commentary, no bare green) and records who and why."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m


class ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReopeningInline(ReadOnly, admin.TabularInline):
    model = m.TermReopening
    extra = 0
    fields = ["until", "reason", "by", "at"]
    readonly_fields = fields


@admin.register(m.TermDates)
class TermDatesAdmin(SimpleHistoryAdmin):
    list_display = ["label", "starts", "ends", "rating_opens", "rating_closes", "reopened_until"]
    list_filter = ["academic_year", "term"]
    readonly_fields = ["reopened_until"]
    inlines = [ReopeningInline]


@admin.register(m.TermReopening)
class TermReopeningAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["term", "until", "by", "at"]
    list_select_related = ["term__academic_year", "by"]


@admin.register(m.Rating)
class RatingAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "action", "priority", "aim", "by", "at", "version"]
    list_filter = ["term", "voice", "value"]
    list_select_related = [
        "term__academic_year",
        "plan__school",
        "plan__academic_year",
        "action",
        "priority",
        "aim",
        "by",
    ]
    search_fields = ["commentary", "evidence"]


@admin.register(m.ReviewSettings)
class ReviewSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["trust", "use_not_yet_due", "use_complete", "staff_see_ratings"]


# The review cycle. Stages and areas are changed on their own pages (with history); here they may
# be read. What was decided and sent is never changed by hand: it is the CEO's record.
@admin.register(m.Stage)
class StageAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["name", "academic_year", "starts", "due", "responsible", "due_kind"]
    list_filter = ["academic_year", "due_kind", "responsible"]
    list_select_related = ["academic_year"]


@admin.register(m.ComplianceArea)
class ComplianceAreaAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["name", "order", "is_active", "trust"]


@admin.register(m.Message)
class MessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["subject", "to", "kind", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "subject", "key"]
    exclude = ["body"]


@admin.register(m.Decision)
class DecisionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "recipient", "subject", "reason", "outcome", "detail"]
    list_filter = ["outcome"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "detail", "recipient__email"]
