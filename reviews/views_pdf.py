"""Downloads of the termly ratings' PDFs (reviews.pdf): each URL checks who may read what exactly as
the page it belongs to does, then serves the version's stored file, rendering it first only when
nobody has asked for this version before."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plans import selectors_school

from . import pdf
from . import selectors_trust as selectors
from .views_trust import _require_trust_wide, _school, _trust


@login_required
@require_GET
def plan_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Whoever reads the plan (its page's rule: a draft is not for staff); its ratings only for
    those the rating page lets in."""
    plan = selectors_school.school_plan(user=request.user, pk=pk)
    return pdf.school_plan(request.user, plan)


@login_required
@require_GET
def lgc_report_pdf(request: HttpRequest, slug: str, term: str) -> HttpResponse:
    school = _school(request, slug)
    return pdf.lgc_report(school, selectors.term_by_slug(term))


@login_required
@require_GET
def board_report_pdf(request: HttpRequest, term: str) -> HttpResponse:
    """The file once a worker has rendered this version; until then a page that says so."""
    _require_trust_wide(request)
    term_obj = selectors.term_by_slug(term)
    response, row = pdf.board_report(_trust(request), term_obj)
    if response is not None:
        return response
    return render(request, "reviews/pdf_preparing.html", {"row": row, "term": term_obj})
