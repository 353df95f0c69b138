"""The home page: first what is due from the person (and, for a head, their school; for the CEO,
the trust), overdue first; then the trust's plans and pocket guides."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from plans.views import home_context
from schools.models import Trust

from . import selectors_due, selectors_home


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = home_context(request.user)
    if request.user.is_authenticated:
        today = timezone.localdate()
        terms = selectors_home.open_terms(today)
        trust = context["plans"][0].trust if context["plans"] else None
        context["waiting"] = selectors_home.waiting_for(request.user, today, terms)
        context["summary"] = selectors_home.trust_summary(request.user, today, terms, trust)
        context["due"] = selectors_due.due_for(request.user, today, trust or Trust.objects.of_person(request.user))
    return render(request, "reviews/home.html", context)
