"""Rating a plan for a term: one page with every priority and action, each rated with one key or
click and saved as it is made.

With JavaScript (static/js/rating.js) a rating is posted in the background and the server answers
with the action's card alone, re-rendered: saved, or with what to fix and the typing kept. Without
JavaScript the same form posts and the page comes back (at the card, with a message). The page
shows both voices side by side: the leaders' self-assessment and the governors' rating.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from governance import policy
from plans import selectors_school
from plans.models import Action, Aim, Priority, SchoolPlan
from schools.models import Trust
from smart_trust.rendered import data_versions, digest, kept, kept_many

from . import rules, selectors, services
from .models import Rating, RatingValue, TermDates, Voice

# The key that gives each rating on the page, shown on its button (static/js/rating.js knows the same keys).
KEYS = {"red": "R", "amber": "A", "green": "G", "not_yet_due": "N", "complete": "C"}

CARD = "reviews/_rate_card.html"
PRIORITY_CARD = "reviews/_rate_priority.html"
# A kept card holds this where the person's CSRF token goes; it is put in as the card is served.
CSRF_SLOT = "csrf-token-slot-0b8e"
# The card template's own text is part of each kept card's key, so a new release never serves a
# card rendered by the old template.
CARD_SOURCE = digest([(Path(__file__).parent / "templates" / CARD).read_bytes()])
# The page's body around the cards, kept whole per what it shows (_body_key).
BODY = "reviews/_rate_body.html"
BODY_SOURCE = digest([(Path(__file__).parent / "templates" / name).read_bytes() for name in (BODY, PRIORITY_CARD)])


def _staff_allowed(plan: SchoolPlan) -> bool:
    return services.settings_for(plan.trust).staff_see_ratings


def _voices(user, plan: SchoolPlan) -> list[str]:
    """The voices the person may give on this plan, the governors' first. An action's lead who is
    none of the plan's leaders self-assesses their own actions (one query, asked only of them)."""
    voices = []
    if policy.rates_as_governor(user, plan):
        voices.append(Voice.GOVERNORS)
    if policy.self_assesses(user, plan) or (
        policy.can_view_school_plan(user, plan) and Action.objects.filter(plan=plan, lead_id=user.pk).exists()
    ):
        voices.append(Voice.SELF)
    return voices


def _chosen(voices: list[str], wanted: str | None) -> str | None:
    return wanted if wanted in voices else (voices[0] if voices else None)


def _may_rate(user, plan: SchoolPlan, voice: str, item) -> bool:
    if voice == Voice.GOVERNORS:
        return policy.rates_as_governor(user, plan)
    if voice == Voice.SELF:
        return policy.self_assesses(user, plan, item if isinstance(item, Action) else None)
    return False


def _plan_and_term(request: HttpRequest, pk: int, term: str) -> tuple[SchoolPlan, TermDates]:
    plan = selectors_school.school_plan(user=request.user, pk=pk)
    if not policy.can_view_ratings(request.user, plan, staff_allowed=_staff_allowed(plan)):
        raise PermissionDenied("The ratings of this plan are for its writers, leaders and governors.")
    return plan, selectors.term_of(plan.academic_year, term)


def _sheet_context(
    request: HttpRequest, plan: SchoolPlan, term: TermDates, voice: str | None, voices: list[str] | None = None
) -> dict:
    sheet = selectors.rating_sheet(plan=plan, term=term)
    voices = _voices(request.user, plan) if voices is None else voices
    voice = _chosen(voices, voice)
    is_open = term.is_open()
    for n, prow in enumerate(sheet.priorities, start=1):
        for m, row in enumerate(prow.actions, start=1):
            row.number = f"{n}.{m}"
    for row in sheet.actions:
        row.editable = bool(voice and is_open and _may_rate(request.user, plan, voice, row.action))
        row.mine = row.governors if voice == Voice.GOVERNORS else row.self_assessment
        row.form = _form_values(row.mine)
        row.errors, row.just_saved = _errors({}), False
    for prow in sheet.priorities:
        prow.editable = bool(voice == Voice.GOVERNORS and is_open)
        prow.mine = prow.judgement
        prow.form = _form_values(prow.judgement)
        prow.errors, prow.just_saved = _errors({}), False
    rated = sum(1 for row in sheet.actions if row.mine is not None) if voice else 0
    return {
        "plan": plan,
        "sheet": sheet,
        "term": term,
        "terms": selectors.terms_of(plan.academic_year),
        "voice": voice,
        "voice_label": Voice(voice).label if voice else "",
        "voices": [(v, Voice(v).label) for v in voices],
        "is_open": is_open,
        "open_until": term.open_until(),
        "rated": rated,
        "total": len(sheet.actions),
        "values": _choices(sheet.values),
        "today": timezone.localdate(),
        "plan_summary": _plan_summary(sheet),
        "first_unrated": next((r for r in sheet.actions if r.editable and r.mine is None), None),
    }


def _plan_summary(sheet: selectors.Sheet) -> str:
    """The plan's figures this term in one line (sent again with every saved card, so the page's
    summary follows the ratings made on it)."""
    counts = sheet.counts
    parts = [f"{sheet.spread.text}."]
    if counts["overdue"]:
        parts.append(f"{counts['overdue']} overdue.")
    if counts["stale"]:
        parts.append(f"{counts['stale']} with no new evidence since last term.")
    if counts["disputed"]:
        parts.append(f"{counts['disputed']} for the LGC's questions (the voices disagree).")
    return " ".join(parts)


def _card_key(row, context: dict) -> str:
    """What an action's card shows: the action (its plan's content version covers its text, lead,
    criteria and evidence), both voices' ratings this term and last term's, and how it is shown."""

    def rating(r) -> tuple:
        return (r.pk, r.version, r.by.full_name) if r else ()

    term = context["term"]
    return digest([
        CARD_SOURCE, row.action.pk, context["plan"].content_version, row.number, context["voice"], row.editable,
        term.pk, context["is_open"], context["today"].isoformat(), tuple(context["sheet"].values),
        rating(row.self_assessment), rating(row.governors), rating(row.last_governors),
    ])  # fmt: skip


def _cards(request: HttpRequest, context: dict, *, token: str | None = None) -> None:
    """Each action's card as HTML (`row.html`): kept per what it shows, so a page of 60 actions
    renders only the cards that changed; one with the person's typing or errors is rendered afresh.
    `token`: what goes where the CSRF token goes (the person's own unless given)."""
    plain = {row.action.pk: row for row in context["sheet"].actions if not (row.errors["any"] or row.just_saved)}
    keys = {pk: _card_key(row, context) for pk, row in plain.items()}

    def render_cards(pks: list[int]) -> dict[int, str]:
        return {pk: render_to_string(CARD, {**context, "row": plain[pk], "csrf_token": CSRF_SLOT}) for pk in pks}

    kept = kept_many("rate-card", keys, render_cards)
    token = token or get_token(request)
    for row in context["sheet"].actions:
        if row.action.pk in kept:
            row.html = mark_safe(kept[row.action.pk].replace(CSRF_SLOT, token))  # noqa: S308 - our own template's output
        else:
            row.html = render_to_string(CARD, {**context, "row": row}, request=request)


def _body_key(request: HttpRequest, plan: SchoolPlan, term: TermDates, voice: str | None, voices: list[str]) -> str:
    """What the page's body shows: the plan's content (its version), every rating, term date and
    rating setting of the trust (the "ratings" version), names (the "people" version), the day,
    and what the person may do: their voice, and which actions they may rate in it."""
    user = request.user
    if voice == Voice.SELF and not policy.self_assesses(user, plan):
        editable = f"own actions of {user.pk}"
    else:
        editable = "all" if voice else "none"
    return digest([
        BODY_SOURCE, CARD_SOURCE, plan.pk, plan.content_version, data_versions(services.RATINGS, "people"),
        term.pk, timezone.localdate().isoformat(), voice, tuple(voices), editable,
    ])  # fmt: skip


@login_required
@require_GET
def sheet(request: HttpRequest, pk: int, term: str) -> HttpResponse:
    plan, term_obj = _plan_and_term(request, pk, term)
    if not plan.is_published:
        return render(request, "reviews/rate_not_yet.html", {"plan": plan, "term": term_obj})
    voices = _voices(request.user, plan)
    voice = _chosen(voices, request.GET.get("voice"))

    def body() -> str:
        context = _sheet_context(request, plan, term_obj, voice, voices)
        _cards(request, context, token=CSRF_SLOT)
        return render_to_string(BODY, {**context, "csrf_token": CSRF_SLOT})

    html = kept("rate-body:" + _body_key(request, plan, term_obj, voice, voices), body)
    page = mark_safe(html.replace(CSRF_SLOT, get_token(request)))  # noqa: S308 - our own template's output
    return render(request, "reviews/rate.html", {"plan": plan, "term": term_obj, "voice": voice, "body": page})


@login_required
@require_GET
def sheet_now(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's ratings for the term that matters now: the one open, else the latest begun."""
    plan, _ = _plan_and_term(request, pk, "autumn")
    term = selectors.term_now(plan.academic_year)
    return redirect("reviews:rate", pk=plan.pk, term=term.term)


@login_required
@require_GET
def action_history(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Every rating an action has had, each voice and term, with who gave it and when."""
    plan = selectors_school.school_plan(user=request.user, pk=pk)
    if not policy.can_view_ratings(request.user, plan, staff_allowed=_staff_allowed(plan)):
        raise PermissionDenied("The ratings of this plan are for its writers, leaders and governors.")
    action = get_object_or_404(Action, pk=item_pk, plan=plan)
    changes = (
        Rating.history.filter(action_id=action.pk)
        .select_related("history_user", "term__academic_year")
        .order_by("-history_date", "-history_id")
    )
    return render(request, "reviews/rating_history.html", {"plan": plan, "action": action, "changes": changes})


def _rate(request: HttpRequest, term: TermDates, voice: str, item, posted: dict) -> tuple[dict, int]:
    """Keep the person's rating; what to fix by field (none when kept) and the status to answer."""
    version = request.POST.get("version", "")
    try:
        services.rate(
            term=term,
            voice=voice,
            item=item,
            by=request.user,
            expected_version=int(version) if version.isdigit() else None,
            **posted,
        )
    except ValidationError as e:
        return (e.message_dict if hasattr(e, "error_dict") else {"all": e.messages}), 400
    except services.RatingConflict as e:
        return {"all": [_conflict(e.current)]}, 409
    return {}, 200


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@login_required
@require_POST
def rate_item(request: HttpRequest, pk: int, term: str, kind: str, item_pk: int) -> HttpResponse:
    plan, term_obj = _plan_and_term(request, pk, term)
    model = {"action": Action, "priority": Priority}.get(kind)
    if model is None:
        raise Http404("Ratings are of actions and priorities.")
    item = get_object_or_404(model, pk=item_pk, plan=plan)
    voice = request.POST.get("voice", "")
    if voice not in (Voice.GOVERNORS, Voice.SELF) or (kind == "priority" and voice != Voice.GOVERNORS):
        raise Http404("No such voice.")
    if not _may_rate(request.user, plan, voice, item):
        raise PermissionDenied("You do not give this rating.")
    posted = {k: request.POST.get(k, "") for k in ("value", "commentary", "current_value", "evidence")}
    errors, status = _rate(request, term_obj, voice, item, posted)
    anchor = f"{kind}-{item.pk}"
    if not _is_fetch(request):
        if not errors:
            messages.success(request, "Rating saved.")
            url = reverse("reviews:rate", kwargs={"pk": plan.pk, "term": term_obj.term})
            return redirect(f"{url}?voice={voice}#{anchor}")
        context = _sheet_context(request, plan, term_obj, voice)
        _keep_typing(context, kind, item.pk, posted, errors)
        _cards(request, context)
        context["body"] = render_to_string(BODY, context, request=request)
        return render(request, "reviews/rate.html", context, status=status)
    context = _sheet_context(request, plan, term_obj, voice)
    row = _keep_typing(context, kind, item.pk, posted if errors else None, errors)
    template = CARD if kind == "action" else PRIORITY_CARD
    html = render_to_string(template, {**context, "row": row, "prow": row}, request=request)
    response = HttpResponse(html, status=status)
    response["X-Rated"] = str(context["rated"])
    response["X-Total"] = str(context["total"])
    response["X-Plan-Summary"] = context["plan_summary"]
    return response


FIELDS = ("value", "commentary", "current_value", "evidence", "all")


def _errors(found: dict) -> dict:
    """What to fix, by field, with every field present (so templates never look up a missing key)."""
    return {**{name: found.get(name, []) for name in FIELDS}, "any": bool(found)}


def _choices(values: list[str]) -> list[dict]:
    return [{"value": v, "label": RatingValue(v).label, "key": KEYS[v]} for v in values]


def _conflict(current: Rating) -> str:
    who = current.by.full_name or current.by.email
    return (
        f"{who} rated this {current.get_value_display()} since you opened the page; their rating is shown. "
        "Choose again to replace it."
    )


def _form_values(rating) -> dict:
    if rating is None:
        return {"value": "", "commentary": "", "current_value": "", "evidence": "", "version": ""}
    return {
        "value": rating.value,
        "commentary": rating.commentary,
        "current_value": rating.current_value,
        "evidence": rating.evidence,
        "version": rating.version,
    }


def _keep_typing(context: dict, kind: str, pk: int, posted: dict | None, errors: dict):
    """Put what the person sent back on its card, with what to fix, so nothing typed is lost."""
    if kind == "action":
        row = next(r for r in context["sheet"].actions if r.action.pk == pk)
    else:
        row = next(p for p in context["sheet"].priorities if p.priority.pk == pk)
    if posted is not None:
        # Their typing, on top of the version now current (so choosing again replaces it).
        row.form = {**row.form, **posted}
    row.errors = _errors(errors)
    row.just_saved = not errors
    return row


# --- the trust's aims, rated by the trustees and the CEO ---------------------------------------

AIM_CARD = "reviews/_rate_aim.html"


def _aims_context(request: HttpRequest, term: TermDates) -> dict:
    trust = Trust.objects.of_person(request.user)
    y = term.academic_year.start_year
    aims = list(
        Aim.objects.filter(plan__trust=trust, plan__start_year__lte=y, plan__end_year__gt=y)
        .select_related("strand")
        .order_by("plan__start_year", "strand__order", "order", "pk")
    )
    figures = selectors.plan_figures(selectors.rated_plans(trust=trust, term=term), term)
    every = [a for f in figures.values() for a in f.actions]
    last_term = selectors.previous_term(term)
    ratings = {
        (r.term_id, r.aim_id): r
        for r in Rating.objects.filter(
            aim__in=aims, voice=Voice.TRUSTEES, term_id__in=[term.pk] + ([last_term.pk] if last_term else [])
        ).select_related("by")
    }
    editable = policy.rates_aims(request.user) and term.is_open()
    rows = []
    for aim in aims:
        under = [a for a in every if a.aim_id == aim.pk]
        mine = ratings.get((term.pk, aim.pk))
        rows.append(
            SimpleNamespace(
                aim=aim,
                spread=rules.Spread.of(a.counted for a in under),
                schools=sum(1 for f in figures.values() if f.under(aim.pk)),
                mine=mine,
                last=ratings.get((last_term.pk, aim.pk)) if last_term else None,
                form=_form_values(mine),
                errors=_errors({}),
                just_saved=False,
                editable=editable,
            )
        )
    return {
        "term": term,
        "rows": rows,
        "is_open": term.is_open(),
        "open_until": term.open_until(),
        "rated": sum(1 for r in rows if r.mine),
        "total": len(rows),
        "values": [
            {"value": v, "label": RatingValue(v).label, "key": KEYS[v]} for v in services.settings_for(trust).values
        ],
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def aims(request: HttpRequest, term: str) -> HttpResponse:
    if not policy.sees_trust_ratings(request.user):
        raise PermissionDenied("The trust's aim ratings are for trust-wide roles.")
    return render(request, "reviews/rate_aims.html", _aims_context(request, selectors.term_by_slug(term)))


@login_required
@require_POST
def rate_aim(request: HttpRequest, term: str, aim_pk: int) -> HttpResponse:
    if not policy.rates_aims(request.user):
        raise PermissionDenied("Trustees and the CEO rate the trust's aims.")
    term_obj = selectors.term_by_slug(term)
    trust = Trust.objects.of_person(request.user)
    aim = get_object_or_404(Aim, pk=aim_pk, plan__trust=trust)
    posted = {k: request.POST.get(k, "") for k in ("value", "commentary")}
    errors, status = _rate(request, term_obj, Voice.TRUSTEES, aim, posted)
    if not _is_fetch(request) and not errors:
        messages.success(request, "Rating saved.")
        return redirect(reverse("reviews:aims", kwargs={"term": term}) + f"#aim-{aim.pk}")
    context = _aims_context(request, term_obj)
    row = next(r for r in context["rows"] if r.aim.pk == aim.pk)
    if errors:
        row.form = {**row.form, **posted}
    row.errors = _errors(errors)
    row.just_saved = not errors
    if not _is_fetch(request):
        return render(request, "reviews/rate_aims.html", context, status=status)
    response = HttpResponse(render_to_string(AIM_CARD, {**context, "row": row}, request=request), status=status)
    response["X-Rated"] = str(context["rated"])
    return response
