from django.urls import path

from . import views_pdf
from . import views_school as read
from . import views_school_edit as edit

app_name = "school_plans"

urlpatterns = [
    path("", read.index, name="index"),
    path("new/", edit.create, name="create"),
    path("sign-off/", read.sign_off_queue, name="sign_off"),
    path("<int:pk>/", read.detail, name="detail"),
    path("<int:pk>/smart/", read.smart_check, name="smart"),
    path("<int:pk>/pocket-guide/", read.pocket_guide, name="pocket_guide"),
    path("<int:pk>/pocket-guide/pdf/", views_pdf.school_pocket_guide_pdf, name="pocket_guide_pdf"),
    path("<int:pk>/history/", read.history, name="history"),
    path("<int:pk>/as-signed-off/", read.as_signed_off, name="as_signed_off"),
    path("<int:pk>/steps/<str:step>/", edit.step, name="step"),
    path("<int:pk>/steps/<str:step>/confirm/", edit.step_confirm, name="step_confirm"),
    path("<int:pk>/priorities/add/", edit.priority_add, name="priority_add"),
    path("<int:pk>/priorities/<int:parent_pk>/actions/add/", edit.action_add, name="action_add"),
    path("<int:pk>/actions/<int:parent_pk>/criteria/add/", edit.criterion_add, name="criterion_add"),
    path("<int:pk>/actions/<int:item_pk>/progress/", edit.progress, name="progress"),
    path("<int:pk>/<str:kind>/<int:item_pk>/edit/", edit.item_edit, name="item_edit"),
    path("<int:pk>/<str:kind>/<int:item_pk>/remove/", edit.item_delete, name="item_delete"),
    path("<int:pk>/<str:kind>/<int:item_pk>/move/", edit.item_move, name="item_move"),
    path("<int:pk>/<str:kind>/<int:item_pk>/history/", read.item_history, name="item_history"),
    path("<int:pk>/<str:kind>/<int:item_pk>/restore/", edit.item_restore, name="item_restore"),
]
