"""Schools: the list a person may see and one page per school."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance import policy
from schools.models import School
from smart_trust.rendered import digest, rendered

from .models import Role, RoleAssignment

LEADERSHIP = [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.MIDDLE_LEADER]


@require_GET
@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    heads = RoleAssignment.objects.filter(role=Role.HEADTEACHER).select_related("user")
    schools = list(
        policy.visible_schools(request.user, School.objects.select_related("trust")).prefetch_related(
            Prefetch("roles", queryset=heads, to_attr="heads")
        )
    )
    shown = [(s.slug, s.name, s.phase, s.urn, [str(r.user) for r in s.heads]) for s in schools]
    rows = rendered(("schools", digest(shown)), "schools/_school_rows.html", lambda: {"schools": schools})
    return render(request, "schools/school_list.html", {"schools": schools, "rows": rows})


@require_GET
@login_required
def school_detail(request: HttpRequest, slug: str) -> HttpResponse:
    school = School.objects.select_related("trust").filter(slug=slug).first()
    # Not yours: answer as if it did not exist.
    if school is None or not policy.can_view_school(request.user, school):
        raise Http404("No such school")
    people = list(school.roles.select_related("user").order_by("role", "user__full_name"))
    return render(
        request,
        "schools/school_detail.html",
        {
            "school": school,
            "leaders": [r for r in people if r.role in LEADERSHIP],
            "governors": [r for r in people if r.role == Role.LOCAL_GOVERNOR],
            "staff_count": sum(1 for r in people if r.role == Role.STAFF),
            # Through the school's own relation, so this app need not import the plans app.
            "plans": policy.visible_school_plans(request.user, school.plans.select_related("academic_year")),
        },
    )
