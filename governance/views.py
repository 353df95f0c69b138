"""Accounts: the signed-in person's own page. Sign-in, sign-out and passwords use Django's views."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_required
def account(request: HttpRequest) -> HttpResponse:
    roles = request.user.roles.select_related("school", "trust", "granted_by")
    return render(request, "governance/account.html", {"roles": roles})
