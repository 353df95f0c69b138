"""The central team's people screens: list, add, edit, grant and remove roles, with history.

Only people the policy lets manage people reach these pages; anyone else signed in gets 403
(the pages' existence is no secret), anonymous visitors are sent to sign in.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from governance import policy
from schools.models import Trust
from smart_trust.rendered import data_version, digest, rendered

from . import onboarding, services
from .forms import PeopleImportForm, PersonEditForm, PersonForm, RoleGrantForm, RoleRemoveForm
from .models import Role, RoleAssignment, User
from .signals import PEOPLE


def _require_people_manager(request: HttpRequest) -> None:
    if not policy.can_manage_people(request.user):
        raise PermissionDenied("Only the central team manages people.")


def _trust(request: HttpRequest) -> Trust:
    return Trust.objects.of_person(request.user)


def _people(request: HttpRequest):
    """The people a manager may look up (User.objects.of_trust); anyone else answers 404."""
    return User.objects.of_trust(_trust(request))


@login_required
@require_http_methods(["GET"])
def people_list(request: HttpRequest) -> HttpResponse:
    _require_people_manager(request)
    trust = _trust(request)
    people = User.objects.of_trust(trust).order_by("full_name", "email")
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if query:
        people = people.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    if role in Role.values:
        people = people.filter(roles__role=role).distinct()
    number = request.GET.get("page", "")

    def context() -> dict:
        page = Paginator(people.prefetch_related("roles__school"), 50).get_page(number)
        return {"page": page, "query": query, "role": role}

    # Kept per version of the people data: any change to a person, a role or a school moves it on.
    key = ("people", data_version(PEOPLE), trust.pk, digest((query, role, number)))
    return render(
        request,
        "governance/people_list.html",
        {
            "people_page": rendered(key, "governance/_people_page.html", context),
            "query": query,
            "role": role,
            "roles": Role.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest) -> HttpResponse:
    _require_people_manager(request)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = services.person_create(
            email=form.cleaned_data["email"], full_name=form.cleaned_data["full_name"], by=request.user
        )
        messages.success(request, f"{person} added. Grant them a role below.")
        return redirect("person_detail", pk=person.pk)
    return render(request, "governance/person_form.html", {"form": form, "title": "Add a person"})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_people_manager(request)
    person = get_object_or_404(_people(request), pk=pk)
    # Before the form touches the instance, so the refusal names the person as they are.
    services.refuse_if_not_allowed(by=request.user, person=person, action="edit")
    form = PersonEditForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        services.person_update(by=request.user, person=person, **form.cleaned_data)
        messages.success(request, f"{person} saved.")
        return redirect("person_detail", pk=person.pk)
    return render(request, "governance/person_form.html", {"form": form, "title": f"Edit {person}", "person": person})


def _person_page(request: HttpRequest, person: User, grant_form: RoleGrantForm, status: int = 200) -> HttpResponse:
    history = (
        RoleAssignment.history.filter(user_id=person.pk, trust_id=_trust(request).pk)
        .select_related("history_user", "school")
        .order_by("-history_date")[:50]
    )
    return render(
        request,
        "governance/person_detail.html",
        {
            "person": person,
            "assignments": person.roles.filter(trust=_trust(request)).select_related("school", "trust", "granted_by"),
            "grant_form": grant_form,
            "remove_form": RoleRemoveForm(),
            "history": history,
            # Someone with more power than the manager: the page shows why instead of controls.
            "refusal": policy.person_refusal(request.user, person, "edit"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_people_manager(request)
    person = get_object_or_404(_people(request), pk=pk)
    form = RoleGrantForm(trust=_trust(request), offered_roles=policy.grantable_roles(request.user, person))
    return _person_page(request, person, form)


@login_required
@require_POST
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    _require_people_manager(request)
    person = get_object_or_404(_people(request), pk=pk)
    trust = _trust(request)
    form = RoleGrantForm(request.POST, trust=trust)
    if form.is_valid():
        try:
            assignment = services.role_grant(person=person, trust=trust, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"{person} is now {assignment}.")
            return redirect("person_detail", pk=person.pk)
    return _person_page(request, person, form, status=400)


@login_required
@require_POST
def role_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    _require_people_manager(request)
    assignment = get_object_or_404(
        RoleAssignment.objects.select_related("school", "trust", "user"),
        pk=assignment_pk,
        user_id=pk,
        trust=_trust(request),
    )
    form = RoleRemoveForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    label = str(assignment)
    services.role_remove(assignment=assignment, by=request.user, reason=reason)
    messages.success(request, f"Removed: {label}.")
    return redirect("person_detail", pk=pk)


# Onboarding from a CSV file: upload -> preview (nothing written) -> confirm (all or nothing).
IMPORT_SESSION_KEY = "people_import"


@login_required
@require_http_methods(["GET", "POST"])
def people_import(request: HttpRequest) -> HttpResponse:
    _require_people_manager(request)
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text, encoding = form.cleaned_data["file"], form.cleaned_data["encoding"]
        plan = onboarding.read_csv(text, trust=_trust(request), by=request.user)
        if plan.is_valid:
            request.session[IMPORT_SESSION_KEY] = {
                "text": text,
                "name": form.cleaned_data["file_name"],
                "encoding": encoding,
            }
        else:
            request.session.pop(IMPORT_SESSION_KEY, None)
        return _import_preview(request, plan, form.cleaned_data["file_name"], encoding=encoding)
    return render(
        request,
        "governance/people_import.html",
        {"form": form, "roles": Role.choices},
        status=400 if form.errors else 200,
    )


def _import_preview(
    request: HttpRequest, plan, file_name: str, *, encoding: str = "UTF-8", changed: bool = False
) -> HttpResponse:
    return render(
        request,
        "governance/people_import_preview.html",
        {"plan": plan, "file_name": file_name, "encoding": encoding, "changed_since_preview": changed},
        status=200 if plan.is_valid else 400,
    )


@login_required
@require_POST
def people_import_confirm(request: HttpRequest) -> HttpResponse:
    _require_people_manager(request)
    stored = request.session.get(IMPORT_SESSION_KEY)
    if not stored:
        messages.error(request, "There is no checked file to import (it may have expired): upload it again.")
        return redirect("people_import")
    trust = _trust(request)
    plan = onboarding.read_csv(stored["text"], trust=trust, by=request.user)
    # The people or schools may have changed since the preview; import only what was shown.
    if not plan.is_valid or plan.fingerprint() != request.POST.get("fingerprint"):
        return _import_preview(request, plan, stored["name"], encoding=stored.get("encoding", "UTF-8"), changed=True)
    onboarding.apply(plan, trust=trust, by=request.user)
    del request.session[IMPORT_SESSION_KEY]
    if plan.has_changes:
        counts = [
            (plan.people_to_create, "person added", "people added"),
            (plan.people_to_rename, "person renamed", "people renamed"),
            (plan.roles_to_grant, "role granted", "roles granted"),
            (plan.roles_to_update, "role updated", "roles updated"),
        ]
        done = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
        messages.success(request, f"Imported {stored['name']}: {done}.")
    else:
        messages.info(request, f"{stored['name']} matches what is already here: nothing changed.")
    return redirect("people")


@login_required
@require_http_methods(["GET"])
def people_import_template(request: HttpRequest) -> HttpResponse:
    _require_people_manager(request)
    response = HttpResponse(onboarding.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-template.csv"'
    return response
