"""The review cycle's pages, under /cycle/: the year's stages, the calendar and its feed, the
monthly compliance checks, and the CEO's log of what was sent and held back."""

from django.urls import path

from . import views_calendar as calendar
from . import views_compliance as compliance
from . import views_cycle as cycle

app_name = "cycle"

urlpatterns = [
    path("", cycle.stages, name="stages"),
    path("stages/<int:pk>/", cycle.stage, name="stage"),
    path("stages/<int:pk>/edit/", cycle.stage_edit, name="stage_edit"),
    path("stages/<int:pk>/done/", cycle.stage_done, name="stage_done"),
    path("log/", cycle.log, name="log"),
    path("log/messages/<int:pk>/retry/", cycle.message_retry, name="message_retry"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/feed/reset/", calendar.feed_reset, name="feed_reset"),
    path("calendar/<str:token>.ics", calendar.feed, name="feed"),
    path("compliance/", compliance.overview, name="compliance_index"),
    path("compliance/areas/", compliance.areas, name="compliance_areas"),
    path("compliance/<slug:school>/<str:month>/", compliance.school_month, name="compliance"),
]
