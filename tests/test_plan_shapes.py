"""Plans of other shapes (issue 14, part 1): an older plan's shape imports without workarounds,
every page renders without dead links, and it round-trips through export unchanged.

tests/fixtures/older-shape-plan.yaml is synthetic (an invented trust) in the shape of a trust's
2017-22 plan: twelve aims with narratives, three strands plus a business group with its own
headline block, focus columns Learning / Leadership / Parental, guide rows with a label and a
phrase and no milestone sentence, per-row ticks that differ from the aim's, unnumbered strategies
with sub-bullets, italics and a link in a text, and no glossary, key documents or references.
"""

import re
from html.parser import HTMLParser

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import models as m
from plans.planfile import PlanFileError, export_plan_text, import_plan_data, import_plan_text
from tests.plan_builders import dump, edited, minimal_plan, older_shape_text

pytestmark = pytest.mark.django_db

PLAN = "ksp-2017-22"
DEMO = "tsp-2022-27"


@pytest.fixture
def older(db) -> m.StrategicPlan:
    return import_plan_text(older_shape_text(), source="older-shape-plan.yaml").plan


class Page(HTMLParser):
    """The links of a page and the text of its elements, enough to check a page's shape."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# Import and export


def test_older_shape_imports_without_workarounds(older):
    assert older.aims.count() == 12
    assert [c.name for c in older.focus_columns.all()] == ["Learning", "Leadership", "Parental"]
    guide = older.pocket_guides.get(academic_year__start_year=2021)
    rows = list(guide.milestones.order_by("group__order", "order"))
    assert len(rows) == 12
    assert all(row.label and row.phrase and row.milestone == "" for row in rows)
    business = guide.groups.get(name="Business improvement")
    block = guide.column_headlines.get(group=business)
    assert block.column is None and block.heading == "Whole-trust priorities"
    assert [b.text for b in block.bullets.all()] == [
        "One finance system for every school",
        "A buildings plan agreed by trustees",
    ]
    assert [h.column.code for h in guide.column_headlines.exclude(column=None)] == ["Lg", "Pa"]


def test_a_guide_row_carries_its_own_ticks_defaulting_to_the_aims(older):
    guide = older.pocket_guides.get(academic_year__start_year=2021)
    ticks = {row.aim.code: [c.code for c in row.ticks] for row in guide.milestones.all()}
    assert ticks["MSP2"] == ["Lg", "Pa"]  # the row's own, this year
    assert ticks["MSP7"] == ["Lg"]  # the aim ticks Pa; this year's row ticks Lg instead
    assert ticks["MSP1"] == ["Lg"]  # no ticks of its own: the aim's
    assert ticks["MSP12"] == ["Ld", "Pa"]
    assert [c.code for c in older.aims.get(code="MSP7").focus_columns.all()] == ["Pa"]


def test_older_shape_round_trips_through_export_unchanged(older):
    assert export_plan_text(older) == older_shape_text()
    # and importing the export again changes nothing
    assert import_plan_text(export_plan_text(older)).changes == 0


def test_a_block_names_a_column_or_a_group_not_both_nor_neither():
    def block(**keys):
        def edit(d):
            d["plan"]["pocket_guides"][0]["column_headlines"] = [{"bullets": ["x"], **keys}]

        return edit

    def errors(edit) -> list[str]:
        with pytest.raises(PlanFileError) as info:
            import_plan_data(edited(minimal_plan(), edit))
        return info.value.errors

    where = "plan.pocket_guides[0].column_headlines[0]"
    assert f"{where}: give a column or a group for the block" in errors(block())
    assert f"{where}: give a column or a group for the block, not both" in errors(block(column="L", group="Other"))
    assert f"{where}.group: no group with name 'Nowhere' in this pocket guide" in errors(block(group="Nowhere"))

    def twice(d):
        guide = d["plan"]["pocket_guides"][0]
        guide["groups"][1]["name"] = "Learners"
        guide["column_headlines"] = [{"group": "Learners", "bullets": ["x"]}]

    assert f"{where}.group: more than one group is named 'Learners'" in errors(twice)


def test_a_milestone_row_needs_no_milestone_sentence():
    def label_only(d):
        d["plan"]["pocket_guides"][0]["groups"][0]["milestones"] = [{"aim": "A1", "label": "Short", "phrase": "P"}]

    row = m.Milestone.objects.get(aim=import_plan_data(edited(minimal_plan(), label_only)).plan.aims.get(code="A1"))
    assert (row.label, row.phrase, row.milestone) == ("Short", "P", "")
    assert str(row) == "Short"


# ---------------------------------------------------------------------------------------------
# Pages


def test_every_page_of_the_older_plan_renders_and_links_nowhere_dead(client, older):
    start = [reverse("plans:contents", args=[PLAN])]
    seen: set[str] = set()
    todo = list(start)
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        html = get(client, url)
        assert html.count("<h1") == 1, url
        for link in Page(html).links:
            # Its pages; the PDFs (files, or a "being prepared" page) have their own tests.
            if link.startswith(f"/plans/{PLAN}/") and not link.endswith("/pdf/") and link not in seen:
                todo.append(link)
    expected = {
        reverse("plans:contents", args=[PLAN]),
        *(reverse(f"plans:{s}", args=[PLAN]) for s in ("introduction", "values", "principles", "vision", "roles")),
        reverse("plans:review-cycle", args=[PLAN]),
        *(reverse("plans:aim", args=[PLAN, f"MSP{i}"]) for i in range(1, 13)),
        *(reverse("plans:strand", args=[PLAN, s]) for s in ("learning", "leadership", "community")),
        reverse("plans:pocket_guide", args=[PLAN, "2021-22"]),
        reverse("plans:pocket_guide", args=[PLAN, "2020-21"]),
    }
    assert seen == expected  # every page reached; no link to a section the plan does not have


def test_section_links_skip_sections_a_plan_does_not_have(client, older, demo):
    html = get(client, reverse("plans:references", args=[DEMO]))
    assert reverse("plans:glossary", args=[DEMO]) not in html  # the demo plan has no glossary
    assert 'rel="next"' not in html
    html = get(client, reverse("plans:review-cycle", args=[DEMO]))
    assert f'href="{reverse("plans:references", args=[DEMO])}" rel="next"' in html
    html = get(client, reverse("plans:vision", args=[PLAN]))
    assert f'href="{reverse("plans:roles", args=[PLAN])}" rel="next"' in html  # no key documents
    html = get(client, reverse("plans:review-cycle", args=[PLAN]))
    assert f'href="{reverse("plans:roles", args=[PLAN])}" rel="prev"' in html
    assert 'rel="next"' not in html  # no references or glossary


def test_a_label_only_guide_has_no_empty_milestones_column(client, older):
    html = get(client, reverse("plans:pocket_guide", args=[PLAN, "2021-22"]))
    assert "col-milestone" not in html
    assert "Milestones" not in html
    assert "Reading for pleasure" in html and "Every class, every day." in html
    assert "Business: services that serve schools" in html  # the group's headline still shows


def test_a_guide_with_milestone_sentences_keeps_the_column(client, older):
    html = get(client, reverse("plans:pocket_guide", args=[PLAN, "2020-21"]))
    assert html.count('class="col-milestone"') == 2 + 1
    assert "1. A reading corner in every classroom" in html


def test_a_label_is_never_numbered_twice(client, older):
    def numbered_label(d):
        row = d["plan"]["pocket_guides"][0]["groups"][0]["milestones"][0]
        row["label"] = "1. Reading for pleasure"
        row["milestone"] = "1. A reading corner"

    data = edited(yaml.safe_load(older_shape_text()), numbered_label)
    import_plan_data(data)
    html = get(client, reverse("plans:pocket_guide", args=[PLAN, "2021-22"]))
    assert "1. Reading for pleasure" in html
    assert not re.search(r"1\.\s+1\.", html)


def test_a_group_block_renders_where_the_group_is(client, older):
    html = get(client, reverse("plans:pocket_guide", args=[PLAN, "2021-22"]))
    group = html.index('class="group-name">Business improvement')
    block = html.index("Whole-trust priorities")
    first_row = html.index("One finance team</a>")
    assert group < block < html.index("A buildings plan agreed by trustees") < first_row
    # No tick column was added for it: three focus columns, as the plan has.
    assert html.count('scope="col" class="col-focus"') == 3


def test_ticks_on_the_page_are_the_rows_own(client, older):
    html = get(client, reverse("plans:pocket_guide", args=[PLAN, "2021-22"]))
    rows = {
        code: html[html.index(f"/aims/{code}/") : html.index("</tr>", html.index(f"/aims/{code}/"))]
        for code in ("MSP2", "MSP7")
    }
    assert "Learning: yes" in rows["MSP2"] and "Parental: yes" in rows["MSP2"]
    assert "Learning: yes" in rows["MSP7"] and "Parental: no" in rows["MSP7"]


def test_focus_column_heads_are_explained_by_their_names(client, older):
    html = get(client, reverse("plans:pocket_guide", args=[PLAN, "2021-22"]))
    assert '<abbr title="Learning">Lg</abbr>' in html
    key = html[html.index('class="focus-key') :]
    key = key[: key.index("</p>")]
    for code, name in (("Lg", "Learning"), ("Ld", "Leadership"), ("Pa", "Parental")):
        assert f"{code}</abbr> {name}" in key or f"{code}: {name}" in re.sub(r"<[^>]+>", "", key)


def test_unnumbered_strategies_are_bullets_and_their_heading_has_no_number(client, older):
    html = get(client, reverse("plans:aim", args=[PLAN, "MSP1"]))
    assert '<h2 id="strategies-heading">Current considered strategies</h2>' in html
    section = html[html.index('id="strategies-heading"') :]
    assert section.index('<ul class="strategy-bullets">') < section.index("A class library in every room")
    nested = section[section.index("A class library in every room") :]
    assert nested.index('<ul class="strategy-bullets">') < nested.index("Books chosen with the pupils")
    assert "<ol" not in section[: section.index("</section>")]


def test_numbered_strategies_keep_the_documents_numbers(client, demo):
    html = get(client, reverse("plans:aim", args=[DEMO, "TSP2"]))
    assert '<h2 id="strategies-heading">2. Key Strategies</h2>' in html
    assert '<ol class="strategies">' in html


def test_emphasis_and_links_in_plan_text_reach_the_page(client, older):
    html = get(client, reverse("plans:aim", args=[PLAN, "MSP1"]))
    assert "<em>The Patient Classroom</em>" in html and "<em>Wild Hills</em>" in html
    assert '<a href="https://example.org/policies/reading" rel="noopener noreferrer">reading policy</a>' in html
    html = get(client, reverse("plans:introduction", args=[PLAN]))
    assert "<em>The Patient Classroom</em>" in html
    assert "*The Patient Classroom*" not in html


def test_markup_survives_export(older):
    text = export_plan_text(older)
    assert "*The Patient Classroom*" in text
    assert "[our reading policy](https://example.org/policies/reading)" in text


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    '[click](https://example.org/" onmouseover="alert(1))',
    "<a href='javascript:alert(1)'>x</a>",
    "*<b onclick='x()'>bold</b>*",
    "[x](vbscript:msgbox)",
    "<https://example.org/ok>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_plan_text_renders_harmless(client, text):
    def hostile(d):
        d["plan"]["introduction"] = f"Before {text} after"
        d["plan"]["aims"][0]["narrative"] = text
        d["plan"]["aims"][0]["drivers"] = [text]

    import_plan_data(edited(minimal_plan(), hostile))
    for url in (reverse("plans:introduction", args=["mini"]), reverse("plans:aim", args=["mini", "A1"])):
        main = get(client, url)
        main = main[main.index("<main") : main.index("</main>")]
        page = Page(main)
        assert not [tag for tag, _ in page.tags if tag in ("script", "img", "b", "iframe")]
        for tag, attributes in page.tags:
            assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
            href = attributes.get("href") or ""
            assert not href or re.match(r"^(https?:|mailto:|/|#)", href), href
            if tag == "a" and href.startswith("http"):
                assert attributes.get("rel") == "noopener noreferrer"


def test_markup_round_trips_through_a_file(tmp_path):
    text = dump(
        edited(
            minimal_plan(), lambda d: d["plan"].__setitem__("introduction", "See *this* [link](https://example.org/)")
        )
    )
    plan = import_plan_text(text).plan
    assert "See *this* [link](https://example.org/)" in export_plan_text(plan)


def test_pocket_guide_queries_do_not_grow_with_rows_blocks_or_ticks(client, older):
    url = reverse("plans:pocket_guide", args=[PLAN, "2021-22"])
    with CaptureQueriesContext(connection) as small:
        get(client, url)
    data = yaml.safe_load(older_shape_text())
    guide = data["plan"]["pocket_guides"][0]
    for group in guide["groups"]:
        guide["column_headlines"].append({"group": group["name"], "heading": "More", "bullets": ["a", "b", "c"]})
        for row in group["milestones"]:
            row["focus"] = ["Lg", "Ld"]
    import_plan_data(data)
    with CaptureQueriesContext(connection) as big:
        html = get(client, url)
    assert html.count('class="group-block"') == 5
    assert len(big) == len(small), [q["sql"] for q in big.captured_queries]
