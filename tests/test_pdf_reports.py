"""The termly ratings' PDFs (reviews.pdf): a plan with this term's ratings beside each action, the
LGC report and the Trust Board report. Their text read back with pypdf: every priority and action,
the ratings in words; who may download them; rendered once per version of what they show; tagged
(a title, a language, a structure tree)."""

from __future__ import annotations

import io
import re
from unittest import mock

import pytest
from django.urls import reverse
from pypdf import PdfReader

from plans.models import Action, Priority
from reviews import selectors
from reviews.models import RatingValue
from smart_trust import pdf
from smart_trust.models import RenderedDocument
from tests.reviews_trust_builders import SPRING_DAY, build, rate
from tests.school_plan_builders import client_for, sdp

pytestmark = pytest.mark.django_db

SPRING = "2024-25-spring"


def read(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = " ".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def download(who: str, name: str, **kwargs):
    return client_for(who).get(reverse(name, kwargs=kwargs))


@pytest.fixture
def rated(demo):
    """The small rated trust of tests/reviews_trust_builders.py, its spring term the one "now"."""
    fixture = build()
    with mock.patch("django.utils.timezone.localdate", return_value=SPRING_DAY):
        yield fixture


def test_plan_pdf_has_every_priority_action_and_this_terms_ratings_in_words(rated):
    assert selectors.term_now(rated.saltash.academic_year).slug == SPRING
    reader, text = read(download("head", "reviews:plan_pdf", pk=rated.saltash.pk))
    for n, priority in enumerate(Priority.objects.filter(plan=rated.saltash).order_by("order", "pk"), start=1):
        assert f"Priority {n}: {priority.title}" in text
    for action in Action.objects.filter(plan=rated.saltash):
        assert action.what in text
    # The governors' ratings and the self-assessments, in words (colour repeats them).
    assert "Spring term 2024/25 ratings" in text
    assert text.count("Green") >= 3  # a1 and a2 by the governors, a1 self-assessed
    assert "Amber" in text and "Red" in text and "Not rated" in text
    assert "Governors' overall judgement" in text
    assert "Good start, gaps remain" in text  # the judgement's commentary
    assert "85% of Year 7 borrow a book each week" in text  # a success criterion


def test_ratings_words_are_those_of_the_rag_tag(rated):
    _, text = read(download("governor", "reviews:plan_pdf", pk=rated.saltash.pk))
    for value in (RatingValue.GREEN, RatingValue.AMBER):
        assert str(value.label) in text


def test_staff_get_the_plan_without_its_ratings(rated):
    # The demo trust does not let staff read ratings: the plan, its actions, no ratings.
    reader, text = read(download("staff", "reviews:plan_pdf", pk=rated.saltash.pk))
    assert rated.a["a1"].what in text
    assert "Governors' overall judgement" not in text and "Not rated" not in text
    assert "ratings" not in reader.metadata.title
    # The two audiences are two renders, each kept.
    read(download("head", "reviews:plan_pdf", pk=rated.saltash.pk))
    assert RenderedDocument.objects.filter(kind="plan-ratings").count() == 2


def test_a_draft_sdps_pdf_is_refused_to_staff_and_read_by_its_writers(demo):
    plan = sdp(state="draft")
    assert download("staff", "reviews:plan_pdf", pk=plan.pk).status_code == 404
    assert download("head.brunel", "reviews:plan_pdf", pk=plan.pk).status_code == 404
    _, text = read(download("head", "reviews:plan_pdf", pk=plan.pk))
    assert "Weekly library sessions for Year 7" in text and "Draft" in text


def test_a_second_download_renders_nothing_and_a_new_rating_renders_again(rated):
    with mock.patch.object(pdf, "render", wraps=pdf.render) as render:
        read(download("head", "reviews:plan_pdf", pk=rated.saltash.pk))
        read(download("governor", "reviews:plan_pdf", pk=rated.saltash.pk))
        assert render.call_count == 1
        assert RenderedDocument.objects.filter(kind="plan-ratings").count() == 1
        rate(rated.a["a4"], "spring", "red", commentary="No coaching yet")
        _, text = read(download("head", "reviews:plan_pdf", pk=rated.saltash.pk))
        assert render.call_count == 2
        assert "No coaching yet" in text


def test_lgc_report_pdf_as_its_page(rated):
    reader, text = read(download("governor", "reviews:lgc_report_pdf", slug="saltash", term=SPRING))
    assert "LGC report: Saltash Community School, Spring term 2024/25" in text
    assert "Reading for pleasure" in text and "Middle leaders' development" in text
    assert "Author visits each half term" in text and "Visits delayed" in text
    assert "Amber" in text and "Not rated" in text
    assert reader.metadata.title.startswith("LGC report")
    with mock.patch.object(pdf, "render") as render:
        read(download("head", "reviews:lgc_report_pdf", slug="saltash", term=SPRING))
        assert render.call_count == 0


def board_pdf(capture, who: str = "ceo"):
    """The Board report's PDF: the first request asks a worker (eager in tests, once the request's
    transaction commits) and answers the "being prepared" page; the next one has the file."""
    with capture(execute=True):
        first = download(who, "reviews:board_report_pdf", term=SPRING)
    assert first.status_code == 200 and b"being prepared" in first.content
    return download(who, "reviews:board_report_pdf", term=SPRING)


def test_board_report_pdf_as_its_page(rated, django_capture_on_commit_callbacks):
    reader, text = read(board_pdf(django_capture_on_commit_callbacks))
    assert "Trust Board report: Spring term 2024/25" in text
    for school in ("Saltash Community School", "Brunel Primary", "Burraton"):
        assert school in text
    assert "Library closed for repairs" in text  # Brunel's red, with its commentary
    assert "Reading gains uneven" in text  # the trustees' rating of TSP1
    assert "Red" in text and "Amber" in text
    with mock.patch.object(pdf, "render") as render:
        read(download("trustee", "reviews:board_report_pdf", term=SPRING))
        assert render.call_count == 0
    rate(rated.a["a4"], "spring", "amber", commentary="Coaching under way")
    _, text = read(board_pdf(django_capture_on_commit_callbacks))
    assert "Coaching under way" in text
    assert RenderedDocument.objects.filter(kind="board-report").count() == 2


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("reviews:plan_pdf", None),
        ("reviews:lgc_report_pdf", {"slug": "saltash", "term": SPRING}),
        ("reviews:board_report_pdf", {"term": SPRING}),
    ],
)
def test_pdfs_are_tagged_with_a_title_and_language(rated, name, kwargs, django_capture_on_commit_callbacks):
    if name == "reviews:board_report_pdf":
        reader, _ = read(board_pdf(django_capture_on_commit_callbacks))
    else:
        reader, _ = read(download("ceo", name, **(kwargs or {"pk": rated.saltash.pk})))
    root = reader.trailer["/Root"]
    assert reader.metadata.title
    assert str(root["/Lang"]).startswith("en")
    assert "/StructTreeRoot" in root


def test_report_pages_and_the_plan_page_offer_the_pdf(rated):
    plan_page = client_for("head").get(reverse("school_plans:detail", args=[rated.saltash.pk])).content.decode()
    assert reverse("reviews:plan_pdf", args=[rated.saltash.pk]) in plan_page
    lgc = client_for("head").get(reverse("reviews:lgc_report", kwargs={"slug": "saltash", "term": SPRING}))
    assert reverse("reviews:lgc_report_pdf", kwargs={"slug": "saltash", "term": SPRING}) in lgc.content.decode()
    board = client_for("ceo").get(reverse("reviews:board_report", kwargs={"term": SPRING}))
    assert reverse("reviews:board_report_pdf", kwargs={"term": SPRING}) in board.content.decode()
