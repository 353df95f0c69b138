"""The plan's PDFs, from the same selectors and body templates as its pages (smart_trust.pdf keeps
each once per version of its content):

Each function answers the download (a FileResponse of the stored file).

- the trust's pocket guide for a year, and a school's own pocket guide (from its plan), each on one
  A4 landscape page: the type shrinks from 10 pt to 6.5 pt to fit, and when even that does not fit
  the PDF runs over and its row says so, for the person who publishes it.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from smart_trust import pdf
from smart_trust.models import RenderedDocument

from . import page_cache, plan_history, selectors

# The pocket guide's type sizes, largest first (points): the first that fits one page is used.
GUIDE_SIZES = [10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5]


def branding(trust) -> tuple:
    return (trust.name, trust.colour, trust.accent_colour, trust.logo.name if trust.logo else "")


def _page(template: str, context: dict, *, title: str, trust, running_title: str = ""):
    def html_at(size: float) -> str:
        return render_to_string(
            template,
            {
                **context,
                "title": title,
                "trust": trust,
                "font_pt": size,
                "running_title": running_title,
                "site_url": settings.SITE_URL,
            },
        )

    return html_at


def pocket_guide_key(user, plan, guide, audience: str | None = None) -> str:
    audience = audience or page_cache.audience(user)
    return pdf.key_for("pocket-guide", plan.pk, guide.pk, plan.content_key, audience, branding(plan.trust))


def pocket_guide_note(plan, guide) -> str:
    """Whether this version's guide, as anyone has downloaded it, did not fit one page."""
    keys = [pocket_guide_key(None, plan, guide, audience) for audience in ("published", "drafts")]
    return next(
        iter(RenderedDocument.objects.filter(key__in=keys).exclude(notes="").values_list("notes", flat=True)), ""
    )


def school_pocket_guide_key(plan) -> str:
    return pdf.key_for(
        "school-pocket-guide", page_cache.plan_key(plan.pk, plan.created_at, plan.content_version), branding(plan.trust)
    )


def note(key: str) -> str:
    """What the publisher must know of this version's PDF, once it has been rendered (one query)."""
    return RenderedDocument.objects.filter(key=key).values_list("notes", flat=True).first() or ""


def pocket_guide(user, plan, guide, year: str, path: str):
    """The trust's pocket guide for a year, for this person's audience (a draft guide is shown
    only to those who see drafts, marked as a draft)."""
    key = pocket_guide_key(user, plan, guide)
    title = f"{guide.title} – {plan.trust.name}"

    def make() -> pdf.Rendered:
        context = {"plan": plan, **selectors.pocket_guide_page(user, plan, year), "printed": timezone.localdate()}
        html_at = _page("pdf/pocket_guide.html", context, title=title, trust=plan.trust)
        return pdf.fit_one_page(html_at, GUIDE_SIZES, f"The pocket guide {guide.academic_year.label}")

    name = filename(plan.trust.short_name or plan.trust.name, "pocket-guide", year)
    # What those who do not see drafts read is what anyone reads (a published plan and guide are
    # public): its address may be answered by the fast path while the plan's content stays as it is.
    public = (path, page_cache.PLAN_CONTENT, plan.content_key) if page_cache.audience(user) == "published" else None
    return pdf.served("pocket-guide", key, title, make, name, public=public)


def school_pocket_guide(plan):
    """A school's (or the business services') own pocket guide, from its plan."""
    key = school_pocket_guide_key(plan)
    title = f"{plan.owner_name}: our priorities for {plan.academic_year.label}"

    def make() -> pdf.Rendered:
        context = {"plan": plan, "tree": plan_history.plan_tree(plan), "printed": timezone.localdate()}
        html_at = _page("pdf/school_pocket_guide.html", context, title=title, trust=plan.trust)
        return pdf.fit_one_page(html_at, GUIDE_SIZES, f"The pocket guide of {plan.owner_name}")

    name = filename(plan.owner_name, "pocket-guide", plan.academic_year.slug)
    return pdf.served("school-pocket-guide", key, title, make, name)


def filename(*parts: str) -> str:
    """A download's file name: lower-case words joined by hyphens."""
    words = "-".join(parts).lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in words).strip("-") + ".pdf"
