"""Changing school and business development plans in the browser: start one from the pocket guide,
write its priorities, actions and success criteria, record progress, take it through its life,
restore an earlier version of an item.

Every view finds the plan through plans.selectors_school (404 if the person may not see it) and asks
governance.policy whether they may change it (403 with the reason if not). Writes go through
plans.services and plans.workflow.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import policy
from schools.models import School

from . import plan_history, services, workflow
from . import selectors_school as selectors
from .forms import ActionForm, CriterionForm, PlanCreateForm, PriorityForm, ProgressForm, StepForm
from .models import Action, PlanState, Priority, SchoolPlan, SuccessCriterion
from .selectors_school import ITEM_NAMES

ITEM_FORMS = {"priority": PriorityForm, "action": ActionForm, "criterion": CriterionForm}


def _require_edit(request: HttpRequest, plan: SchoolPlan) -> None:
    if not policy.can_edit_school_plan(request.user, plan):
        if policy.writes_school_plan(request.user, plan):
            raise PermissionDenied(
                f"The plan is {plan.state_phrase}, so it cannot be changed now."
                + (" The CEO can reopen it." if plan.state == PlanState.SIGNED_OFF else "")
            )
        raise PermissionDenied("You may read this plan but not change it.")


def _back_to(plan: SchoolPlan, anchor: str = "") -> str:
    return plan.get_absolute_url() + (f"#{anchor}" if anchor else "")


# --- starting a plan -------------------------------------------------------------------------


def _start_refused(user, kind: str, school: School | None) -> str:
    """Why this person may not start this kind of plan there ("" when they may)."""
    if school is None:
        if policy.can_create_trust_wide_plan(user, kind):
            return ""
        return "A school development plan belongs to one school: choose your school."
    if policy.schools_for_new_plan(user, kind, School.objects.filter(pk=school.pk)).exists():
        return ""
    return f"You cannot start {'an SDP' if kind == 'sdp' else 'a BDP'} for {school.name}."


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if not policy.can_start_a_plan(request.user):
        raise PermissionDenied("Headteachers start their school's plan; TOLT starts the business plan.")
    start = selectors.plan_start(user=request.user)
    form = PlanCreateForm(request.POST or None, school_choices=start.school_choices)
    form.fields["academic_year"].queryset = start.years
    if not form.is_bound and start.years:
        form.initial["academic_year"] = start.years.last()
    if request.method == "POST" and form.is_valid():
        kind, where = form.cleaned_data["kind"], form.cleaned_data["school"]
        school = None if where == "trust" else School.objects.get(pk=where, trust=start.trust)
        refused = _start_refused(request.user, kind, school)
        if refused:
            form.add_error("school", refused)
        else:
            try:
                plan = services.plan_create(
                    trust=start.trust,
                    school=school,
                    kind=kind,
                    academic_year=form.cleaned_data["academic_year"],
                    by=request.user,
                    carry_forward=form.cleaned_data["carry_forward"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"{plan.title} started with the trust's priorities for the year.")
                return redirect(plan)
    return render(request, "plans/school/create.html", {"form": form}, status=400 if form.errors else 200)


# --- writing: priorities, actions, success criteria, evidence --------------------------------


def _conflict_rows(form, current) -> list[tuple[str, str, str]]:
    """Field by field: what the other person saved, what this person typed (only where they differ)."""
    rows = []
    for name in form._meta.fields:
        field = form.fields[name]
        theirs = getattr(current, name)
        yours = form.cleaned_data.get(name)
        if theirs != yours and not (theirs in (None, "") and yours in (None, "")):
            rows.append(
                (
                    str(field.label or name),
                    selectors.shown_value(current, name, theirs),
                    selectors.shown_value(current, name, yours),
                )
            )
    return rows


def _item_form(request, plan, kind, item, form_kwargs, title, parent=None) -> HttpResponse:
    form_class = ITEM_FORMS[kind]
    form = form_class(request.POST or None, instance=item, **form_kwargs)
    conflict = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.item_save(
                    item=item, values=form.values(), expected_version=form.cleaned_data["version"], by=request.user
                )
            except services.EditConflict as exc:
                conflict = {"by": exc.changed_by, "rows": _conflict_rows(form, exc.current), "current": exc.current}
                # Keep what they typed; saving again now replaces the other version on purpose.
                form.data = form.data.copy()
                form.data["version"] = exc.current.version
                status = 409
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
                status = 400
            else:
                messages.success(request, f"Saved the {ITEM_NAMES[kind]}.")
                request.session["draft_saved"] = request.path
                return redirect(_back_to(plan, f"{kind}-{saved.pk}"))
        else:
            status = 400
    return render(
        request,
        "plans/school/item_form.html",
        {
            "plan": plan,
            "form": form,
            "kind": kind,
            "item": item,
            "title": title,
            "conflict": conflict,
            "parent": parent,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def priority_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    _require_edit(request, plan)
    return _item_form(request, plan, "priority", Priority(plan=plan), {}, "Add a school priority")


# What each kind of item is added under: (the parent's model, the item's model, the item's field for it).
CHILD_ITEMS = {
    "action": (Priority, Action, "priority"),
    "criterion": (Action, SuccessCriterion, "action"),
}


def _child_add(request: HttpRequest, pk: int, parent_pk: int, kind: str, title: str) -> HttpResponse:
    """Add an action to one of the plan's priorities, or a success criterion to one of its actions:
    404 if the plan or the parent is not there to see, 403 if the person may not change it."""
    plan = selectors.school_plan(user=request.user, pk=pk)
    _require_edit(request, plan)
    parent_model, item_model, parent_field = CHILD_ITEMS[kind]
    parent = get_object_or_404(parent_model, pk=parent_pk, plan=plan)
    item = item_model(plan=plan, **{parent_field: parent})
    return _item_form(request, plan, kind, item, {"plan": plan}, title, parent=parent)


@login_required
@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, pk: int, parent_pk: int) -> HttpResponse:
    return _child_add(request, pk, parent_pk, "action", "Add an action")


@login_required
@require_http_methods(["GET", "POST"])
def criterion_add(request: HttpRequest, pk: int, parent_pk: int) -> HttpResponse:
    return _child_add(request, pk, parent_pk, "criterion", "Add a success criterion")


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    item = selectors.plan_item(plan=plan, kind=kind, pk=item_pk)
    _require_edit(request, plan)
    extra = {"plan": plan} if kind in ("action", "criterion") else {}
    return _item_form(request, plan, kind, item, extra, f"Edit the {ITEM_NAMES[kind]}")


@login_required
@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    item = selectors.plan_item(plan=plan, kind=kind, pk=item_pk)
    _require_edit(request, plan)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.item_delete(item=item, by=request.user, expected_version=version)
        except services.EditConflict as exc:
            who = exc.changed_by.full_name if exc.changed_by else "Someone else"
            messages.error(request, f"{who} changed this since you opened it: check it before removing it.")
            return redirect("school_plans:item_delete", pk=plan.pk, kind=kind, item_pk=item.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Removed the {ITEM_NAMES[kind]}. Its history keeps it: it can be put back.")
        return redirect(_back_to(plan))
    return render(request, "plans/school/item_delete.html", {"plan": plan, "item": item, "kind": kind})


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    item = selectors.plan_item(plan=plan, kind=kind, pk=item_pk)
    _require_edit(request, plan)
    try:
        services.item_move(item=item, by=request.user, up=request.POST.get("direction") == "up")
    except ValidationError as exc:  # the plan moved on between the page and the click
        messages.error(request, " ".join(exc.messages))
    return redirect(_back_to(plan, f"{kind}-{item.pk}"))


@login_required
@require_POST
def item_restore(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    _require_edit(request, plan)
    if kind not in ITEM_NAMES:
        raise Http404("No such kind of item.")
    model = plan_history.ITEM_MODELS[kind]
    try:
        history_id = int(request.POST.get("history_id", ""))
    except ValueError:
        raise Http404("No such version.") from None
    try:
        item = services.item_restore(model=model, item_pk=item_pk, plan=plan, history_id=history_id, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("school_plans:item_history", pk=plan.pk, kind=kind, item_pk=item_pk)
    messages.success(request, f"Restored the earlier version of the {ITEM_NAMES[kind]}; the restore is in its history.")
    return redirect(_back_to(plan, f"{kind}-{item.pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def progress(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    action = get_object_or_404(Action.objects.select_related("priority", "lead"), pk=item_pk, plan=plan)
    if not policy.can_add_evidence(request.user, plan, action):
        raise PermissionDenied("Progress is recorded by the plan's writers, its leaders and the action's lead.")
    form = ProgressForm(request.POST or None, action=action)
    if request.method == "POST" and form.is_valid():
        services.progress_update(action=action, by=request.user, **form.cleaned_data)
        messages.success(request, "Progress recorded.")
        request.session["draft_saved"] = request.path
        return redirect(_back_to(plan, f"action-{action.pk}"))
    return render(
        request,
        "plans/school/progress_form.html",
        {"plan": plan, "action": action, "form": form},
        status=400 if form.errors else 200,
    )


# --- the plan's life -------------------------------------------------------------------------


def _step_rule(step: str) -> workflow.StepRule:
    rule = workflow.STEPS.get(step)
    if rule is None:
        raise Http404("No such step.")
    return rule


def _safe_next(request: HttpRequest) -> bool:
    # Only the sign-off queue sends people back to itself.
    return request.POST.get("next") == reverse("school_plans:sign_off")


def _next(request: HttpRequest, plan: SchoolPlan) -> str:
    return request.POST.get("next") if _safe_next(request) else _back_to(plan)


@login_required
@require_POST
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    plan = selectors.school_plan(user=request.user, pk=pk)
    rule = _step_rule(step)
    if rule.confirm and request.POST.get("confirmed") != "yes" and workflow.may_take(request.user, plan, step):
        # One click never finalises or signs off: the person answers the question first.
        url = reverse("school_plans:step_confirm", args=[plan.pk, step])
        return redirect(url + (f"?next={request.POST['next']}" if _safe_next(request) else ""))
    form = StepForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        plan = workflow.take_step(plan=plan, step=step, by=request.user, comment=comment)
    except workflow.StepRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_next(request, plan))
    messages.success(request, f"{plan.title} {rule.done_phrase}.")
    return redirect(_next(request, plan))


@login_required
@require_GET
def step_confirm(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """ "Finalise this plan?": what the step will do, the SMART summary, and yes or no. Works
    without JavaScript; the step itself is taken by `step`."""
    plan = selectors.school_plan(user=request.user, pk=pk)
    rule = _step_rule(step)
    if not workflow.may_take(request.user, plan, step):
        raise PermissionDenied(f"The plan is {plan.state_phrase}: you cannot {rule.button.lower()} this plan now.")
    sign_off_queue = reverse("school_plans:sign_off")
    return render(
        request,
        "plans/school/step_confirm.html",
        {
            "plan": plan,
            "rule": rule,
            "report": selectors.smart_report(plan=plan),
            "next": sign_off_queue if request.GET.get("next") == sign_off_queue else "",
        },
    )
