from django.urls import path

from . import views_branding
from . import views_schools as views

app_name = "schools"

urlpatterns = [
    path("", views.school_list, name="index"),
    path("branding/", views_branding.trust_branding, name="branding"),  # before a school's slug
    path("<slug:slug>/", views.school_detail, name="detail"),
]
