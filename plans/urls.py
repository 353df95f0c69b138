from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="index"),
    path("<slug:plan>/", views.contents, name="contents"),
    path("<slug:plan>/strands/<slug:strand>/", views.strand, name="strand"),
    path("<slug:plan>/aims/<str:aim>/", views.aim, name="aim"),
    path("<slug:plan>/pocket-guide/<str:year>/", views.pocket_guide, name="pocket_guide"),
] + [path(f"<slug:plan>/{s.slug}/", views.section, {"section": s.slug}, name=s.slug) for s in views.SECTIONS]
