"""The termly ratings' PDFs, from the same selectors and partials as their pages (smart_trust.pdf
keeps each once per version of its content):

- a school's SDP (or the BDP) with this term's ratings beside each action: the governors' rating
  and the leaders' self-assessment, and each priority's overall judgement; for a reader who may
  not see the ratings, the plan without them;
- the LGC report of a school for a term, and the Trust Board report of a term. The Board report
  is rendered by a worker (a trust of a hundred schools makes a hundred-page PDF, 15 to 35 s of
  WeasyPrint): its URL answers a "being prepared" page until the file is ready.

Each function answers the download (a FileResponse of the stored file). A key names everything
the PDF shows: the plan's content version, the ratings' data version (every rating, term date and
rating setting), the people's (names of leads and raters, schools), the term, the day the flags
were worked out on, the trust's branding and, for the plan, whether its ratings are shown.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance import policy
from governance.signals import PEOPLE
from plans import page_cache, plan_history
from plans.models import SchoolPlan
from plans.pdf import branding, filename
from schools.models import Trust
from smart_trust import pdf
from smart_trust.models import RenderedDocument
from smart_trust.rendered import data_versions

from . import selectors, selectors_trust
from . import selectors_reports as reports
from .models import TermDates
from .services import RATINGS, settings_for

# Part of each key here: bump it when these PDFs' templates change (smart_trust.pdf.STYLE_VERSION
# covers the shared stylesheet).
TEMPLATES_VERSION = "1"
# The heatmap's table, as the heatmap page and the Board report's page draw it.
HEATMAP_TABLE = "reviews/trust_heatmap_table.html"


def _html(template: str, context: dict, *, title: str, trust, running_title: str) -> str:
    return render_to_string(
        template,
        {
            **context,
            "title": title,
            "trust": trust,
            "font_pt": 9,
            "running_title": running_title,
            "site_url": settings.SITE_URL,
            "printed": timezone.localdate(),
        },
    )


# --- a plan with this term's ratings -----------------------------------------------------------


def shows_ratings(user, plan: SchoolPlan) -> bool:
    """Whether this person's PDF of the plan carries its ratings: a published plan, and a reader
    the rating page lets in."""
    allowed = settings_for(plan.trust).staff_see_ratings
    return plan.is_published and policy.can_view_ratings(user, plan, staff_allowed=allowed)


def school_plan(user, plan: SchoolPlan):
    """The plan, each action with this term's two voices beside it (or without ratings, for a
    reader who may not see them)."""
    term = selectors.term_now(plan.academic_year)
    with_ratings = shows_ratings(user, plan)
    key = pdf.key_for(
        "plan-ratings",
        TEMPLATES_VERSION,
        page_cache.plan_key(plan.pk, plan.created_at, plan.content_version),
        data_versions(RATINGS, PEOPLE),
        term.pk,
        "with ratings" if with_ratings else "plan only",
        branding(plan.trust),
    )
    title = f"{plan.title}: {term.label} ratings" if with_ratings else plan.title

    def make() -> pdf.Rendered:
        return pdf.render(
            _html(
                "pdf/school_plan.html",
                plan_context(plan, term, with_ratings),
                title=title,
                trust=plan.trust,
                running_title=title,
            )
        )

    name = filename(
        plan.owner_name, plan.get_kind_display(), plan.academic_year.slug, term.term if with_ratings else ""
    )
    return pdf.served("plan-ratings", key, title, make, name)


def plan_context(plan: SchoolPlan, term: TermDates, with_ratings: bool) -> dict:
    """The plan's tree; with the ratings, each action node gets `governors` and `self_assessment`
    and each priority node `judgement` (this term's)."""
    tree = plan_history.plan_tree(plan)
    if with_ratings:
        sheet = selectors.rating_sheet(plan=plan, term=term)
        actions = {row.action.pk: row for row in sheet.actions}
        priorities = {row.priority.pk: row for row in sheet.priorities}
        for node in tree:
            found = priorities.get(node.priority.pk)
            node.judgement = found.judgement if found else None
            node.spread = found.spread if found else None
            for a_node in node.actions:
                row = actions.get(a_node.action.pk)
                a_node.governors = row.governors if row else None
                a_node.self_assessment = row.self_assessment if row else None
    return {"plan": plan, "tree": tree, "term": term, "with_ratings": with_ratings}


# --- the LGC and Trust Board reports -----------------------------------------------------------


def lgc_report(school, term: TermDates):
    """The LGC report of the school for the term, as its page shows it."""
    plan = selectors_trust.published_sdp(trust=school.trust_id, school=school, year_id=term.academic_year_id)
    key = pdf.key_for(
        "lgc-report",
        TEMPLATES_VERSION,
        school.pk,
        term.pk,
        page_cache.plan_key(plan.pk, plan.created_at, plan.content_version) if plan else None,
        data_versions(RATINGS, PEOPLE),
        selectors.judged_on(term),
        branding(school.trust),
    )
    title = f"LGC report: {school.name}, {term.label}"

    def make() -> pdf.Rendered:
        report = reports.lgc_report(school=school, term=term)
        html = _html("pdf/report_lgc.html", {"report": report}, title=title, trust=school.trust, running_title=title)
        return pdf.render(html)

    name = filename(school.name, "lgc-report", term.slug)
    return pdf.served("lgc-report", key, title, make, name)


def board_key(trust, term: TermDates, today) -> str:
    terms = selectors_trust.all_terms()
    return pdf.key_for(
        "board-report",
        TEMPLATES_VERSION,
        trust.pk,
        selectors_trust.heatmap_version(trust=trust, term=term, terms=terms, today=today),
        branding(trust),
    )


def board_title(term: TermDates) -> str:
    return f"Trust Board report: {term.label}"


def render_board_report(trust_pk: int, term_pk: int) -> pdf.Rendered:
    """The Board report's PDF, in a worker (smart_trust.tasks.render_pdf): a trust of a hundred
    schools has a hundred pages of commentaries, too long a render for a request."""
    trust = Trust.objects.get(pk=trust_pk)
    term = TermDates.objects.select_related("academic_year").get(pk=term_pk)
    report = reports.board_report(trust=trust, term=term)
    table = render_to_string(HEATMAP_TABLE, {"map": report.heatmap})
    context = {"report": report, "map": report.heatmap, "table": mark_safe(table)}  # noqa: S308 - our template
    title = board_title(term)
    return pdf.render(_html("pdf/report_board.html", context, title=title, trust=trust, running_title=title))


pdf.RENDERERS["board-report"] = render_board_report


def board_report(trust, term: TermDates) -> tuple[FileResponse | None, RenderedDocument]:
    """The Trust Board report for the term, as its page shows it: the download when this version
    has been rendered, else None and the row of its render, asked of a worker if nobody has yet."""
    key, title = board_key(trust, term, timezone.localdate()), board_title(term)
    row = pdf.requested("board-report", key, title, [trust.pk, term.pk])
    if row.state != RenderedDocument.State.READY:
        return None, row
    name = filename(trust.short_name or trust.name, "board-report", term.slug)
    return pdf.served("board-report", key, title, lambda: render_board_report(trust.pk, term.pk), name), row
