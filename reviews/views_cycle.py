"""The review cycle's pages for running it: the year's stages (the CEO), one stage with who still
owes what (anyone of the trust; a task stage marked done by whoever is responsible), the CEO's
changes to a stage, and the log of what is overdue, what was sent and what was held back (the CEO
and the central team; the CEO sends a failed message again). Who may do what is asked of
governance.policy; reads are in reviews.selectors_cycle, writes in reviews.services_cycle."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import policy
from schools.models import School, Trust

from . import notify, services_cycle
from . import selectors_cycle as selectors
from .forms_cycle import MarkDoneForm, StageForm
from .models_cycle import Due, Message, Stage


def _require(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)


def _stages_url(stage: Stage) -> str:
    return f"{reverse('cycle:stages')}?year={stage.academic_year.slug}#stage-{stage.pk}"


@login_required
@require_GET
def stages(request: HttpRequest) -> HttpResponse:
    _require(policy.runs_the_cycle(request.user), "The CEO runs the review cycle and its stages.")
    today = timezone.localdate()
    trust = Trust.objects.of_person(request.user)
    year = selectors.year_of(request.GET.get("year"), today)
    return render(
        request,
        "reviews/cycle/stages.html",
        {
            "year": year,
            "years": selectors.year_choices(today),
            "rows": selectors.year_stages(trust, year, today),
            "today": today,
        },
    )


def _stage_page(request: HttpRequest, stage: Stage, form: MarkDoneForm | None = None, status: int = 200):
    today = timezone.localdate()
    page = selectors.stage_page(request.user, stage, today)
    if form is None and page.may_mark:
        form = MarkDoneForm(places=page.may_mark)
    return render(
        request,
        "reviews/cycle/stage.html",
        {
            "page": page,
            "stage": stage,
            "form": form if page.may_mark else None,
            "today": today,
            "told": selectors.told_labels(stage),
            "is_term_stage": selectors.is_term_stage(stage),
            "runs_the_cycle": policy.runs_the_cycle(request.user),
        },
        status=status,
    )


@login_required
@require_GET
def stage(request: HttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(selectors.stages_of_trust(request.user), pk=pk)
    return _stage_page(request, stage)


@login_required
@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a stage; pk 0 adds one to the year named by ?year= (the current cycle's by default)."""
    _require(policy.runs_the_cycle(request.user), "Only the CEO changes the review cycle's stages.")
    trust = Trust.objects.of_person(request.user)
    if pk == 0:
        year = selectors.year_of(request.GET.get("year"), timezone.localdate())
        stage = Stage(trust=trust, academic_year=year, due_kind=Due.TASK)
    else:
        stage = get_object_or_404(selectors.stages_of_trust(request.user), pk=pk)
    adding = stage.pk is None
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        try:
            stage = services_cycle.stage_save(stage=form.instance, by=request.user)
        except ValidationError as exc:  # what the database's rules refuse, should the form miss it
            form.add_error(None, exc)
        else:
            verb = "Added" if adding else "Saved"
            messages.success(request, f"{verb} “{stage.name}” ({stage.academic_year.label}).")
            return redirect(_stages_url(stage))
    return render(
        request,
        "reviews/cycle/stage_form.html",
        {
            "stage": stage,
            "form": form,
            "adding": adding,
            "history": [] if adding else selectors.stage_history(stage),
        },
        status=400 if form.errors else 200,
    )


def _back(request: HttpRequest, stage: Stage) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cycle:stage", kwargs={"pk": stage.pk})


@login_required
@require_POST
def stage_done(request: HttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(selectors.stages_of_trust(request.user), pk=pk)
    if stage.due_kind != Due.TASK:
        messages.error(
            request,
            f"“{stage.name}” is not a task to mark done: it is done when {stage.get_due_kind_display().lower()}.",
        )
        return redirect(_back(request, stage))
    schools = list(School.objects.filter(trust=stage.trust).order_by("name"))
    anywhere = selectors.markable(request.user, stage, schools, done=set())
    _require(bool(anywhere), "Only whoever holds the stage's responsible role, or the CEO, marks it done.")
    page = selectors.stage_page(request.user, stage, timezone.localdate())
    form = MarkDoneForm(request.POST, places=page.may_mark)
    asked = request.POST.get("school", "")
    if asked:
        _require(any(str(pk) == asked for pk, _ in anywhere), "You may not mark this stage done for that school.")
    if not page.may_mark or (asked and not any(str(pk) == asked for pk, _ in page.may_mark)):
        # Done already wherever the person may mark it (or where they asked): say by whom and when.
        places = {str(pk) for pk, _ in anywhere} if not asked else {asked}
        done = [services_cycle.already_done(d) for d in page.done if str(d.school_id) in places]
        messages.error(request, " ".join(done[:3]) or f"“{stage.name}” is already marked done.")
        return redirect(_back(request, stage))
    if not form.is_valid():
        return _stage_page(request, stage, form=form, status=400)
    school_id = form.cleaned_data["school"]
    school = next((s for s in schools if s.pk == school_id), None)
    try:
        services_cycle.stage_mark_done(stage=stage, school=school, by=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        place = school.name if school else "the trust"
        messages.success(request, f"Marked “{stage.name}” done for {place}.")
    return redirect(_back(request, stage))


@login_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    _require(policy.sees_the_cycle_log(request.user), "The CEO and the central team read the cycle's log.")
    trust = Trust.objects.of_person(request.user)
    today = timezone.localdate()
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in selectors.OUTCOME_FILTERS else ""
    person = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "reviews/cycle/log.html",
        {
            "today": today,
            "overdue": selectors.overdue_now(trust, today),
            "summary": selectors.messages_of(trust),
            "page": selectors.decisions_of(trust, outcome=outcome, person=person, page=request.GET.get("page", 1)),
            "outcome": outcome,
            "outcomes": [(k, label) for k, (label, _) in selectors.OUTCOME_FILTERS.items()],
            "query": person,
            "filtered": bool(outcome or person),
            "can_retry": policy.runs_the_cycle(request.user),
            "failed": Message.State.FAILED,
            "pending": Message.State.PENDING,
        },
    )


@login_required
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _require(policy.runs_the_cycle(request.user), "Only the CEO sends a failed message again.")
    trust = Trust.objects.of_person(request.user)
    message = Message.objects.filter(pk=pk, recipient__roles__trust=trust).first()
    if message is None:
        raise Http404("No such message.")
    if message.state != Message.State.FAILED:
        messages.info(
            request, f"“{message.subject}” to {message.to} has not failed: it is {message.get_state_display().lower()}."
        )
    else:
        notify.retry(message, by=request.user)
        messages.success(request, f"“{message.subject}” to {message.to} will be sent again shortly.")
    return redirect(f"{reverse('cycle:log')}#messages")
