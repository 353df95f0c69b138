"""The pocket guide PDFs and the machinery every PDF shares (smart_trust.pdf): the text is all
there, one page however long the texts, one render per version however many ask at once, nothing
fetched but the app's own files, and a tagged PDF with a title and a language."""

from __future__ import annotations

import io
import json
import re
import socket
import threading

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from plans.models import Milestone, PocketGuide
from smart_trust import pdf
from smart_trust.demo import demo_email
from smart_trust.models import RenderedDocument

PLAN = "tsp-2022-27"
YEAR = "2023-24"
GUIDE_PDF = reverse("plans:pocket_guide_pdf", kwargs={"plan": PLAN, "year": YEAR})
GUIDE_PAGE = reverse("plans:pocket_guide", kwargs={"plan": PLAN, "year": YEAR})


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def words(text: str) -> list[str]:
    return re.sub(r"<[^>]+>", " ", text).replace("*", " ").split()


def in_order(needle: list[str], haystack: list[str]) -> bool:
    """Every word of `needle`, in order, in `haystack` (a table's cells are read across its rows,
    so other cells' words may come between)."""
    found = iter(haystack)
    return all(any(word == seen for seen in found) for word in needle)


def pdf_words(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages).split()


def guide_rows() -> list[Milestone]:
    guide = PocketGuide.objects.get(plan__slug=PLAN, academic_year__start_year=2023)
    return list(guide.milestones.select_related("aim"))


@pytest.fixture
def render_count(monkeypatch):
    """How many PDFs were written (each a full render)."""
    calls = []
    real = pdf.write

    def counted(layout, notes=""):
        calls.append(1)
        return real(layout, notes)

    monkeypatch.setattr(pdf, "write", counted)
    return calls


def test_the_pocket_guide_pdf_has_every_aim_and_milestone_on_one_page(client, demo):
    data = body(client.get(GUIDE_PDF))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = pdf_words(data)
    rows = guide_rows()
    assert len(rows) == 8
    for row in rows:
        assert in_order(words(row.label), text), row.label
        assert in_order(words(row.milestone), text), row.milestone
        assert in_order(words(row.elaboration), text), row.elaboration
    for heading in ("SMART Learners", "Learning: A culture empowering lifelong curiosity", "Business Improvement"):
        assert in_order(heading.split(), text), heading
    row = RenderedDocument.objects.get(kind="pocket-guide")
    assert (row.pages, row.notes, row.state) == (1, "", "ready")


def test_very_long_milestones_still_fit_one_page_in_smaller_type(client, demo):
    for row in guide_rows():
        row.milestone = f"{row.milestone} {row.milestone}"
        row.elaboration = f"{row.elaboration} {row.elaboration}"
        row.save()
    data = body(client.get(GUIDE_PDF))
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_words(data)
    for row in guide_rows():
        assert in_order(words(row.milestone), text)
    assert RenderedDocument.objects.get(kind="pocket-guide").notes == ""


def test_a_guide_too_long_for_one_page_runs_over_whole_and_tells_its_publisher(client, demo):
    for row in guide_rows():
        row.milestone = " ".join([row.milestone] * 20)
        row.save()
    data = body(client.get(GUIDE_PDF))
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    text = pdf_words(data)
    for row in guide_rows():  # nothing cut
        assert in_order(words(row.milestone), text)
    note = RenderedDocument.objects.get(kind="pocket-guide").notes
    assert "does not fit on one page" in note
    # Those who publish the guide read it on its page; staff do not.
    client.force_login(get_user_model().objects.get(email=demo_email("central")))
    assert "does not fit on one page" in client.get(GUIDE_PAGE).content.decode()
    staff = Client()
    staff.force_login(get_user_model().objects.get(email=demo_email("staff")))
    page = staff.get(GUIDE_PAGE).content.decode()
    assert GUIDE_PDF in page
    assert "does not fit" not in page


def test_a_second_download_renders_nothing_and_an_edit_renders_anew(client, demo, render_count):
    first = body(client.get(GUIDE_PDF))
    assert len(render_count) == 1
    assert body(client.get(GUIDE_PDF)) == first
    assert len(render_count) == 1
    row = guide_rows()[0]
    row.milestone = "Every pupil reads for twenty minutes a day"
    row.save()
    changed = body(client.get(GUIDE_PDF))
    assert len(render_count) == 2
    assert in_order(words(row.milestone), pdf_words(changed))
    assert RenderedDocument.objects.filter(kind="pocket-guide").count() == 2


def test_a_cached_download_costs_one_query(client, demo, django_assert_num_queries):
    body(client.get(GUIDE_PDF))
    with django_assert_num_queries(1):  # the plan content's version
        body(client.get(GUIDE_PDF))


def test_a_file_lost_from_storage_is_rendered_again(client, demo, render_count):
    body(client.get(GUIDE_PDF))
    pdf.storage().delete(RenderedDocument.objects.get(kind="pocket-guide").file)
    assert len(PdfReader(io.BytesIO(body(client.get(GUIDE_PDF)))).pages) == 1
    assert len(render_count) == 2


@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_first_downloads_cause_one_render(demo_live, render_count):
    barrier = threading.Barrier(8)
    results: list = []

    def download():
        from django.db import connection

        try:
            barrier.wait()
            results.append(body(Client().get(GUIDE_PDF)))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 8
    assert len(set(results)) == 1
    assert len(render_count) == 1
    assert RenderedDocument.objects.filter(kind="pocket-guide").count() == 1


def test_the_pdf_is_tagged_with_a_title_a_language_and_embedded_fonts(client, demo):
    reader = PdfReader(io.BytesIO(body(client.get(GUIDE_PDF))))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title.startswith("SMART Pocket guide 2023/24")
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    fonts = reader.pages[0]["/Resources"]["/Font"]
    faces = [fonts[name].get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"] for name in fonts]
    # Our own fonts (static/fonts, named "Plan Sans" in static/pdf/pdf.css), embedded.
    assert faces and all("Plan-Sans" in str(face["/FontName"]) and "/FontFile2" in face for face in faces)


def test_nothing_is_fetched_from_outside_while_rendering(client, demo, monkeypatch):
    """Plan text naming other hosts or local files: the render reads only our own static files and
    opens no connection."""
    connections = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connections.append(address))
    fetched = []
    real_fetch = pdf.LocalFiles.fetch

    def recorded(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(pdf.LocalFiles, "fetch", recorded)
    row = guide_rows()[0]
    row.milestone = (
        'See ![chart](https://tracker.invalid/pixel.png) and <img src="file:///etc/passwd"> '
        '<link rel="stylesheet" href="https://cdn.invalid/x.css"> [local](file:///etc/hostname)'
    )
    row.save()
    data = body(client.get(GUIDE_PDF))
    assert b"root:x:0:0" not in data
    assert connections == []
    assert fetched and all(url.startswith("http://127.0.0.1:8000/static/") for url in fetched), fetched


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.invalid/font.ttf",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/static/../../../../etc/passwd",
        "http://127.0.0.1:8000/static/%2e%2e/%2e%2e/settings.py",
        "http://127.0.0.1:8000/media/../../etc/passwd",
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:9999/static/pdf/pdf.css",
        "data:text/css,body{}",
    ],
)
def test_the_fetcher_refuses_all_but_our_own_files(url):
    fetcher = pdf.LocalFiles()
    with pytest.raises(ValueError, match="Not fetched"):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_reads_our_static_files():
    fetched = pdf.LocalFiles().fetch("http://127.0.0.1:8000/static/pdf/pdf.css")
    assert b"@font-face" in fetched.read()
    assert fetched.content_type == "text/css"


def test_a_refused_resource_is_left_out_and_the_render_goes_on():
    made = pdf.render(
        '<html lang="en-GB"><head><title>T</title></head><body><p>Hello</p>'
        '<img src="https://tracker.invalid/x.png" alt="tracker"></body></html>'
    )
    assert made.pages == 1
    assert made.refused == ["https://tracker.invalid/x.png"]


def test_a_schools_pocket_guide_pdf_lists_its_priorities_and_is_for_staff_once_signed_off(demo):
    from tests.school_plan_builders import sdp

    plan = sdp(state="signed_off")  # Saltash's, where the demo's member of staff works
    client = Client()
    client.force_login(get_user_model().objects.get(email=demo_email("staff")))
    data = body(client.get(reverse("school_plans:pocket_guide_pdf", args=[plan.pk])))
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_words(data)
    for priority in plan.priorities.all():
        assert in_order(words(priority.title), text), priority.title
    page = client.get(reverse("school_plans:pocket_guide", args=[plan.pk])).content.decode()
    assert reverse("school_plans:pocket_guide_pdf", args=[plan.pk]) in page


def test_staff_find_the_pocket_guide_pdf_on_their_home_page_and_on_the_guide(client, demo):
    client.force_login(get_user_model().objects.get(email=demo_email("staff")))
    assert GUIDE_PDF in client.get(reverse("home")).content.decode()
    assert GUIDE_PDF in client.get(GUIDE_PAGE).content.decode()
    assert len(PdfReader(io.BytesIO(body(client.get(GUIDE_PDF)))).pages) == 1


def test_the_published_guide_is_then_served_before_the_session_machinery(client, demo, monkeypatch):
    """Once rendered for those who do not see drafts, the published guide's address is answered by
    smart_trust.pdf.PublicPdfMiddleware: one query, no view; an edit sends it back to the view."""
    from plans import views_pdf

    first = body(client.get(GUIDE_PDF))
    monkeypatch.setattr(views_pdf.pdf, "pocket_guide", lambda *a, **k: pytest.fail("the view was reached"))
    staff = Client()
    staff.force_login(get_user_model().objects.get(email=demo_email("staff")))
    for reader in (Client(), staff):
        response = reader.get(GUIDE_PDF)
        assert body(response) == first
        assert response["Cache-Control"] == "public, max-age=300"
    monkeypatch.undo()
    row = guide_rows()[0]
    row.milestone = "A new milestone after publication"
    row.save()
    assert in_order(words(row.milestone), pdf_words(body(client.get(GUIDE_PDF))))


def test_a_draft_guides_pdf_is_never_served_to_those_who_may_not_see_it(client, demo):
    body(client.get(GUIDE_PDF))  # published: entered for the fast path
    guide = PocketGuide.objects.get(plan__slug=PLAN, academic_year__start_year=2023)
    guide.status = "draft"
    guide.save()
    central = Client()
    central.force_login(get_user_model().objects.get(email=demo_email("central")))
    reader = PdfReader(io.BytesIO(body(central.get(GUIDE_PDF))))
    assert "Draft" in reader.pages[0].extract_text()
    assert client.get(GUIDE_PDF).status_code == 404
    staff = Client()
    staff.force_login(get_user_model().objects.get(email=demo_email("staff")))
    assert staff.get(GUIDE_PDF).status_code == 404


def test_the_fast_path_keeps_its_entries_in_redis_itself_when_there_is_redis(client, demo, settings):
    """Where REDIS_URL is set (CI, production) the entry is in Redis, read with one kept client."""
    from tests.conftest import require

    require(bool(settings.REDIS_URL), "REDIS_URL (Redis)")
    body(client.get(GUIDE_PDF))
    raw = pdf.public_entries._redis().get(pdf.PUBLIC + GUIDE_PDF)
    version_name, version, name, _ = json.loads(raw)
    assert (version_name, name) == ("plan-content", RenderedDocument.objects.get(kind="pocket-guide").file)
    assert pdf.public_entries.get(GUIDE_PDF)[1] == version
