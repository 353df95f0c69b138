from django.urls import path

from . import views_rate as rate

app_name = "reviews"

urlpatterns = [
    path("plans/<int:pk>/<str:term>/", rate.sheet, name="rate"),
    path("plans/<int:pk>/<str:term>/<str:kind>/<int:item_pk>/", rate.rate_item, name="rate_item"),
]
