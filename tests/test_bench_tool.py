"""The pure parts of `make bench` (ops/bench.py): reading wrk's output, rewriting only its own section
of docs/benchmarks.md, and the page list resolving to the app's URLs. No timing is asserted anywhere."""

import re
import string
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ops"))

import bench  # noqa: E402 - ops/ is a folder of scripts, not a package

# Real output of `wrk -t2 -c8 -d2s --latency --timeout 60s -s <bench.WRK_SCRIPT>` on the bare table.
WRK_OK = """\
Running 2s test @ http://127.0.0.1:59441/table?bytes=20000
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    27.42ms    5.45ms  73.95ms   79.73%
    Req/Sec   142.02     28.80   210.00     82.93%
  Latency Distribution
     50%   28.00ms
     75%   28.91ms
     90%   30.87ms
     99%   45.79ms
  581 requests in 2.10s, 11.28MB read
Requests/sec:    276.52
Transfer/sec:      5.37MB
bench: requests=581 duration_us=2101089 bytes=11829741 p50_us=28000 p95_us=35225 p99_us=45794 max_us=73951 \
status_errors=0 connect_errors=0 read_errors=0 write_errors=0 timeouts=0
"""

# Real output against a path the bare project does not have: every response a 404.
WRK_404 = """\
Running 1s test @ http://127.0.0.1:59441/missing
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   774.28us  671.96us  12.39ms   98.34%
    Req/Sec     2.66k   100.08     2.75k    90.91%
  Latency Distribution
     50%  683.00us
     75%  848.00us
     90%    1.04ms
     99%    1.82ms
  2911 requests in 1.10s, 0.99MB read
  Non-2xx or 3xx responses: 2911
Requests/sec:   2646.88
Transfer/sec:      0.90MB
bench: requests=2911 duration_us=1099786 bytes=1042306 p50_us=683 p95_us=1164 p99_us=1815 max_us=12391 \
status_errors=2911 connect_errors=0 read_errors=0 write_errors=0 timeouts=0
"""


def test_wrk_output_gives_rate_and_percentiles_in_ms():
    figures = bench.parse_wrk(WRK_OK)
    assert figures["requests_per_second"] == 276.52
    assert figures["requests"] == 581
    assert (figures["p50_ms"], figures["p95_ms"], figures["p99_ms"]) == (28.0, 35.225, 45.794)
    assert figures["distribution_ms"] == {"50": 28.0, "75": 28.91, "90": 30.87, "99": 45.79}
    assert figures["non_2xx_3xx"] == 0
    assert figures["socket_errors"] == 0


def test_wrk_output_counts_non_2xx_and_reads_microseconds():
    figures = bench.parse_wrk(WRK_404)
    assert figures["non_2xx_3xx"] == 2911
    assert figures["distribution_ms"]["50"] == pytest.approx(0.683)
    assert figures["p95_ms"] == pytest.approx(1.164)


def test_wrk_socket_errors_are_counted():
    text = WRK_OK.replace("Requests/sec:", "  Socket errors: connect 0, read 3, write 0, timeout 2\nRequests/sec:")
    assert bench.parse_wrk(text)["socket_errors"] == 5


def test_wrk_output_without_the_script_line_is_refused():
    # Without the script's line there is no p95: a figure missing is an error, never a blank.
    without = "\n".join(line for line in WRK_OK.splitlines() if not line.startswith(("bench:", "status_errors")))
    with pytest.raises(ValueError, match="p95_ms"):
        bench.parse_wrk(without)


def test_units_of_time():
    assert [bench.to_ms(v) for v in ("250.00us", "1.50ms", "2.00s", "1.00m")] == [0.25, 1.5, 2000.0, 60000.0]


DOCUMENT = f"""# Benchmarks

Hand-written notes that must survive.

{bench.START}
## Latest run

old figures
{bench.END}

## Before (commit abc1234)

| page | p50 |
|---|---|
| people | 900 |
"""


def test_section_rewrite_keeps_everything_outside_the_markers():
    rewritten = bench.rewrite_section(DOCUMENT, "## Latest run\n\nnew figures\n")
    assert "old figures" not in rewritten
    assert "new figures" in rewritten
    head, tail = DOCUMENT.split(bench.START)[0], DOCUMENT.split(bench.END)[1]
    assert rewritten.startswith(head + bench.START + "\n## Latest run\n\nnew figures\n" + bench.END)
    assert rewritten.endswith(tail)
    # Run again: the same document, not a second section.
    assert bench.rewrite_section(rewritten, "## Latest run\n\nnew figures\n") == rewritten
    assert rewritten.count(bench.START) == 1


def test_section_is_added_to_a_file_without_markers_and_made_with_an_intro():
    added = bench.rewrite_section("# Notes\n\nKept.\n", "figures")
    assert added.startswith("# Notes\n\nKept.\n")
    assert added.endswith(f"{bench.START}\nfigures\n{bench.END}\n")
    made = bench.rewrite_section(None, "figures")
    assert made.startswith("# Benchmarks\n")
    assert f"{bench.START}\nfigures\n{bench.END}" in made


IDS = {"plan": "tsp-2022-27", "aim": "TSP 1/2", "year": "2024-25", "sdp": 42, "plan_id": 7, "school": "saltash"}
# What CYCLE_LIVE's setup adds for the review cycle's pages, once it has made today's cycle live.
LIVE_IDS = {"stage": 19, "month": "2026-11"}


def discovered(key: str, script: str = bench.DISCOVER) -> set[str]:
    """The keys a script (DISCOVER, CYCLE_LIVE) prints in its `key` dictionary."""
    block = re.search(rf'"{key}": \{{(.*?)\}}', script, re.DOTALL).group(1)
    return set(re.findall(r'"(\w+)":', block))


def test_discovery_finds_the_ids_and_people_this_test_uses():
    assert discovered("ids") == set(IDS)
    assert discovered("ids", bench.CYCLE_LIVE) == set(LIVE_IDS)
    assert discovered("people") == {"ceo", "head", "staff", "governor"}


@pytest.mark.parametrize("page", bench.MEASURED, ids=lambda page: page.name)
def test_every_page_resolves_to_a_view_with_the_discovered_ids(page):
    fields = {name for _, name, _, _ in string.Formatter().parse(page.path) if name}
    found = discovered("ids") | (discovered("ids", bench.CYCLE_LIVE) if page in bench.CYCLE_PAGES else set())
    assert fields <= found, f"{page.name} needs {fields - found}, which neither DISCOVER nor CYCLE_LIVE finds"
    assert page.who == bench.ANONYMOUS or page.who in discovered("people")
    path = page.url_path({**IDS, **LIVE_IDS})
    assert "{" not in path and path.startswith("/")
    try:
        match = resolve(path)
    except Resolver404:
        pytest.fail(f"{page.name}: {path} is not a URL of the app")
    assert match.func.__name__ not in ("", "<lambda>")
    assert match.kwargs.get("aim", "TSP%201%2F2") == "TSP%201%2F2"  # an id is quoted, never splits the path


def test_page_names_are_unique_and_the_filter_picks_by_name():
    names = [page.name for page in bench.MEASURED]
    assert len(names) == len(set(names))
    assert [p.name for p in bench.selected_pages(bench.PAGES, "people, sdp-head")] == ["sdp-head", "people"]
    assert bench.selected_pages(bench.PAGES, "") == bench.PAGES
    with pytest.raises(SystemExit, match="no page named nope"):
        bench.selected_pages(bench.PAGES, "people,nope")


def test_bare_table_size_is_the_page_size_to_two_figures():
    assert [bench.bare_size(n) for n in (38_612, 3_549, 123_456, 40)] == [39_000, 3_500, 120_000, 100]


def test_the_review_cycle_pages_come_last_and_the_table_names_their_group():
    # Measured after every other page, with today's cycle made live: the others are measured as before.
    assert bench.MEASURED == bench.PAGES + bench.CYCLE_PAGES
    assert {p.name for p in bench.CYCLE_PAGES} >= {
        "home-head", "home-governor", "home-ceo", "calendar", "cycle-stages", "cycle-stage", "cycle-log",
        "compliance", "compliance-month",
    }  # fmt: skip
    run = {"name": "x", "who": "ceo", "ok": True, "requests_per_second": 10.0, "p50_ms": 40.0, "p95_ms": 50.0,
           "p99_ms": 60.0, "queries": 5, "bytes": 2048, "bare_size": 2000}  # fmt: skip
    figures = {"pages": [{**run, "name": "people"}, {**run, "name": "home-ceo", "live_cycle": True},
                         {**run, "name": "calendar", "live_cycle": True}],
               "bare": {"2000": {"p50_ms": 20.0}}}  # fmt: skip
    assert [row[0] for row in bench.table(figures)[1:]] == ["people", bench.CYCLE_GROUP, "home-ceo", "calendar"]
    assert bench.cycle_lines({"cycle": None}) == []


def test_the_cycle_made_live_is_removed_table_by_table_with_its_history():
    # Everything the setup writes is in the teardown's list, removed before what it points at.
    tables = re.search(r"TABLES = \[(.*?)\]", bench.CYCLE_LIVE, re.DOTALL).group(1)
    order = re.findall(r'"(\w+\.\w+)"', tables)
    for written in ("reviews.Stage", "reviews.TermDates", "plans.AcademicYear", "reviews.ComplianceCheck",
                    "reviews.ComplianceArea", "reviews.StageDone", "reviews.Notice", "reviews.Message",
                    "reviews.Decision"):  # fmt: skip
        assert written in order
    assert order.index("reviews.Decision") < order.index("reviews.Message") < order.index("reviews.Notice")
    assert order.index("reviews.ComplianceCheck") < order.index("reviews.ComplianceArea")
    assert order.index("reviews.Stage") < order.index("reviews.TermDates") < order.index("plans.AcademicYear")
