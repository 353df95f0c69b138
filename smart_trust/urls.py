from django.contrib import admin
from django.urls import include, path

from plans import views as plan_views

from .health import health

urlpatterns = [
    path("", plan_views.home, name="home"),
    path("", include("governance.urls")),
    path("plans/", include("plans.urls")),
    path("school-plans/", include("plans.urls_school")),
    path("schools/", include("governance.urls_schools")),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
]
