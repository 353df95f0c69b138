"""Administration screens for the central team. Everyday editing gets its own pages later."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m


class OrderedInline(admin.TabularInline):
    extra = 0
    ordering = ["order"]


class DriverInline(OrderedInline):
    model = m.Driver


class StrategyInline(OrderedInline):
    model = m.Strategy
    fields = ["order", "number", "parent", "title", "text"]


@admin.register(m.Aim)
class AimAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "strand", "plan"]
    list_filter = ["plan"]
    search_fields = ["code", "title"]
    inlines = [DriverInline, StrategyInline]


@admin.register(m.StrategicPlan)
class StrategicPlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "trust", "start_year", "end_year", "status"]
    list_filter = ["status"]


class MilestoneInline(OrderedInline):
    model = m.Milestone
    fields = ["order", "group", "aim", "number", "label", "phrase", "focus_columns", "milestone", "elaboration"]


class UpdateInline(OrderedInline):
    model = m.PocketGuideUpdate


@admin.register(m.PocketGuide)
class PocketGuideAdmin(SimpleHistoryAdmin):
    list_display = ["title", "plan", "academic_year", "status"]
    inlines = [MilestoneInline, UpdateInline]


for model in (
    m.SharedValue, m.Principle, m.VisionHeading, m.FocusColumn, m.Strand, m.KeyDocument,
    m.Responsibility, m.ReviewPeriod, m.Reference, m.GlossaryTerm, m.PocketGuideGroup, m.AcademicYear,
):  # fmt: skip
    admin.site.register(model, SimpleHistoryAdmin)
