"""The monthly compliance checks (November to March): the overview of every school's months, a
school's month (read by its governors and leaders and trust-wide roles, recorded by its head and
senior leaders, the central team and the CEO), and the areas the trust checks (kept by the
central team and the CEO). Who may do what is governance.policy's; the writes are
reviews.compliance's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from governance import policy
from plans.models import AcademicYear
from schools.models import School, Trust

from . import compliance, selectors_cycle
from .cycle import cycle_start_year
from .forms_compliance import AreaFormSet, ChecksForm

SEES = "The compliance checks are read by trust-wide roles and by each school's governors and leaders."


def _require(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    trust = Trust.objects.of_person(user)
    schools = [s for s in School.objects.filter(trust=trust).order_by("name") if policy.sees_compliance(user, s.pk)]
    _require(bool(schools) or policy.has_trust_role(user), SEES)
    today = timezone.localdate()
    year = selectors_cycle.year_of(request.GET.get("year"), today)
    compliance.ensure_areas(trust)
    current = cycle_start_year(today)
    years = list(AcademicYear.objects.filter(start_year__lte=max(current, year.start_year)).order_by("-start_year"))
    return render(
        request,
        "reviews/compliance/overview.html",
        {
            "grid": compliance.grid(trust, year, schools, today),
            "today": today,
            "years": years,
            "is_current": year.start_year == current,
            "keeps_areas": policy.keeps_compliance_areas(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def school_month(request: HttpRequest, school: str, month: str) -> HttpResponse:
    first = compliance.parse_month(month)
    if first is None:
        raise Http404("Give the month as YYYY-MM, e.g. 2023-11.")
    user = request.user
    trust = Trust.objects.of_person(user)
    school = get_object_or_404(School.objects.select_related("trust"), trust=trust, slug=school)
    if not policy.can_view_school(user, school):
        raise Http404("No such school.")  # another school's people are not told it exists
    _require(policy.sees_compliance(user, school.pk), SEES)
    records = policy.records_compliance(user, school.pk)
    if request.method == "POST":
        _require(
            records, f"{school.name}'s headteacher and senior leaders, the central team and the CEO record its checks."
        )
    today = timezone.localdate()
    compliance.ensure_areas(trust)
    page = compliance.month_page(school, first, today)
    form = ChecksForm(request.POST or None, areas=page.areas, checks=page.checks)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = compliance.record_checks(school=school, month=first, by=user, rows=form.rows(), today=today)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _saved(page, changed, form))
                return redirect(request.path)
        elif page.refusal:
            form.add_error(None, page.refusal)
    earlier, later = page.neighbours()
    return render(
        request,
        "reviews/compliance/month.html",
        {
            "page": page,
            "form": form,
            "records": records and not page.refusal,
            "today": today,
            "earlier": earlier,
            "later": later,
            "year_slug": AcademicYear(start_year=cycle_start_year(first)).slug,
        },
        status=400 if form.errors else 200,
    )


def _saved(page: compliance.MonthPage, changed: list, form: ChecksForm) -> str:
    done, total = len(form.rows()), len(page.areas)
    where = f"{page.school.name}, {page.label}"
    if not changed:
        return f"Nothing was changed for {where}: {done} of {total} areas checked."
    if done >= total:
        return f"Saved the checks for {where}: all {total} areas checked."
    return f"Saved the checks for {where}: {done} of {total} areas checked so far."


@login_required
@require_http_methods(["GET", "POST"])
def areas(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(policy.keeps_compliance_areas(user), "The central team and the CEO name the areas each school checks.")
    trust = Trust.objects.of_person(user)
    compliance.ensure_areas(trust)
    formset = AreaFormSet(
        request.POST or None,
        queryset=compliance.areas_with_counts(trust),
        initial=[{"order": compliance.next_area_order(trust), "is_active": True}],
    )
    if request.method == "POST" and formset.is_valid():
        changed = formset.save(commit=False)
        try:
            compliance.areas_save(trust=trust, areas=changed, by=user)
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(
                request,
                f"Saved {len(changed)} area{'s' if len(changed) != 1 else ''}." if changed else "Nothing was changed.",
            )
            return redirect(request.path)
    return render(
        request,
        "reviews/compliance/areas.html",
        {"formset": formset, "history": compliance.area_history(trust)},
        status=400 if request.method == "POST" else 200,
    )
