from django.urls import path

from . import views_pdf as pdfs
from . import views_rate as rate
from . import views_terms as terms
from . import views_trust as trust

app_name = "reviews"

urlpatterns = [
    path("terms/", terms.terms, name="terms"),
    path("terms/<int:pk>/edit/", terms.term_edit, name="term_edit"),
    path("terms/<int:pk>/reopen/", terms.term_reopen, name="term_reopen"),
    path("settings/", terms.review_settings, name="settings"),
    path("plans/<int:pk>/", rate.sheet_now, name="rate_now"),
    path("plans/<int:pk>/pdf/", pdfs.plan_pdf, name="plan_pdf"),
    path("plans/<int:pk>/actions/<int:item_pk>/history/", rate.action_history, name="action_history"),
    path("plans/<int:pk>/<str:term>/", rate.sheet, name="rate"),
    path("plans/<int:pk>/<str:term>/<str:kind>/<int:item_pk>/", rate.rate_item, name="rate_item"),
    path("trust-aims/<str:term>/", rate.aims, name="aims"),
    path("trust-aims/<str:term>/<int:aim_pk>/", rate.rate_aim, name="rate_aim"),
    # The trust-wide and school read pages (reviews.views_trust).
    path("trust/", trust.heatmap, name="heatmap"),
    path("trust/<str:term>/report/", trust.board_report, name="board_report"),
    path("trust/<str:term>/report/pdf/", pdfs.board_report_pdf, name="board_report_pdf"),
    path("trust/<str:term>/export.<str:fmt>", trust.export, name="export"),
    path("trust/<str:term>/<slug:school>/<str:aim>/", trust.cell, name="cell"),
    path("aims/<slug:plan>/<str:aim>/", trust.golden_thread, name="golden_thread"),
    path("schools/<slug:slug>/", trust.school, name="school"),
    path("schools/<slug:slug>/<str:term>/report/", trust.lgc_report, name="lgc_report"),
    path("schools/<slug:slug>/<str:term>/report/pdf/", pdfs.lgc_report_pdf, name="lgc_report_pdf"),
]
