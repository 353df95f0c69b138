"""The whole strategic plan as one PDF, as the printed plan reads: a cover, the contents with page
numbers, the front sections, the latest published pocket guide on a landscape page, each strand
with its rights and a page per aim, then the back sections. Every part comes from the same
selectors and body templates as its page, for the published audience (what anyone may read).

A render takes a few seconds (thirty-odd pages), so a worker makes it (smart_trust.pdf.requested,
smart_trust.tasks.render_pdf); it is kept once per version of the plan's content and branding.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.utils import timezone

from smart_trust import pdf

from . import selectors
from .models import PocketGuide, StrategicPlan
from .pdf import branding, filename
from .views import SECTIONS, section_context

KIND = "full-plan"
# The sections before the pocket guide and the strands; the rest follow the aims (plans.views).
FRONT = {"introduction", "values", "principles", "vision"}


def full_plan_key(plan: StrategicPlan) -> str:
    """Names everything the PDF shows: the plan, its content's version (aims, guides, sections:
    plans.signals moves it on at every write) and the trust's branding."""
    return pdf.key_for(KIND, plan.pk, plan.content_key, branding(plan.trust))


def full_plan_title(plan: StrategicPlan) -> str:
    return f"{plan.title} – {plan.trust.name}"


def full_plan_filename(plan: StrategicPlan) -> str:
    return filename(plan.trust.short_name or plan.trust.name, plan.short_title or plan.slug)


def latest_published_guide(plan: StrategicPlan) -> PocketGuide | None:
    return (
        PocketGuide.objects.visible_to(AnonymousUser())
        .filter(plan=plan)
        .select_related("academic_year")
        .order_by("-academic_year__start_year")
        .first()
    )


def full_plan_context(plan: StrategicPlan) -> dict:
    """The parts of the document in order, each with its page's context (published audience)."""
    reader = AnonymousUser()
    present = selectors.plan_sections(plan)
    sections = [{"section": s, **section_context(plan, s)} for s in SECTIONS if s.slug in present]
    strands, loose_aims = selectors.strands_with_aims(plan)
    for strand in strands:
        strand.rights_list = list(strand.rights.select_related("principle").order_by("principle__order"))
        strand.aim_pages = [selectors.aim_page(plan, aim.code, reader) for aim in strand.aim_list]
    guide = latest_published_guide(plan)
    return {
        "plan": plan,
        "front_sections": [s for s in sections if s["section"].slug in FRONT],
        "back_sections": [s for s in sections if s["section"].slug not in FRONT],
        "guide_page": selectors.pocket_guide_page(reader, plan, guide.academic_year.slug) if guide else None,
        "strands": strands,
        "loose_aim_pages": [selectors.aim_page(plan, aim.code, reader) for aim in loose_aims],
    }


def full_plan_html(plan: StrategicPlan) -> str:
    title = full_plan_title(plan)
    return render_to_string(
        "pdf/plan.html",
        {
            **full_plan_context(plan),
            "title": title,
            "trust": plan.trust,
            "font_pt": 10,
            "running_title": plan.title,
            "site_url": settings.SITE_URL,
            "printed": timezone.localdate(),
        },
    )


def full_plan(plan_id: int) -> pdf.Rendered:
    """Rendered in a worker (smart_trust.pdf.RENDERERS["full-plan"])."""
    plan = StrategicPlan.objects.select_related("trust").get(pk=plan_id)
    return pdf.render(full_plan_html(plan))


pdf.RENDERERS[KIND] = full_plan


def requested(plan: StrategicPlan):
    """The row of this version's PDF, asking a worker to render it if nobody has yet."""
    return pdf.requested(KIND, full_plan_key(plan), full_plan_title(plan), [plan.pk])
