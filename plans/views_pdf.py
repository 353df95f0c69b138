"""Downloads of the plan's PDFs (plans.pdf): each URL checks who may read what through the same
selectors as the page it belongs to, then serves the version's stored file, rendering it first
only when nobody has asked for this version before."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from smart_trust import pdf as documents
from smart_trust.models import RenderedDocument

from . import pdf, pdf_plan, selectors
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


@require_GET
def plan_pdf(request: HttpRequest, plan: str) -> HttpResponse:
    """The whole plan as a PDF, for whoever may read the plan: the file once a worker has rendered
    this version of the plan's content; until then a page that says so and how long it has been
    going (`?status=1`: the same as JSON, for static/js/pdf-wait.js to poll). A failed render
    stays failed until someone asks again (plan_pdf_retry), so polling never loops on it."""
    plan_obj = selectors.plan_for(request.user, plan)
    key = pdf_plan.full_plan_key(plan_obj)
    row = RenderedDocument.objects.filter(key=key).first() or pdf_plan.requested(plan_obj)
    if request.GET.get("status"):
        return _not_kept(JsonResponse({"state": row.state, "pages": row.pages}))
    if row.state == RenderedDocument.State.READY:
        try:
            handle = documents.storage().open(row.file, "rb")
        except FileNotFoundError:  # lost from storage: render it again
            documents.forget(key)
            row = pdf_plan.requested(plan_obj)
        else:
            return documents.download(handle, pdf_plan.full_plan_filename(plan_obj))
    seconds = int((timezone.now() - row.created_at).total_seconds())
    context = {"plan": plan_obj, "row": row, "seconds": seconds, "minutes": seconds // 60}
    return _not_kept(render(request, "plans/plan_pdf_wait.html", context))


def _not_kept(response: HttpResponse) -> HttpResponse:
    """A state that changes within seconds: never from a cache."""
    add_never_cache_headers(response)
    return response


@require_POST
def plan_pdf_retry(request: HttpRequest, plan: str) -> HttpResponse:
    """Ask again for a render that failed (a worker renders it afresh); otherwise nothing changes."""
    plan_obj = selectors.plan_for(request.user, plan)
    pdf_plan.requested(plan_obj)
    return redirect("plans:plan_pdf", plan=plan_obj.slug)
