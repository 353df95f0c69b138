"""The terms: every academic year's three terms with their dates and rating windows, who reopened
which and why, and the trust's review settings. Trust-wide roles read them; the central team and
the CEO change the dates and settings; the CEO alone reopens a closed term (governance.policy)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import policy
from schools.models import Trust

from . import selectors, services
from .forms import ReopenForm, ReviewSettingsForm, TermDatesForm
from .models import TermDates


@dataclass
class TermRow:
    term: TermDates
    state: str  # "open", "not yet open" or "closed": shown as words, never by colour alone
    window: str  # the sentence that says when ratings may be given
    reopenable: bool


def _row(term: TermDates, today: datetime.date, *, ceo: bool) -> TermRow:
    if term.is_open(today):
        until = term.open_until(today)
        reopened = term.reopened_until and today <= term.reopened_until and today > term.rating_closes
        why = " (reopened)" if reopened else ""
        return TermRow(term, "open", f"Open now until {until:%-d %B %Y}{why}", reopenable=ceo and bool(reopened))
    if today < term.rating_opens:
        return TermRow(term, "not yet open", f"Opens on {term.rating_opens:%-d %B %Y}", reopenable=False)
    return TermRow(term, "closed", f"Closed on {term.rating_closes:%-d %B %Y}", reopenable=ceo)


def _require(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)


def _terms_page(request: HttpRequest, settings_form: ReviewSettingsForm | None = None, status: int = 200):
    today = timezone.localdate()
    ceo = policy.reopens_terms(request.user)
    keeper = policy.keeps_terms(request.user)
    years = [(year, [_row(t, today, ceo=ceo) for t in terms]) for year, terms in selectors.every_term().items()]
    if keeper and settings_form is None:
        trust = Trust.objects.of_person(request.user)
        settings_form = ReviewSettingsForm(instance=services.settings_for(trust))
    return render(
        request,
        "reviews/terms.html",
        {"years": years, "today": today, "keeps_terms": keeper, "settings_form": settings_form},
        status=status,
    )


@login_required
@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    _require(policy.has_trust_role(request.user), "The terms and their rating windows are for trust-wide roles.")
    return _terms_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def term_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(policy.keeps_terms(request.user), "The central team and the CEO set the terms' dates.")
    term = get_object_or_404(TermDates.objects.select_related("academic_year"), pk=pk)
    form = TermDatesForm(request.POST or None, instance=term)
    if request.method == "POST" and form.is_valid():
        try:
            services.term_save(term=form.instance, by=request.user)
        except ValidationError as exc:  # what the database's rules refuse, should the form miss it
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved the dates of {term.name} {term.academic_year.label}.")
            return redirect(f"{term.get_absolute_url()}#term-{term.pk}")
    return render(
        request,
        "reviews/term_form.html",
        {"term": term, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def term_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    _require(policy.reopens_terms(request.user), "Only the CEO reopens a term's ratings.")
    term = get_object_or_404(TermDates.objects.select_related("academic_year"), pk=pk)
    today = timezone.localdate()
    form = ReopenForm(request.POST or None, term=term, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            reopening = services.reopen(term=term, by=request.user, today=today, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Reopened the ratings of {term.name} {term.academic_year.label} until {reopening.until:%-d %B %Y}.",
            )
            return redirect(f"{term.get_absolute_url()}#term-{term.pk}")
    return render(
        request,
        "reviews/term_reopen.html",
        {"term": term, "form": form, "row": _row(term, today, ceo=True)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def review_settings(request: HttpRequest) -> HttpResponse:
    _require(policy.keeps_terms(request.user), "The central team and the CEO set how the trust rates.")
    trust = Trust.objects.of_person(request.user)
    form = ReviewSettingsForm(request.POST, instance=services.settings_for(trust))
    if not form.is_valid():
        return _terms_page(request, settings_form=form, status=400)
    services.settings_save(trust=trust, values=form.cleaned_data, by=request.user)
    messages.success(request, "Saved how the trust rates.")
    return redirect(f"{TermDates().get_absolute_url()}#settings")
