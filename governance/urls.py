from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views, views_mfa, views_people

# Sign-in and passwords; names are Django's own so its views link to each other.
urlpatterns = [
    path("accounts/", views.account, name="account"),
    path("accounts/login/", views_mfa.SignInView.as_view(), name="login"),
    path("accounts/login/code/", views_mfa.login_code, name="login_code"),
    path("accounts/two-factor/", views_mfa.two_factor, name="two_factor"),
    path("accounts/two-factor/set-up/", views_mfa.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/recovery-codes/", views_mfa.two_factor_codes, name="two_factor_codes"),
    path("accounts/two-factor/turn-off/", views_mfa.two_factor_off, name="two_factor_off"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("people/", views_people.people_list, name="people"),
    path("people/add/", views_people.person_add, name="person_add"),
    path("people/import/", views_people.people_import, name="people_import"),
    path("people/import/confirm/", views_people.people_import_confirm, name="people_import_confirm"),
    path("people/import/template.csv", views_people.people_import_template, name="people_import_template"),
    path("people/<int:pk>/", views_people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views_people.person_edit, name="person_edit"),
    path("people/<int:pk>/roles/grant/", views_people.role_grant, name="role_grant"),
    path("people/<int:pk>/roles/<int:assignment_pk>/remove/", views_people.role_remove, name="role_remove"),
]
