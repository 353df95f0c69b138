from django.urls import path

from . import views_school as v

app_name = "school_plans"

urlpatterns = [
    path("", v.index, name="index"),
    path("new/", v.create, name="create"),
    path("sign-off/", v.sign_off_queue, name="sign_off"),
    path("<int:pk>/", v.detail, name="detail"),
    path("<int:pk>/smart/", v.smart_check, name="smart"),
    path("<int:pk>/pocket-guide/", v.pocket_guide, name="pocket_guide"),
    path("<int:pk>/history/", v.history, name="history"),
    path("<int:pk>/as-signed-off/", v.as_signed_off, name="as_signed_off"),
    path("<int:pk>/steps/<str:step>/", v.step, name="step"),
    path("<int:pk>/steps/<str:step>/confirm/", v.step_confirm, name="step_confirm"),
    path("<int:pk>/priorities/add/", v.priority_add, name="priority_add"),
    path("<int:pk>/priorities/<int:parent_pk>/actions/add/", v.action_add, name="action_add"),
    path("<int:pk>/actions/<int:parent_pk>/criteria/add/", v.criterion_add, name="criterion_add"),
    path("<int:pk>/actions/<int:item_pk>/progress/", v.progress, name="progress"),
    path("<int:pk>/<str:kind>/<int:item_pk>/edit/", v.item_edit, name="item_edit"),
    path("<int:pk>/<str:kind>/<int:item_pk>/remove/", v.item_delete, name="item_delete"),
    path("<int:pk>/<str:kind>/<int:item_pk>/move/", v.item_move, name="item_move"),
    path("<int:pk>/<str:kind>/<int:item_pk>/history/", v.item_history, name="item_history"),
    path("<int:pk>/<str:kind>/<int:item_pk>/restore/", v.item_restore, name="item_restore"),
]
