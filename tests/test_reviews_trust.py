"""The trust-wide and school pages of the termly ratings, on a small trust whose figures are worked
out by hand (tests/reviews_trust_builders.py): the heatmap (these schools, this aim, this spread,
the rank, movement, the flags), its filters, a cell's actions, an aim's golden thread, a school by
term, the LGC and Trust Board reports, and the CSV and Excel exports read back."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from plans.models import Aim
from reviews import selectors_reports, selectors_trust
from reviews.models import Rating, ReviewSettings
from reviews.selectors_trust import movement_words
from reviews.views_trust import defused
from schools.models import School, Trust
from tests.reviews_trust_builders import build, term
from tests.school_plan_builders import client_for

pytestmark = pytest.mark.django_db

SPRING = "2024-25-spring"


def words(html: str) -> str:
    """The page's text as a reader gets it: no tags, single spaces."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&"))
    return re.sub(r" ([,.:;)])", r"\1", text).strip()


def page(who: str, name: str, *, query: str = "", **kwargs) -> str:
    response = client_for(who).get(reverse(name, kwargs=kwargs) + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def trust_ratings():
    return build()


# --- the figures -------------------------------------------------------------------------------


def test_heatmap_figures_school_by_school(trust_ratings):
    figures = selectors_trust.heatmap(trust=Trust.objects.get(), term=term("spring"))
    rows = {r.school.slug: r for r in figures.rows}
    assert [(r.rank, r.school.slug, r.score) for r in figures.rows] == [
        (1, "saltash", 62.5),
        (2, "brunel", 50.0),
        (3, "burraton", 0.0),
    ]
    codes = [a.code for a in figures.aims]
    assert codes[:2] == ["TSP1", "TSP2"] and "TSP3" in codes
    cells = {(slug, c.aim.code): c.spread.text for slug, r in rows.items() for c in r.cells}
    assert cells["saltash", "TSP1"] == "1 amber, 2 green"
    assert cells["saltash", "TSP3"] == "1 not rated"
    assert cells["saltash", "TSP2"] == "nothing to rate"
    assert cells["brunel", "TSP1"] == "1 red, 1 green"
    assert cells["burraton", "TSP1"] == "nothing to rate"
    assert rows["saltash"].spread.text == "1 amber, 2 green, 1 not rated"
    assert rows["saltash"].last_spread.text == "2 red, 1 amber, 1 green"
    assert [r.movement_words for r in figures.rows] == ["up 25 points", "down 50 points", "no change"]
    assert rows["saltash"].counts == {"not_rated": 1, "overdue": 1, "stale": 2, "disputed": 1, "self_assessed": 3}
    assert rows["brunel"].counts == {"not_rated": 0, "overdue": 0, "stale": 1, "disputed": 0, "self_assessed": 0}
    assert rows["burraton"].counts == {"not_rated": 1, "overdue": 0, "stale": 1, "disputed": 0, "self_assessed": 0}
    assert [s.slug for s in figures.without_plan] == ["bishop-cornish", "landulph", "st-stephens"]
    totals = {c.aim.code: c.spread.text for c in figures.totals}
    assert totals["TSP1"] == "1 red, 1 amber, 3 green"
    assert figures.spread.text == "1 red, 1 amber, 3 green, 2 not rated"
    assert figures.spread.score == 50.0


def test_heatmap_filters_by_phase_and_strand(trust_ratings):
    trust = Trust.objects.get()
    secondary = selectors_trust.heatmap(trust=trust, term=term("spring"), phase="secondary")
    assert [r.school.slug for r in secondary.rows] == ["saltash"]
    assert secondary.without_plan == []
    primary = selectors_trust.heatmap(trust=trust, term=term("spring"), phase="primary")
    assert [r.school.slug for r in primary.rows] == ["brunel", "burraton"]
    assert "saltash" not in [s.slug for s in primary.without_plan]
    # The leaders' strand: its aims only, and each school's figures count only the actions under them.
    leaders = selectors_trust.heatmap(trust=trust, term=term("spring"), strand_slug="leaders")
    assert [a.code for a in leaders.aims] == ["TSP3", "TSP4"]
    assert [(r.school.slug, r.rank, r.spread.text) for r in leaders.rows] == [
        ("saltash", 1, "1 not rated"),
        ("brunel", None, "nothing to rate"),
        ("burraton", None, "nothing to rate"),
    ]
    # Nonsense filters are ignored, not errors.
    assert len(selectors_trust.heatmap(trust=trust, term=term("spring"), phase="x", strand_slug="y").rows) == 3


def test_cell_addresses_are_the_reversed_ones(trust_ratings):
    url = selectors_trust.cell_urls(term("spring"))
    saltash = School.objects.get(slug="saltash")
    for code in ("TSP1", "TSP 1.a"):
        aim = Aim(code=code)
        assert url(saltash, aim) == reverse("reviews:cell", args=[SPRING, "saltash", code])


def test_rank_shares_equal_scores():
    class Row:
        def __init__(self, name, score):
            self.school = type("S", (), {"name": name})()
            self.score = score

    ranked = selectors_trust.rank([Row("B", 50.0), Row("A", 80.0), Row("C", 50.0), Row("D", None), Row("E", 10.0)])
    assert [(r.school.name, r.rank) for r in ranked] == [("A", 1), ("B", 2), ("C", 2), ("E", 4), ("D", None)]


@pytest.mark.parametrize(
    ("points", "said"),
    [(12.0, "up 12 points"), (-0.5, "down 0.5 points"), (1.0, "up 1 point"), (0.0, "no change"), (None, "")],
)
def test_movement_in_words(points, said):
    assert movement_words(points) == said


# --- the pages ---------------------------------------------------------------------------------


def test_heatmap_page_shows_words_ranks_movement_and_links(trust_ratings):
    html = page("ceo", "reviews:heatmap", query=f"?term={SPRING}")
    text = words(html)
    assert "Ratings across the trust: Spring term 2024/25" in text
    assert "1 Saltash Community School" in text and "2 Brunel Primary" in text and "3 Burraton" in text
    assert text.index("Saltash Community School") < text.index("Brunel Primary") < text.index("Burraton")
    assert "1 amber, 2 green" in text and "1 red, 1 green" in text
    assert "up 25 points" in text and "down 50 points" in text
    assert "1 not rated, 1 overdue, 2 stale, 1 disputed" in text
    assert "No finalised SDP for 2024/25" in text and "Landulph School" in text
    cell = reverse("reviews:cell", kwargs={"term": SPRING, "school": "saltash", "aim": "TSP1"})
    assert f'href="{cell}"' in html
    # A table with its caption and headers, scrolling inside its own region on a phone.
    assert "<caption" in html and 'scope="row"' in html and 'scope="col"' in html
    assert 'class="table-scroll heatmap-scroll" role="region"' in html
    # Colour is never alone: the bar is hidden from screen readers, the words are there.
    assert 'class="bar-green"' in html and 'aria-hidden="true"' in html
    assert "style=" not in html
    # The filters are a plain GET form.
    assert '<form method="get"' in html and f'<option value="{SPRING}" selected>' in html


def test_heatmap_defaults_to_the_current_term(trust_ratings):
    html = page("trustee", "reviews:heatmap")
    current = selectors_trust.term_from(None)
    assert f"Ratings across the trust: {current.label}" in words(html)


def test_heatmap_filter_form_keeps_its_choices(trust_ratings):
    html = page("ceo", "reviews:heatmap", query=f"?term={SPRING}&phase=primary&strand=learners")
    assert '<option value="primary" selected>' in html and '<option value="learners" selected>' in html
    text = words(html)
    assert "Saltash Community School" not in text.split("No finalised SDP")[0]
    assert "Every school and strand" in text


def test_a_cell_shows_the_actions_voices_commentaries_evidence_and_flags(trust_ratings):
    html = page("ceo", "reviews:cell", term=SPRING, school="saltash", aim="TSP1")
    text = words(html)
    assert "Saltash Community School: TSP1 Equitable Progress for all" in text
    for said in (
        "Weekly library sessions for Year 7",
        "Reading ambassadors in every form",
        "Author visits each half term",
        "“Visits delayed”",
        "Evidence: One visit of three",
        "Where the measure stands now: 86%",
        "“Ambassadors have left”",
        "Self-assessment Red, governors Green: two steps apart.",
        "Past its due date (31 Jan 2025) and not complete.",
        "“Good start, gaps remain”",
    ):
        assert said in text, said
    # TSP3's action is not behind this cell.
    assert "Coaching programme" not in text
    assert reverse("reviews:rate", kwargs={"pk": trust_ratings.saltash.pk, "term": "spring"}) in html


def test_a_cell_of_a_school_without_a_plan_or_an_unknown_aim_is_404(trust_ratings):
    ceo = client_for("ceo")
    assert ceo.get(reverse("reviews:cell", args=[SPRING, "landulph", "TSP1"])).status_code == 404
    assert ceo.get(reverse("reviews:cell", args=[SPRING, "saltash", "TSP99"])).status_code == 404
    assert ceo.get(reverse("reviews:cell", args=["2024-25-winter", "saltash", "TSP1"])).status_code == 404


def test_golden_thread_shows_every_schools_priorities_and_actions_for_the_aim(trust_ratings):
    html = page("ceo", "reviews:golden_thread", plan="tsp-2022-27", aim="TSP1", query=f"?term={SPRING}")
    text = words(html)
    assert "TSP1: Equitable Progress for all in every school" in text
    saltash, brunel = text.index("Saltash Community School"), text.index("Brunel Primary")
    assert brunel < saltash  # schools in alphabetical order
    assert "Author visits each half term (lead: no lead): Amber “Visits delayed”" in text
    assert "Weekly library sessions for Year 7" in text[brunel:saltash]
    assert "Red “Library closed for repairs”" in text
    assert "Actions of every school under this aim: 1 red, 1 amber, 3 green" in text
    assert "Trustees' rating of the aim: Amber" in text and "“Reading gains uneven”" in text
    assert "No priority linked to TSP1: Burraton Community Primary School." in text
    assert "Middle leaders' development" not in text


def test_the_aim_page_links_to_its_golden_thread_only_for_trust_wide_roles(trust_ratings, client):
    aim_url = reverse("plans:aim", kwargs={"plan": "tsp-2022-27", "aim": "TSP1"})
    thread = reverse("reviews:golden_thread", kwargs={"plan": "tsp-2022-27", "aim": "TSP1"})
    assert thread in client_for("ceo").get(aim_url).content.decode()
    # The body is kept for everyone who may see it; the link is outside it.
    assert thread not in client.get(aim_url).content.decode()
    assert thread not in client_for("governor").get(aim_url).content.decode()
    assert thread in client_for("trustee").get(aim_url).content.decode()


def test_school_view_shows_each_priority_by_term(trust_ratings):
    html = page("governor", "reviews:school", slug="saltash", query="?year=2024-25")
    text = words(html)
    assert "Saltash Community School: ratings by term, 2024/25" in text
    row = text[text.index("Reading for pleasure Aim TSP1") :]
    autumn, spring = "1 red, 1 amber, 1 green", "1 amber, 2 green"
    assert row.index(autumn) < row.index(spring) < row.index("Middle leaders' development")
    assert "Overall: Amber" in row
    assert "All actions 2 red, 1 amber, 1 green Score 37.5 of 100 1 amber, 2 green, 1 not rated Score 62.5" in text
    assert reverse("reviews:lgc_report", kwargs={"slug": "saltash", "term": SPRING}) in html


def test_school_view_of_a_year_without_a_plan_says_so(trust_ratings):
    text = words(page("head", "reviews:school", slug="saltash", query="?year=2023-24"))
    assert "Saltash Community School has no finalised SDP for 2023/24" in text
    assert client_for("ceo").get(reverse("reviews:school", args=["saltash"]) + "?year=1999-00").status_code == 404


def test_staff_read_their_schools_ratings_only_when_the_trust_allows(trust_ratings):
    url = reverse("reviews:school", args=["saltash"])
    assert client_for("staff").get(url).status_code == 403
    ReviewSettings.objects.update_or_create(trust=Trust.objects.get(), defaults={"staff_see_ratings": True})
    assert client_for("staff").get(url).status_code == 200
    assert client_for("head.brunel").get(url).status_code == 404


def test_lgc_report_lists_the_questions_and_every_red_and_amber_with_its_commentary(trust_ratings):
    html = page("governor", "reviews:lgc_report", slug="saltash", term=SPRING)
    text = words(html)
    assert "LGC report: Saltash Community School, Spring term 2024/25" in text
    assert "1 amber, 2 green, 1 not rated" in text and "62.5 of 100" in text
    assert "up 25 points" in text and "(then: 2 red, 1 amber, 1 green)" in text
    questions = text[text.index("For the LGC's questions") : text.index("Every Red and Amber")]
    disputed = questions[questions.index("Disputed (1)") : questions.index("Stale")]
    assert "Reading ambassadors in every form" in disputed and "two steps apart" in disputed
    stale = questions[questions.index("Stale: no new evidence since last term (2)") : questions.index("Overdue")]
    assert "Reading ambassadors" in stale and "Coaching programme" in stale
    assert "Author visits each half term" in questions[questions.index("Overdue (1)") :]
    assert "Coaching programme" in questions[questions.index("Not rated by the governors (1)") :]
    red_amber = text[text.index("Every Red and Amber") :]
    for commentary in ("“Visits delayed”", "“Good start, gaps remain”"):
        assert commentary in red_amber
    assert "Brunel" not in text
    assert "print" in text.lower() and 'class="page-report"' in html


def test_board_report_has_the_heatmap_the_aims_the_disputes_and_every_red_and_amber(trust_ratings):
    html = page("trustee", "reviews:board_report", term=SPRING)
    text = words(html)
    assert "Trust Board report: Spring term 2024/25" in text
    assert "up 25 points" in text and "down 50 points" in text and "1 red, 1 green" in text
    aims = text[text.index("The trust's aims") : text.index("Disputed (")]
    assert "TSP1 Equitable Progress for all 1 red, 1 amber, 3 green Amber" in aims and "“Reading gains uneven”" in aims
    assert "Disputed (1) Saltash Community School, Reading for pleasure: Reading ambassadors in every form." in text
    red_amber = text[text.index("Every Red and Amber") :]
    assert "(3)" in red_amber[:60]
    for school, commentary in (
        ("Brunel Primary and Nursery Academy", "“Library closed for repairs”"),
        ("Saltash Community School", "“Visits delayed”"),
        ("Saltash Community School", "“Good start, gaps remain”"),
    ):
        assert red_amber.index(school) < red_amber.index(commentary)
    # Autumn's reds are last term's: not in this report.
    assert "Programme not started" not in text
    assert "@media print" in open("static/css/app.css", encoding="utf-8").read()


# --- the exports -------------------------------------------------------------------------------

HEADER = [
    "School", "Plan", "Priority", "Action", "Aim", "Self-assessment", "Self-assessment commentary",
    "Governors' rating", "Counts as", "Commentary", "Current value", "Evidence", "Flags", "Rated by", "Rated at",
]  # fmt: skip


def expected_rows(f) -> list[list]:
    def at(action):
        r = Rating.objects.get(action=action, voice="governors", term=term("spring"))
        return timezone.localtime(r.at).replace(tzinfo=None, microsecond=0)

    brunel, burraton, saltash = (
        "Brunel Primary and Nursery Academy",
        "Burraton Community Primary School",
        ("Saltash Community School"),
    )
    gov, brunel_gov = "Gwen Lander", "Chair of Brunel Primary and Nursery Academy LGC"
    return [
        [brunel, f"{brunel} SDP 2024/25", "Reading for pleasure", "Weekly library sessions for Year 7", "TSP1", "",
         "", "Red", "Red", "Library closed for repairs", "", "", "No new evidence since last term.", brunel_gov,
         at(f.a["b1"])],
        [brunel, f"{brunel} SDP 2024/25", "Reading for pleasure", "Phonics catch-up groups", "TSP1", "", "", "Green",
         "Green", "", "", "Phonics check mock 90%", "", brunel_gov, at(f.a["b2"])],
        [burraton, f"{burraton} SDP 2024/25", "Reading for pleasure", "Weekly library sessions for Year 7", "", "", "",
         "", "Not rated", "", "", "", "Not rated by the governors this term. No new evidence since last term.", "",
         None],
        [saltash, f"{saltash} SDP 2024/25", "Reading for pleasure", "Weekly library sessions for Year 7", "TSP1",
         "Green", "", "Green", "Green", "", "86%", "Library log", "", gov, at(f.a["a1"])],
        [saltash, f"{saltash} SDP 2024/25", "Reading for pleasure", "Reading ambassadors in every form", "TSP1", "Red",
         "Ambassadors have left", "Green", "Green", "", "", "",
         "No new evidence since last term. Self-assessment Red, governors Green: two steps apart.", gov,
         at(f.a["a2"])],
        [saltash, f"{saltash} SDP 2024/25", "Reading for pleasure", "Author visits each half term", "TSP1", "", "",
         "Amber", "Amber", "Visits delayed", "", "One visit of three",
         "Past its due date (31 Jan 2025) and not complete.", gov, at(f.a["a3"])],
        [saltash, f"{saltash} SDP 2024/25", "Middle leaders' development", "Coaching programme for middle leaders",
         "TSP3", "Amber", "Started in February", "", "Not rated", "", "", "",
         "Not rated by the governors this term. No new evidence since last term.", "", None],
    ]  # fmt: skip


def test_export_rows_one_per_action_per_plan(trust_ratings):
    rows = selectors_reports.export_rows(trust=Trust.objects.get(), term=term("spring"))
    assert rows == expected_rows(trust_ratings)


def test_csv_export_reads_back(trust_ratings):
    response = client_for("ceo").get(reverse("reviews:export", kwargs={"term": SPRING, "fmt": "csv"}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="ratings-{SPRING}.csv"' in response["Content-Disposition"]
    read = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = [[f"{v:%Y-%m-%d %H:%M}" if hasattr(v, "hour") else "" if v is None else v for v in row] for row in
                expected_rows(trust_ratings)]  # fmt: skip
    assert read == [HEADER, *expected]


def test_excel_export_reads_back_with_openpyxl(trust_ratings):
    response = client_for("trustee").get(reverse("reviews:export", kwargs={"term": SPRING, "fmt": "xlsx"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    read = [list(row) for row in sheet.iter_rows(values_only=True)]
    expected = [[None if v == "" else v for v in row] for row in expected_rows(trust_ratings)]
    assert read == [HEADER, *expected]
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Fine = good", "Fine = good"),
        ("", ""),
        (None, ""),
    ],
)
def test_defused_cells_start_with_no_formula(value, safe):
    assert defused(value) == safe


def test_exports_never_carry_a_formula(trust_ratings):
    a2 = trust_ratings.a["a2"]
    Rating.objects.filter(action=a2, voice="governors").update(
        commentary="=cmd|' /C calc'!A0", current_value="-5%", evidence="@SUM(1+1)"
    )
    ceo = client_for("ceo")
    response = ceo.get(reverse("reviews:export", kwargs={"term": SPRING, "fmt": "csv"}))
    row = next(
        r for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) if r[3].startswith("Reading amb")
    )
    assert row[9:12] == ["'=cmd|' /C calc'!A0", "'-5%", "'@SUM(1+1)"]
    response = ceo.get(reverse("reviews:export", kwargs={"term": SPRING, "fmt": "xlsx"}))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = next(r for r in sheet.iter_rows(min_row=2) if str(r[3].value).startswith("Reading amb"))
    # Text cells, not formulas: the workbook holds the words as typed and Excel never runs them.
    assert [(c.value, c.data_type) for c in cells[9:12]] == [
        ("=cmd|' /C calc'!A0", "s"),
        ("-5%", "s"),
        ("@SUM(1+1)", "s"),
    ]


def test_export_of_another_format_is_404(trust_ratings):
    assert client_for("ceo").get(reverse("reviews:export", kwargs={"term": SPRING, "fmt": "pdf"})).status_code == 404


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reviews:heatmap", "reviews:board_report", "reviews:export", "reviews:cell"])
def test_trust_wide_pages_refuse_school_roles_and_say_why(trust_ratings, name):
    kwargs = {
        "reviews:heatmap": {},
        "reviews:board_report": {"term": SPRING},
        "reviews:export": {"term": SPRING, "fmt": "csv"},
        "reviews:cell": {"term": SPRING, "school": "saltash", "aim": "TSP1"},
    }[name]
    response = client_for("governor").get(reverse(name, kwargs=kwargs))
    assert response.status_code == 403
    assert "trust-wide roles" in response.content.decode()


def test_the_nav_shows_ratings_to_trust_wide_roles_only(trust_ratings):
    heatmap = reverse("reviews:heatmap")
    assert f'href="{heatmap}"' in client_for("cfo").get(reverse("home")).content.decode()
    assert f'href="{heatmap}"' not in client_for("head").get(reverse("home")).content.decode()
