"""Reading school and business development plans in the browser: the list, the plan, its SMART
check and pocket guide, its history and an item's versions, the plan as signed off, and the CEO's
sign-off queue. Changing them is in plans.views_school_edit.

Each view picks the person, calls a selector (plans.selectors_school) and renders. A plan the person
may not see answers 404; a page of a plan they may see but that is not theirs to read answers 403.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from governance import policy

from . import page_cache, pdf, plan_history, services
from . import selectors_school as selectors
from .models import SchoolPlan

# The sign-off queue's rows, rendered apart so they can be kept (selectors.queue_rows_key).
QUEUE_ROWS = "plans/school/_sign_off_rows.html"
# A plan's history, kept per content version and the versions compared.
HISTORY_BODY = "plans/school/_history_body.html"


def _require_drafts(request: HttpRequest, plan: SchoolPlan) -> None:
    if not policy.sees_school_plan_drafts(request.user, plan):
        raise PermissionDenied("This page is for the people who write and agree the plan.")


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    page = selectors.plan_list(user=request.user, year_slug=request.GET.get("year"))
    # The rows show when each plan last changed: what its content version stands for, so the
    # costly reading of that moment (from every item's history) is done only for new rows.
    shown = [
        (page_cache.plan_key(p.pk, p.created_at, p.content_version), p.owner_name, p.kind, p.academic_year.label)
        for p in page["plans"]
    ]
    rows = page_cache.rendered(
        ("plan-list", page_cache.digest(shown)),
        "plans/school/_plan_rows.html",
        lambda: {"plans": selectors.with_last_change(page["plans"])},
    )
    return render(request, "plans/school/index.html", {**page, "rows": rows})


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    if policy.is_ceo(request.user):
        # The sign-off queue counts what changed since the CEO last opened the plan.
        services.plan_seen(plan=plan, by=request.user)
    context = selectors.plan_page(user=request.user, plan=plan)
    return render(request, "plans/school/detail.html", {"plan": plan, **context})


@login_required
@require_GET
def smart_check(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    _require_drafts(request, plan)
    context = {"plan": plan, "report": selectors.smart_report(plan=plan)}
    return render(
        request, "plans/school/smart.html", {**context, **selectors.step_buttons(user=request.user, plan=plan)}
    )


@login_required
@require_GET
def pocket_guide(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's own pocket guide: its priorities for the year on one page, from the plan."""
    plan = selectors.school_plan(user=request.user, pk=pk)
    body = page_cache.rendered(
        ("school-pocket-guide", page_cache.plan_key(plan.pk, plan.created_at, plan.content_version)),
        "plans/school/_pocket_guide_body.html",
        lambda: {"plan": plan, "tree": plan_history.plan_tree(plan)},
    )
    context = {"plan": plan, "body": body, "pdf_url": reverse("school_plans:pocket_guide_pdf", args=[plan.pk])}
    if policy.sees_school_plan_drafts(request.user, plan):  # its writers hear when the PDF does not fit
        context["pdf_note"] = pdf.note(pdf.school_pocket_guide_key(plan))
    return render(request, "plans/school/pocket_guide.html", context)


@login_required
@require_GET
def sign_off_queue(request: HttpRequest) -> HttpResponse:
    """September: every school's plan for the year, its state, SMART report, changes since the CEO
    last looked, and sign-off for each. A constant number of queries, whatever the trust's size."""
    if not policy.is_ceo(request.user):
        raise PermissionDenied("The sign-off queue is the CEO's.")
    queue = selectors.sign_off_queue(user=request.user, year_slug=request.GET.get("year"))
    rows = {"rows": queue["rows"], "next": reverse("school_plans:sign_off")}
    key = selectors.queue_rows_key(queue["rows"])
    if key is None:
        body = render_to_string(QUEUE_ROWS, rows, request)
    else:
        body = page_cache.rendered(("sign-off", request.user.pk, key), QUEUE_ROWS, lambda: rows)
    return render(request, "plans/school/sign_off_queue.html", {**queue, "table_body": body})


def _moment(request: HttpRequest, key: str) -> datetime.datetime | None:
    """A moment in the query string (`from`, `to`): None when absent, ValueError saying what is
    wrong when it is no date and time (2024-02-30 parses as a shape, then fails as a date)."""
    value = request.GET.get(key, "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{value} is not a date and time: write it like 2024-02-01T10:00.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@login_required
@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    _require_drafts(request, plan)
    try:
        older, newer = _moment(request, "from"), _moment(request, "to")
    except ValueError as exc:
        return render(request, "400.html", {"message": str(exc)}, status=400)
    up_to_now = older is not None and newer is None
    if up_to_now:
        newer = timezone.now()  # "what changed since": up to now (the sign-off queue's link)

    def context() -> dict:
        return {"plan": plan, **selectors.history_page(plan=plan, older=older, newer=newer)}

    if up_to_now:  # a moment of its own each time: nothing to keep
        body = render_to_string(HISTORY_BODY, context(), request)
    else:
        version = page_cache.plan_key(plan.pk, plan.created_at, plan.content_version)
        compared = (older and older.isoformat(), newer and newer.isoformat())
        body = page_cache.rendered(("history", version, *compared), HISTORY_BODY, context)
    return render(request, "plans/school/history.html", {"plan": plan, "body": body})


@login_required
@require_GET
def as_signed_off(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    context = selectors.signed_off_page(plan=plan)
    return render(request, "plans/school/as_signed_off.html", {"plan": plan, **context})


@login_required
@require_GET
def item_history(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    _require_drafts(request, plan)
    context = selectors.item_history_page(user=request.user, plan=plan, kind=kind, item_pk=item_pk)
    return render(request, "plans/school/item_history.html", {"plan": plan, **context})
