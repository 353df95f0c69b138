"""Reading ratings across the trust and for one school: the heatmap and its cells, an aim's golden
thread, a school's priorities by term, the LGC and Trust Board reports, and the exports.

Each view asks governance.policy who may read, calls reviews.selectors_trust and renders. Trust-wide
pages are for trust-wide roles (403 for everyone else); a school someone may not see answers 404,
one they may see but whose ratings are not theirs to read answers 403.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from governance import policy
from schools.models import Phase, School, Trust
from smart_trust.rendered import digest, kept

from . import selectors_reports as reports
from . import selectors_trust as selectors
from .services import settings_for

NOT_TRUST_WIDE = (
    "Every school's ratings are for trust-wide roles (the CEO, CFO or COO, central team, trustees and TOLT). "
    "Your school's ratings are on its own ratings page."
)
# A spreadsheet reads a cell that begins with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# The heatmap's figures and table, kept per version of what they show (selectors.heatmap_version).
HEATMAP_SUMMARY = "reviews/trust_heatmap_summary.html"
HEATMAP_TABLE = "reviews/trust_heatmap_table.html"
_HERE = Path(__file__).parent
# The text of what draws the kept parts (their templates, tags and the figures' rules) is part of
# their key, so a new release never serves a heatmap rendered by the old one.
HEATMAP_SOURCE = digest(
    [
        *((_HERE / "templates" / name).read_bytes() for name in (HEATMAP_SUMMARY, HEATMAP_TABLE)),
        *(
            (_HERE / name).read_bytes()
            for name in ("templatetags/ratings_trust.py", "selectors_trust.py", "selectors.py")
        ),
        (_HERE / "rules.py").read_bytes(),
    ]
)


def _trust(request: HttpRequest) -> Trust:
    return Trust.objects.of_person(request.user)


def _require_trust_wide(request: HttpRequest) -> None:
    if not policy.sees_trust_ratings(request.user):
        raise PermissionDenied(NOT_TRUST_WIDE)


def _school(request: HttpRequest, slug: str) -> School:
    """The school if the person may read its ratings: 404 when the school is not theirs to see,
    403 when they see it but not its ratings (staff, unless the trust lets them)."""
    school = School.objects.select_related("trust").filter(slug=slug).first()
    if school is None or not policy.can_view_school(request.user, school):
        raise Http404("No such school")
    allowed = settings_for(school.trust).staff_see_ratings
    if not policy.can_view_school_ratings(request.user, school.pk, staff_allowed=allowed):
        raise PermissionDenied("Your school's ratings are for its governors and leaders.")
    return school


def heatmap_parts(*, trust, term, terms, today, phase: str = "", strand_slug: str = "", figures=None) -> dict:
    """The heatmap's summary and table as HTML, with the strands its filter offers and the one
    chosen ("" for none): rendered once per version of what they show and kept (never
    invalidated: a change makes a new key). The key costs two queries; the figures' queries run
    only on a miss. `figures`, when given, answers the selectors.heatmap already worked out (the
    Board report's)."""
    version = selectors.heatmap_version(trust=trust, term=term, terms=terms, today=today)
    name = "page:heatmap:" + digest([HEATMAP_SOURCE, trust.pk, version, phase, strand_slug])

    def render_parts() -> dict:
        drawn = (
            figures()
            if figures
            else selectors.heatmap(
                trust=trust, term=term, phase=phase, strand_slug=strand_slug, today=today, terms=terms
            )
        )
        return {
            "summary": render_to_string(HEATMAP_SUMMARY, {"map": drawn}),
            "table": render_to_string(HEATMAP_TABLE, {"map": drawn}),
            "strands": [{"slug": s.slug, "name": s.name} for s in drawn.strands],
            "strand": drawn.strand.slug if drawn.strand else "",
        }

    return kept(name, render_parts)


@dataclass
class HeatmapPage:
    """What the heatmap page shows around its kept parts (the filters), read per request."""

    term: object
    terms: list = field(default_factory=list)
    phase: str = ""
    strand: str = ""
    strands: list[dict] = field(default_factory=list)
    summary: SafeString = mark_safe("")  # noqa: S308 - empty
    table: SafeString = mark_safe("")  # noqa: S308 - empty
    phases: list = field(default_factory=lambda: list(Phase.choices))

    @property
    def filtered(self) -> bool:
        return bool(self.phase or self.strand)


@login_required
@require_GET
def heatmap(request: HttpRequest) -> HttpResponse:
    _require_trust_wide(request)
    term = selectors.term_from(request.GET.get("term"))
    if term is None:
        return render(request, "reviews/trust_heatmap.html", {"map": HeatmapPage(term=None)})
    terms = selectors.all_terms()
    phase = request.GET.get("phase", "")
    phase = phase if phase in Phase.values else ""
    parts = heatmap_parts(
        trust=_trust(request),
        term=term,
        terms=terms,
        today=timezone.localdate(),
        phase=phase,
        strand_slug=request.GET.get("strand", ""),
    )
    page = HeatmapPage(
        term=term,
        terms=terms,
        phase=phase,
        strand=parts["strand"],
        strands=parts["strands"],
        summary=mark_safe(parts["summary"]),  # noqa: S308 - rendered by our own templates, autoescaped
        table=mark_safe(parts["table"]),  # noqa: S308 - as above
    )
    return render(request, "reviews/trust_heatmap.html", {"map": page})


@login_required
@require_GET
def cell(request: HttpRequest, term: str, school: str, aim: str) -> HttpResponse:
    _require_trust_wide(request)
    trust = _trust(request)
    term_obj = selectors.term_by_slug(term)
    detail = selectors.cell_detail(trust=trust, term=term_obj, school=selectors.school_of(trust, school), aim_code=aim)
    return render(request, "reviews/trust_cell.html", {"cell": detail})


@login_required
@require_GET
def golden_thread(request: HttpRequest, plan: str, aim: str) -> HttpResponse:
    _require_trust_wide(request)
    aim_obj = selectors.strategic_aim(trust=_trust(request), plan_slug=plan, code=aim)
    term = selectors.term_from(request.GET.get("term"))
    if term is None:
        raise Http404("There are no terms yet.")
    thread = selectors.golden_thread(aim=aim_obj, term=term)
    return render(request, "reviews/trust_golden_thread.html", {"thread": thread})


@login_required
@require_GET
def school(request: HttpRequest, slug: str) -> HttpResponse:
    school_obj = _school(request, slug)
    year = reports.year_from(request.GET.get("year"))
    page = reports.school_year(school=school_obj, year=year)
    return render(
        request, "reviews/school_by_term.html", {"page": page, "trust_wide": policy.sees_trust_ratings(request.user)}
    )


@login_required
@require_GET
def lgc_report(request: HttpRequest, slug: str, term: str) -> HttpResponse:
    school_obj = _school(request, slug)
    report = reports.lgc_report(school=school_obj, term=selectors.term_by_slug(term))
    return render(request, "reviews/report_lgc.html", {"report": report})


@login_required
@require_GET
def board_report(request: HttpRequest, term: str) -> HttpResponse:
    _require_trust_wide(request)
    trust, term_obj, today = _trust(request), selectors.term_by_slug(term), timezone.localdate()
    report = reports.board_report(trust=trust, term=term_obj, today=today)
    # The heatmap's table as the heatmap page keeps it (the same entry when both were asked for).
    parts = heatmap_parts(
        trust=trust, term=term_obj, terms=report.heatmap.terms, today=today, figures=lambda: report.heatmap
    )
    table = mark_safe(parts["table"])  # noqa: S308 - rendered by our own template, autoescaped
    return render(request, "reviews/report_board.html", {"report": report, "map": report.heatmap, "table": table})


# --- exports ---------------------------------------------------------------------------------


def defused(value) -> str:
    """A cell's text that no spreadsheet runs as a formula: "=1+1" becomes "'=1+1"."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(reports.EXPORT_HEADER)
    for row in rows:
        writer.writerow([defused(f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime.datetime) else v) for v in row])
    # With a byte-order mark, Excel opens the file as UTF-8 (names with accents, "£").
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(rows: list[list], title: str) -> bytes:
    # Imported here, not with the module: openpyxl costs every web worker about 18 MB, and only
    # the Excel download needs it.
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(reports.EXPORT_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Control characters (pasted from elsewhere) are not allowed in a workbook: dropped.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                # Text is text: openpyxl would otherwise store "=..." as a formula Excel runs.
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif isinstance(cell.value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    widths = [24, 28, 30, 40, 8, 14, 30, 14, 12, 40, 16, 30, 40, 20, 17]
    for column, width in zip(sheet.iter_cols(max_row=1), widths, strict=True):
        sheet.column_dimensions[column[0].column_letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def export(request: HttpRequest, term: str, fmt: str) -> HttpResponse:
    _require_trust_wide(request)
    if fmt not in CONTENT_TYPES:
        raise Http404("The ratings are exported as .csv or .xlsx.")
    term_obj = selectors.term_by_slug(term)
    rows = reports.export_rows(trust=_trust(request), term=term_obj)
    body = _csv(rows) if fmt == "csv" else _xlsx(rows, f"Ratings {term_obj.slug}")
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="ratings-{term_obj.slug}.{fmt}"'
    return response
