"""The whole strategic plan as one PDF (plans.pdf_plan), rendered by a worker: a "being prepared"
page until the file is ready, then the file; every aim, strategy and milestone in its text; the
contents' page numbers where the aims are; tagged, with bookmarks; rendered once per version of
the plan's content; a failed render says so and is asked for again by a POST."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from plans import pdf_plan, selectors
from plans.models import Aim, PocketGuide, StrategicPlan, Strategy
from smart_trust import pdf
from smart_trust.models import OutboxJob, RenderedDocument
from tests.school_plan_builders import client_for
from tests.test_pdfs import in_order, words

pytestmark = pytest.mark.django_db

PLAN = "tsp-2022-27"
PLAN_PDF = reverse("plans:plan_pdf", kwargs={"plan": PLAN})
RETRY = reverse("plans:plan_pdf_retry", kwargs={"plan": PLAN})


def rows() -> list[RenderedDocument]:
    return list(RenderedDocument.objects.filter(kind="full-plan"))


def rendered_pdf(client: Client, capture) -> PdfReader:
    """The first request queues the render (eager in tests, once the request's transaction
    commits: the real task, smart_trust.tasks.render_pdf) and answers the "being prepared" page;
    the next request has the file."""
    with capture(execute=True):
        first = client.get(PLAN_PDF)
    assert first.status_code == 200 and b"being prepared" in first.content
    assert first["Content-Type"].startswith("text/html")
    response = client.get(PLAN_PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(b"".join(response.streaming_content)))


def page_texts(reader: PdfReader) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


@pytest.fixture
def renders(monkeypatch):
    """How many times the worker rendered the full plan."""
    calls = []
    real = pdf.RENDERERS["full-plan"]

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setitem(pdf.RENDERERS, "full-plan", counted)
    return calls


def test_the_full_plan_has_every_aim_strategy_and_this_years_milestones(demo, django_capture_on_commit_callbacks):
    reader = rendered_pdf(Client(), django_capture_on_commit_callbacks)
    texts = page_texts(reader)
    text = " ".join(texts)
    aims = list(Aim.objects.filter(plan__slug=PLAN))
    assert len(aims) == 8
    for aim in aims:
        assert f"{aim.code}: {aim.title}" in text
    numbers = [n for n in Strategy.objects.filter(aim__plan__slug=PLAN).values_list("number", flat=True) if n]
    assert {"1.1", "2.4.1", "8.1"} <= set(numbers)
    for number in numbers:
        assert re.search(rf"(^|\s){re.escape(number)}\s", text), number
    guide = PocketGuide.objects.filter(plan__slug=PLAN).order_by("-academic_year__start_year").first()
    milestones = list(guide.milestones.all())
    assert milestones
    all_words = text.split()
    for row in milestones:
        assert in_order(words(row.milestone), all_words), row.milestone
    # The parts in the document's order, after the cover and the contents, each at a page's top.
    order = ["Introduction", "Shared values", "Our principles", "Our shared vision", guide.title, "SMART Learners"]
    order += ["Key documents", "Roles and responsibilities", "Our review cycle", "References and further reading"]
    starts = [next(i for i, page in enumerate(texts) if i > 1 and heading in page[:150]) for heading in order]
    assert starts == sorted(starts)
    # No blank page: each has more than its running header and footer.
    assert all(len(page) > 200 for page in texts), [len(page) for page in texts]


def test_the_contents_page_numbers_are_where_the_aims_are(demo, django_capture_on_commit_callbacks):
    reader = rendered_pdf(Client(), django_capture_on_commit_callbacks)
    texts = page_texts(reader)
    plan = StrategicPlan.objects.select_related("trust").get(slug=PLAN)
    assert texts[0].startswith(plan.trust.name.upper()) and plan.title in texts[0]  # the cover
    assert plan.tagline in texts[0] and "Page 1 of" not in texts[0]  # no footer on the cover
    contents = texts[1]
    assert contents.startswith("Contents")
    for aim in Aim.objects.filter(plan__slug=PLAN):
        heading = f"{aim.code}: {aim.title}"
        found = re.search(re.escape(heading) + r"[ .]*?(\d+)\b", contents)
        assert found, heading
        page = int(found.group(1))
        # The aim's own page: its heading with its drivers (the strand's page lists the aim too).
        found_on = next(i for i, text in enumerate(texts) if heading in text and "Key drivers and indicators" in text)
        assert page == found_on + 1, (heading, page)


def test_the_full_plan_is_tagged_with_bookmarks(demo, django_capture_on_commit_callbacks):
    reader = rendered_pdf(Client(), django_capture_on_commit_callbacks)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).startswith("en")
    assert reader.metadata.title.startswith("SMART 5 Year Trust Strategic Plan")
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Contents" in titles and "Introduction" in titles and "SMART Learners" in titles
    # Each strand's aims sit under it in the bookmarks.
    nested = [item for item in reader.outline if isinstance(item, list)]
    assert any(getattr(item, "title", "").startswith("TSP1:") for group in nested for item in group)
    # The pocket guide is on an A4 landscape page; the rest is portrait.
    guide_page = next(p for p in reader.pages if "Pocket guide" in p.extract_text()[:200])
    assert guide_page.mediabox.width > guide_page.mediabox.height
    assert reader.pages[2].mediabox.width < reader.pages[2].mediabox.height


def test_rendered_once_then_served_from_storage(demo, renders, django_capture_on_commit_callbacks):
    client = Client()
    rendered_pdf(client, django_capture_on_commit_callbacks)
    assert len(renders) == 1
    for who in (client, client_for("staff"), client_for("ceo")):
        with django_capture_on_commit_callbacks(execute=True):
            response = who.get(PLAN_PDF)
        assert response["Content-Type"] == "application/pdf"
    assert len(renders) == 1
    assert len(rows()) == 1 and rows()[0].state == RenderedDocument.State.READY and rows()[0].pages > 20
    assert client.get(PLAN_PDF, {"status": "1"}).json() == {"state": "ready", "pages": rows()[0].pages}


def test_while_rendering_the_page_says_so_and_polls(demo, renders):
    client = Client()
    first = client.get(PLAN_PDF)  # the job waits in the outbox until the request commits (never, here)
    page = first.content.decode()
    assert "being prepared" in page and "It has been going for" in page
    assert f'href="{PLAN_PDF}"' in page and "Check again" in page  # without JavaScript
    assert "js/pdf-wait.js" in page and 'role="status"' in page
    assert "<script>" not in page  # no inline script (CSP)
    assert "no-store" in first["Cache-Control"]
    assert client.get(PLAN_PDF, {"status": "1"}).json() == {"state": "rendering", "pages": 0}
    client.get(PLAN_PDF)
    assert len(rows()) == 1 and OutboxJob.objects.filter(task="smart_trust.tasks.render_pdf").count() == 1
    assert renders == []


def test_a_failed_render_says_so_and_is_asked_again_by_post(demo, monkeypatch, django_capture_on_commit_callbacks):
    real = pdf.RENDERERS["full-plan"]

    def broken(*args):
        raise RuntimeError("out of memory")

    monkeypatch.setitem(pdf.RENDERERS, "full-plan", broken)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(PLAN_PDF)
    assert rows()[0].state == RenderedDocument.State.FAILED
    page = client.get(PLAN_PDF).content.decode()
    assert "could not be made" in page and "Try again" in page and f'action="{RETRY}"' in page
    assert "pdf-wait.js" not in page
    assert client.get(PLAN_PDF, {"status": "1"}).json()["state"] == "failed"
    assert rows()[0].state == RenderedDocument.State.FAILED  # a GET does not queue it again
    assert client.get(RETRY).status_code == 405
    monkeypatch.setitem(pdf.RENDERERS, "full-plan", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RETRY)
    assert response.status_code == 302 and response["Location"] == PLAN_PDF
    assert client.get(PLAN_PDF)["Content-Type"] == "application/pdf"


def test_a_content_edit_makes_a_new_version(demo, django_capture_on_commit_callbacks):
    client = Client()
    rendered_pdf(client, django_capture_on_commit_callbacks)
    before = pdf_plan.full_plan_key(selectors.plan_for(AnonymousUser(), PLAN))
    aim = Aim.objects.get(plan__slug=PLAN, code="TSP3")
    aim.title = "Growing leaders at every level"
    aim.save()
    after = pdf_plan.full_plan_key(selectors.plan_for(AnonymousUser(), PLAN))
    assert after != before
    text = " ".join(page_texts(rendered_pdf(client, django_capture_on_commit_callbacks)))
    assert "TSP3: Growing leaders at every level" in text
    assert len(rows()) == 2


def test_only_readers_of_the_plan_get_it_and_the_contents_page_offers_it(demo):
    contents = Client().get(reverse("plans:contents", kwargs={"plan": PLAN})).content.decode()
    assert f'href="{PLAN_PDF}"' in contents and "Download the plan (PDF)" in contents
    plan = StrategicPlan.objects.get(slug=PLAN)
    plan.status = "draft"
    plan.save()  # moves the content's version on, as every edit does
    assert Client().get(PLAN_PDF).status_code == 404
    assert client_for("staff").get(PLAN_PDF).status_code == 404
    assert client_for("ceo").get(PLAN_PDF).status_code == 200


def test_a_file_lost_from_storage_is_rendered_again(demo, renders, django_capture_on_commit_callbacks):
    client = Client()
    rendered_pdf(client, django_capture_on_commit_callbacks)
    pdf.storage().delete(rows()[0].file)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(PLAN_PDF)
    assert b"being prepared" in page.content
    assert client.get(PLAN_PDF)["Content-Type"] == "application/pdf"
    assert len(renders) == 2 and len(rows()) == 1
