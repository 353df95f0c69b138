"""Read-only pages of the strategic plan and its pocket guides."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from governance import policy

from . import page_cache, pdf, selectors, services
from .models import PocketGuide, Status, StrategicPlan


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    template: str
    prefetch: tuple[str, ...] = ()

    @property
    def body_template(self) -> str:
        """Its body, included by its page and by the full plan's PDF."""
        return f"plans/sections/_{self.slug.replace('-', '_')}.html"


# The plan's sections in the order of the document. Each gets its own URL (plans:<slug>).
SECTIONS = [
    Section("introduction", "Introduction", "plans/section_introduction.html"),
    Section("values", "Shared values", "plans/section_values.html", ("values",)),
    Section("principles", "Our principles", "plans/section_principles.html", ("principles",)),
    Section("vision", "Our shared vision", "plans/section_vision.html", ("vision__bullets",)),
    Section("key-documents", "Key documents", "plans/section_key_documents.html", ("key_documents",)),
    Section("roles", "Roles and responsibilities", "plans/section_roles.html", ("roles__duties",)),
    Section("review-cycle", "Our review cycle", "plans/section_review_cycle.html", ("review_cycle__activities",)),
    Section("references", "References and further reading", "plans/section_references.html", ("references",)),
    Section("glossary", "Glossary", "plans/section_glossary.html", ("glossary",)),
]
SECTIONS_BY_SLUG = {s.slug: s for s in SECTIONS}


def home_context(user) -> dict:
    """The strategic plans and pocket guides the person may read: the home page's first part
    (reviews.views_home adds what is waiting for them)."""
    plans = list(StrategicPlan.objects.visible_to(user).select_related("trust"))
    guides = list(PocketGuide.objects.visible_to(user).filter(plan__in=plans).select_related("academic_year", "plan"))
    return {"plans": plans, "guides": guides}


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = StrategicPlan.objects.visible_to(request.user).select_related("trust")
    return render(request, "plans/plan_list.html", {"plans": plans})


@require_GET
def contents(request: HttpRequest, plan: str) -> HttpResponse:
    plan_obj = selectors.plan_for(request.user, plan)

    def context() -> dict:
        strands, loose_aims = selectors.strands_with_aims(plan_obj)
        present = selectors.plan_sections(plan_obj)
        return {
            "plan": plan_obj,
            "strands": strands,
            "loose_aims": loose_aims,
            "guides": selectors.guides_for(request.user, plan_obj),
            "front_sections": [s for s in SECTIONS[:4] if s.slug in present],
            "back_sections": [s for s in SECTIONS[4:] if s.slug in present],
        }

    key = ("contents", plan_obj.pk, plan_obj.content_key, page_cache.audience(request.user))
    body = page_cache.rendered(key, "plans/_contents_body.html", context)
    return render(request, "plans/contents.html", {"plan": plan_obj, "body": body})


def section_context(plan: StrategicPlan, spec: Section) -> dict:
    """What a section's body (plans/sections/_<slug>.html) reads besides the plan: its page and
    the full plan's PDF (plans.pdf_plan)."""
    context = {}
    if spec.prefetch:
        name = spec.prefetch[0].split("__")[0]
        nested = [p.split("__", 1)[1] for p in spec.prefetch if "__" in p]
        context["items"] = getattr(plan, name).prefetch_related(*nested)
    if spec.slug == "principles":
        context["strands"] = plan.strands.prefetch_related("rights__principle")
    return context


@require_GET
def section(request: HttpRequest, plan: str, section: str) -> HttpResponse:
    plan_obj = selectors.plan_for(request.user, plan)
    spec = SECTIONS_BY_SLUG[section]
    sections = selectors.plan_sections(plan_obj)
    if section not in sections:
        raise Http404("This plan has no such section")
    context = {"plan": plan_obj, "section": spec, **section_context(plan_obj, spec)}
    # Previous and next among the sections this plan has: never a link to a page it lacks.
    present = [s for s in SECTIONS if s.slug in sections]
    index = present.index(spec)
    context["previous_section"] = present[index - 1] if index > 0 else None
    context["next_section"] = present[index + 1] if index + 1 < len(present) else None
    return render(request, spec.template, context)


@require_GET
def strand(request: HttpRequest, plan: str, strand: str) -> HttpResponse:
    plan_obj = selectors.plan_for(request.user, plan)
    strand_obj = plan_obj.strands.filter(slug=strand).first()
    if strand_obj is None:
        raise Http404("No such strand")
    rights = strand_obj.rights.select_related("principle").order_by("principle__order")
    aims = strand_obj.aims.select_related("plan").prefetch_related("focus_columns")
    return render(
        request,
        "plans/strand.html",
        {"plan": plan_obj, "strand": strand_obj, "rights": rights, "aims": aims},
    )


@require_GET
def aim(request: HttpRequest, plan: str, aim: str) -> HttpResponse:
    plan_obj = selectors.plan_for(request.user, plan)
    aim_obj = selectors.aim_heading(plan_obj, aim)
    key = ("aim", plan_obj.pk, aim_obj.pk, plan_obj.content_key, page_cache.audience(request.user))
    body = page_cache.rendered(
        key,
        "plans/_aim_body.html",
        lambda: {"plan": plan_obj, **selectors.aim_page(plan_obj, aim, request.user)},
    )
    return render(request, "plans/aim.html", {"plan": plan_obj, "aim": aim_obj, "body": body})


@require_GET
def pocket_guide(request: HttpRequest, plan: str, year: str) -> HttpResponse:
    plan_obj = selectors.plan_for(request.user, plan)
    guide = selectors.pocket_guide_heading(request.user, plan_obj, year)
    key = ("pocket-guide", plan_obj.pk, guide.pk, plan_obj.content_key, page_cache.audience(request.user))
    body = page_cache.rendered(
        key,
        "plans/_pocket_guide_body.html",
        lambda: {"plan": plan_obj, **selectors.pocket_guide_page(request.user, plan_obj, year)},
    )
    context = {"plan": plan_obj, "guide": guide, "body": body}
    context["pdf_url"] = reverse("plans:pocket_guide_pdf", kwargs={"plan": plan, "year": year})
    if policy.sees_drafts(request.user):  # those who publish it hear when its PDF does not fit
        context["pdf_note"] = pdf.pocket_guide_note(plan_obj, guide)
    context["may_publish"] = guide.status == Status.DRAFT and policy.publishes_pocket_guide(request.user)
    return render(request, "plans/pocket_guide.html", context)


@login_required
@require_POST
def pocket_guide_publish(request: HttpRequest, plan: str, year: str) -> HttpResponse:
    """The CEO publishes a draft pocket guide; every member of staff is e-mailed (reviews.notify)."""
    plan_obj = selectors.plan_for(request.user, plan)
    guide = selectors.pocket_guide_heading(request.user, plan_obj, year)
    if not policy.publishes_pocket_guide(request.user):
        raise PermissionDenied("Only the CEO publishes the pocket guide.")
    try:
        services.pocket_guide_publish(guide=guide, by=request.user)
    except services.GuideRefused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The {guide.academic_year.label} pocket guide is published; every member of staff "
                         "is being e-mailed a link to it and to its PDF.")  # fmt: skip
    return redirect("plans:pocket_guide", plan=plan, year=year)
