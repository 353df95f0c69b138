from django.contrib import admin
from django.urls import include, path

from governance.views_mfa import admin_login
from reviews import views_home

from .accessibility import accessibility_statement
from .health import health

# The admin signs people in through the project's own sign-in, which asks for the two-factor code.
admin.site.login = admin_login

urlpatterns = [
    path("", views_home.home, name="home"),
    path("", include("governance.urls")),
    path("plans/", include("plans.urls")),
    path("school-plans/", include("plans.urls_school")),
    path("schools/", include("governance.urls_schools")),
    path("ratings/", include("reviews.urls")),
    path("cycle/", include("reviews.urls_cycle")),
    path("health/", health, name="health"),
    path("accessibility/", accessibility_statement, name="accessibility"),
    path("admin/", admin.site.urls),
]
