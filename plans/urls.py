from django.urls import path

from . import views, views_pdf

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="index"),
    path("<slug:plan>/", views.contents, name="contents"),
    path("<slug:plan>/strands/<slug:strand>/", views.strand, name="strand"),
    path("<slug:plan>/aims/<str:aim>/", views.aim, name="aim"),
    path("<slug:plan>/pocket-guide/<str:year>/", views.pocket_guide, name="pocket_guide"),
    path("<slug:plan>/pocket-guide/<str:year>/publish/", views.pocket_guide_publish, name="pocket_guide_publish"),
    path("<slug:plan>/pocket-guide/<str:year>/pdf/", views_pdf.pocket_guide_pdf, name="pocket_guide_pdf"),
    path("<slug:plan>/pdf/", views_pdf.plan_pdf, name="plan_pdf"),
    path("<slug:plan>/pdf/retry/", views_pdf.plan_pdf_retry, name="plan_pdf_retry"),
] + [path(f"<slug:plan>/{s.slug}/", views.section, {"section": s.slug}, name=s.slug) for s in views.SECTIONS]
