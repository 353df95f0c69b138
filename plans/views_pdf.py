"""Downloads of the plan's PDFs (plans.pdf): each URL checks who may read what through the same
selectors as the page it belongs to, then serves the version's stored file, rendering it first
only when nobody has asked for this version before."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from . import pdf, selectors
from . import selectors_school as school_selectors


@require_GET
def pocket_guide_pdf(request: HttpRequest, plan: str, year: str) -> HttpResponse:
    plan_obj = selectors.plan_for(request.user, plan)
    guide = selectors.pocket_guide_heading(request.user, plan_obj, year)
    return pdf.pocket_guide(request.user, plan_obj, guide, year, request.path_info)


@login_required
@require_GET
def school_pocket_guide_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    plan = school_selectors.school_plan(user=request.user, pk=pk)
    return pdf.school_pocket_guide(plan)
