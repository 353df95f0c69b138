"""School and business development plans in the browser: start one from the pocket guide, write
it, check it against SMART, move it through its life, see its history, and the CEO's sign-off queue.

Every view asks governance.policy: a plan the person may not see answers 404; a plan they may see
but not change answers 403. Writes go through plans.services and plans.workflow.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import policy
from schools import formats
from schools.models import School, Trust

from . import plan_history, services, smart, workflow
from .forms import ActionForm, CriterionForm, PlanCreateForm, PriorityForm, ProgressForm, StepForm
from .models import (
    AcademicYear,
    Action,
    PlanEvent,
    PlanSeen,
    PlanState,
    PocketGuide,
    Priority,
    SchoolPlan,
    Step,
    SuccessCriterion,
)

ITEM_FORMS = {"priority": PriorityForm, "action": ActionForm, "criterion": CriterionForm}
ITEM_NAMES = {"priority": "priority", "action": "action", "criterion": "success criterion"}


def _plan_for(request: HttpRequest, pk: int) -> SchoolPlan:
    plan = get_object_or_404(SchoolPlan.objects.select_related("school", "trust", "academic_year"), pk=pk)
    if not policy.can_view_school_plan(request.user, plan):
        raise Http404("No such plan.")
    return plan


def _require_edit(request: HttpRequest, plan: SchoolPlan) -> None:
    if not policy.can_edit_school_plan(request.user, plan):
        if policy.writes_school_plan(request.user, plan):
            raise PermissionDenied(
                f"The plan is {plan.state_phrase}, so it cannot be changed now."
                + (" The CEO can reopen it." if plan.state == PlanState.SIGNED_OFF else "")
            )
        raise PermissionDenied("You may read this plan but not change it.")


def _require_drafts(request: HttpRequest, plan: SchoolPlan) -> None:
    if not policy.sees_school_plan_drafts(request.user, plan):
        raise PermissionDenied("This page is for the people who write and agree the plan.")


def _item(plan: SchoolPlan, kind: str, item_pk: int):
    if kind not in ITEM_FORMS:
        raise Http404("No such kind of item.")
    return get_object_or_404(plan_history.ITEM_MODELS[kind], pk=item_pk, plan=plan)


def _back_to(plan: SchoolPlan, anchor: str = "") -> str:
    return plan.get_absolute_url() + (f"#{anchor}" if anchor else "")


# --- reading ---------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    plans = (
        SchoolPlan.objects.visible_to(request.user)
        .with_last_change()
        .select_related("school", "trust", "academic_year")
    )
    return render(request, "plans/school/index.html", {"plans": plans})


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    tree = plan_history.plan_tree(plan)
    if policy.is_ceo(request.user):
        PlanSeen.objects.update_or_create(user=request.user, plan=plan, defaults={"seen_at": timezone.now()})
    # Progress is recorded by the plan's writers and leaders on every action, and by each
    # action's lead on their own: asked per action, not once for the plan.
    for node in tree:
        for a_node in node.actions:
            a_node.may_record_progress = policy.can_add_evidence(request.user, plan, a_node.action)
    events = list(plan.events.select_related("by"))
    for event in events:
        event.sentence = workflow.event_sentence(event)
    steps = workflow.steps_for(request.user, plan)
    return render(
        request,
        "plans/school/detail.html",
        {
            "plan": plan,
            "tree": tree,
            "report": smart.report_for_tree(tree, plan.academic_year),
            "events": events,
            "signed_off": next((e for e in reversed(events) if e.step == Step.SIGN_OFF), None),
            "steps": steps,
            "review_step": next((rule for rule in steps if rule.review_first), None),
            "can_edit": policy.can_edit_school_plan(request.user, plan),
            "sees_drafts": policy.sees_school_plan_drafts(request.user, plan),
        },
    )


@login_required
@require_GET
def smart_check(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    _require_drafts(request, plan)
    tree = plan_history.plan_tree(plan)
    steps = workflow.steps_for(request.user, plan)
    return render(
        request,
        "plans/school/smart.html",
        {
            "plan": plan,
            "report": smart.report_for_tree(tree, plan.academic_year),
            "steps": steps,
            "review_step": next((rule for rule in steps if rule.review_first), None),
        },
    )


@login_required
@require_GET
def pocket_guide(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's own pocket guide: its priorities for the year on one page, from the plan."""
    plan = _plan_for(request, pk)
    return render(request, "plans/school/pocket_guide.html", {"plan": plan, "tree": plan_history.plan_tree(plan)})


# --- starting a plan -------------------------------------------------------------------------


def _school_choices(user, trust: Trust) -> list[tuple[str, str]]:
    choices = []
    if policy.can_create_trust_wide_plan(user, "bdp"):
        choices.append(("trust", f"{trust.name} (trust-wide BDP)"))
    schools = policy.schools_for_new_plan(user, "bdp", School.objects.filter(trust=trust))
    choices += [(str(s.pk), s.name) for s in schools]
    return choices


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if not policy.can_start_a_plan(request.user):
        raise PermissionDenied("Headteachers start their school's plan; TOLT starts the business plan.")
    trust = Trust.objects.of_person(request.user)
    years = AcademicYear.objects.filter(
        pk__in=PocketGuide.objects.filter(plan__trust=trust).published().values("academic_year")
    )
    form = PlanCreateForm(request.POST or None, school_choices=_school_choices(request.user, trust))
    form.fields["academic_year"].queryset = years
    if not form.is_bound and years:
        form.initial["academic_year"] = years.last()
    if request.method == "POST" and form.is_valid():
        kind, where = form.cleaned_data["kind"], form.cleaned_data["school"]
        school = None if where == "trust" else School.objects.get(pk=where, trust=trust)
        allowed = (
            policy.can_create_trust_wide_plan(request.user, kind)
            if school is None
            else policy.schools_for_new_plan(request.user, kind, School.objects.filter(pk=school.pk)).exists()
        )
        if not allowed:
            form.add_error(
                "school",
                "A school development plan belongs to one school: choose your school."
                if school is None
                else f"You cannot start {'an SDP' if kind == 'sdp' else 'a BDP'} for {school.name}.",
            )
        else:
            try:
                plan = services.plan_create(
                    trust=trust,
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
                (str(field.label or name), _shown_value(current, name, theirs), _shown_value(current, name, yours))
            )
    return rows


def _shown_value(item, name: str, value) -> str:
    """A field's value as the page writes it: choices by their label, money and numbers as people write them."""
    if value in (None, ""):
        return "–"
    field = item._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "cost":
        return formats.money(value)
    if isinstance(value, Decimal):
        return formats.number(value)
    return str(value)


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
    plan = _plan_for(request, pk)
    _require_edit(request, plan)
    return _item_form(request, plan, "priority", Priority(plan=plan), {}, "Add a school priority")


@login_required
@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, pk: int, parent_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    _require_edit(request, plan)
    priority = get_object_or_404(Priority, pk=parent_pk, plan=plan)
    item = Action(plan=plan, priority=priority)
    return _item_form(request, plan, "action", item, {"plan": plan}, "Add an action", parent=priority)


@login_required
@require_http_methods(["GET", "POST"])
def criterion_add(request: HttpRequest, pk: int, parent_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    _require_edit(request, plan)
    action = get_object_or_404(Action, pk=parent_pk, plan=plan)
    item = SuccessCriterion(plan=plan, action=action)
    return _item_form(request, plan, "criterion", item, {"plan": plan}, "Add a success criterion", parent=action)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    item = _item(plan, kind, item_pk)
    _require_edit(request, plan)
    extra = {"plan": plan} if kind in ("action", "criterion") else {}
    return _item_form(request, plan, kind, item, extra, f"Edit the {ITEM_NAMES[kind]}")


@login_required
@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    item = _item(plan, kind, item_pk)
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
    plan = _plan_for(request, pk)
    item = _item(plan, kind, item_pk)
    _require_edit(request, plan)
    try:
        services.item_move(item=item, by=request.user, up=request.POST.get("direction") == "up")
    except ValidationError as exc:  # the plan moved on between the page and the click
        messages.error(request, " ".join(exc.messages))
    return redirect(_back_to(plan, f"{kind}-{item.pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def progress(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
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


def _step_rule(request: HttpRequest, plan: SchoolPlan, step: str) -> workflow.StepRule:
    rule = workflow.STEPS.get(step)
    if rule is None:
        raise Http404("No such step.")
    return rule


def _next(request: HttpRequest, plan: SchoolPlan) -> str:
    return request.POST.get("next") if _safe_next(request) else _back_to(plan)


@login_required
@require_POST
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    plan = _plan_for(request, pk)
    rule = _step_rule(request, plan, step)
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
    plan = _plan_for(request, pk)
    rule = _step_rule(request, plan, step)
    if not workflow.may_take(request.user, plan, step):
        raise PermissionDenied(f"The plan is {plan.state_phrase}: you cannot {rule.button.lower()} this plan now.")
    sign_off_queue = reverse("school_plans:sign_off")
    return render(
        request,
        "plans/school/step_confirm.html",
        {
            "plan": plan,
            "rule": rule,
            "report": smart.report_for_tree(plan_history.plan_tree(plan), plan.academic_year),
            "next": sign_off_queue if request.GET.get("next") == sign_off_queue else "",
        },
    )


def _safe_next(request: HttpRequest) -> bool:
    # Only the sign-off queue sends people back to itself.
    return request.POST.get("next") == reverse("school_plans:sign_off")


@login_required
@require_GET
def sign_off_queue(request: HttpRequest) -> HttpResponse:
    """September: every school's plan for the year, its state, SMART report, changes since the CEO
    last looked, and sign-off for each. A constant number of queries, whatever the trust's size."""
    if not policy.is_ceo(request.user):
        raise PermissionDenied("The sign-off queue is the CEO's.")
    trust = Trust.objects.of_person(request.user)
    years = list(AcademicYear.objects.filter(pk__in=SchoolPlan.objects.filter(trust=trust).values("academic_year")))
    year = next((y for y in years if y.slug == request.GET.get("year")), years[-1] if years else None)
    plans = list(
        SchoolPlan.objects.filter(trust=trust, academic_year=year).select_related("school", "trust", "academic_year")
    )
    actions = (
        Action.objects.filter(plan__in=plans)
        .select_related("lead")
        .prefetch_related("criteria")
        .order_by("priority__order", "order", "pk")
    )
    by_plan: dict[int, list] = {p.pk: [] for p in plans}
    for action in actions:
        by_plan[action.plan_id].append(action)
    empty = dict(
        Priority.objects.filter(plan__in=plans, actions__isnull=True)
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values_list("plan_id", "n")
    )
    seen = dict(PlanSeen.objects.filter(user=request.user, plan__in=plans).values_list("plan_id", "seen_at"))
    changed = _changes_since(plans, request.user)
    # Never opened: what changed since the LGC agreed it (or, before that, since it was submitted).
    since_governors: dict[int, object] = {}
    for plan_id, _step, at in (
        PlanEvent.objects.filter(plan__in=plans, step__in=[Step.SUBMIT, Step.AGREE])
        .order_by("at")  # the latest of each step wins
        .values_list("plan_id", "step", "at")
    ):
        since_governors.setdefault(plan_id, {})[_step] = at
    now = timezone.now()
    rows = []
    for p in plans:
        events = since_governors.get(p.pk, {})
        rows.append(
            {
                "plan": p,
                "report": smart.report_for_actions(by_plan[p.pk], p.academic_year, empty_priorities=empty.get(p.pk, 0)),
                "seen_at": seen.get(p.pk),
                "since": seen.get(p.pk) or events.get(Step.AGREE) or events.get(Step.SUBMIT),
                "since_what": "the LGC agreed it" if Step.AGREE in events else "it was submitted",
                "changes": changed.get(p.pk, 0),
                "now": now,
                "steps": [rule for rule in workflow.steps_for(request.user, p) if rule.forward],
                "signed_off": p.state == PlanState.SIGNED_OFF,
            }
        )
    schools_with_sdp = {p.school_id for p in plans if p.kind == "sdp"}
    missing = School.objects.filter(trust=trust).exclude(pk__in=schools_with_sdp)
    return render(
        request,
        "plans/school/sign_off_queue.html",
        {"rows": rows, "year": year, "years": years, "missing": missing, "next": reverse("school_plans:sign_off")},
    )


def _changes_since(plans: list[SchoolPlan], user) -> dict[int, int]:
    """How many recorded changes each plan's items have had since the person last saw it (all
    changes when never seen), counted by the database: one query per item type, whatever the
    number of plans or changes."""
    seen = PlanSeen.objects.filter(user=user, plan_id=OuterRef("plan_id")).values("seen_at")
    counts: dict[int, int] = {}
    for model in plan_history.ITEM_MODELS.values():
        rows = (
            model.history.filter(plan_id__in=[p.pk for p in plans])
            .annotate(seen_at=Subquery(seen))
            .filter(Q(seen_at__isnull=True) | Q(history_date__gt=F("seen_at")))
            .values("plan_id")
            .annotate(n=Count("history_id"))
            .values_list("plan_id", "n")
        )
        for plan_id, n in rows:
            counts[plan_id] = counts.get(plan_id, 0) + n
    return counts


# --- history ---------------------------------------------------------------------------------


@login_required
@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    _require_drafts(request, plan)
    changes = plan_history.changes(plan, limit=None)
    older, newer = parse_datetime(request.GET.get("from", "")), parse_datetime(request.GET.get("to", ""))
    compared = None
    # The versions the two lists show: by default the first and the latest; when comparing two
    # moments (e.g. "since you last looked"), the version each moment falls in.
    selected = {"from": changes[-1].key if changes else None, "to": changes[0].key if changes else None}
    if older and newer:
        older, newer = min(older, newer), max(older, newer)
        compared = {"from": older, "to": newer, "lines": plan_history.diff(plan, older, newer)}
        for key, moment in (("from", older), ("to", newer)):
            version = next((c for c in changes if c.at <= moment), changes[-1] if changes else None)
            selected[key] = version.key if version else None
    return render(
        request,
        "plans/school/history.html",
        {
            "plan": plan,
            "changes": changes[:200],
            "versions": changes,
            "compared": compared,
            "selected": selected,
            "signed_off": plan_history.signed_off_at(plan),
        },
    )


@login_required
@require_GET
def as_signed_off(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    event = plan_history.signed_off_at(plan)
    if event is None:
        raise Http404("This plan has not been signed off.")
    tree = plan_history.plan_tree_at(plan, event.at)
    return render(request, "plans/school/as_signed_off.html", {"plan": plan, "tree": tree, "event": event})


@login_required
@require_GET
def item_history(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    _require_drafts(request, plan)
    if kind not in ITEM_FORMS:
        raise Http404("No such kind of item.")
    model = plan_history.ITEM_MODELS[kind]
    records = list(
        model.history.filter(id=item_pk, plan_id=plan.pk).select_related("history_user").order_by("-history_date")
    )
    if not records:
        raise Http404("No such item.")
    fields = services.RESTORED_FIELDS[model]
    # The people, aims and milestones the versions point at, one query each, not one per version.
    related = {
        f: model._meta.get_field(f.removesuffix("_id")).related_model.objects.in_bulk(
            {getattr(r, f) for r in records if getattr(r, f)}
        )
        for f in fields
        if f.endswith("_id")
    }
    versions = [
        {
            "record": r,
            "values": [
                (model._meta.get_field(f.removesuffix("_id")).verbose_name, _shown(r, f, related)) for f in fields
            ],
        }
        for r in records
    ]
    exists = model.objects.filter(pk=item_pk).exists()
    return render(
        request,
        "plans/school/item_history.html",
        {
            "plan": plan,
            "kind": kind,
            "name": ITEM_NAMES[kind],
            "item_pk": item_pk,
            "versions": versions,
            "exists": exists,
            "can_edit": policy.can_edit_school_plan(request.user, plan),
        },
    )


def _shown(record, field: str, related: dict) -> str:
    if field.endswith("_id"):
        target = related[field].get(getattr(record, field))
        return str(target) if target else "–"
    return _shown_value(record, field, getattr(record, field))


@login_required
@require_POST
def item_restore(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    plan = _plan_for(request, pk)
    _require_edit(request, plan)
    if kind not in ITEM_FORMS:
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
