from django.urls import path

from . import views_schools as views

app_name = "schools"

urlpatterns = [
    path("", views.school_list, name="index"),
    path("<slug:slug>/", views.school_detail, name="detail"),
]
