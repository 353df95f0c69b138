"""The benchmark: how fast each main page is, with the large trust loaded, against bare Django.

    make bench                        # 120 schools, 10 s a page (BENCH_SCHOOLS=..., BENCH_SECONDS=...)
    BENCH_REUSE=1 BENCH_PAGES=people,sdp-head make bench   # iterate on two pages in seconds
    BENCH_REUSE=1 BENCH_PAGES=may-email make bench         # only the May e-mail (BENCH_MAIL=0: never)

A scratch PostgreSQL database (DATABASE_URL's name + "_bench") gets the large demo trust; the app
runs under gunicorn with production settings beside a bare Django project (ops/bench_bare/) with
the same workers. Each page (PAGES below: one line a page) is fetched as its person, warmed, then
driven with wrk; its queries are counted once in a separate Django process. Then the review cycle's
pages (CYCLE_PAGES), once the cycle running today has been made live in the scratch database; it
is put back as it was after them. Each page is compared
with the bare project rendering a table of the same size. The table is printed and written to
docs/benchmarks.md (between the bench:latest markers; the rest of the file is kept), the raw
figures with --json PATH. A tool, not a test: it asserts no timing, but fails on a page that does
not answer 200 or answers anything but 2xx/3xx under load. Then the May e-mail (ops/bench_mail.py):
the pocket guide published to every member of staff, delivered by real workers to an SMTP sink;
the run fails if any message is not handed over exactly once.
"""

from __future__ import annotations

import argparse
import datetime
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import bench_mail
from serve import ROOT, database_url, production_env, run, scratch_database, start_gunicorn, stop

PASSWORD = "bench-password-1"  # noqa: S105 - the scratch database's demo people
WORKERS = 2
WRK_THREADS = 2
WRK_CONNECTIONS = 8
DOCS = ROOT / "docs" / "benchmarks.md"
START = "<!-- bench:latest:start -->"
END = "<!-- bench:latest:end -->"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Page:
    """A page to measure: `path` is filled from the ids found in the database ({plan} the trust plan's
    slug, {aim} an aim's code, {year} a pocket guide's year, {sdp} the measured SDP's id, {school} its
    school's slug) or made live for the cycle's pages ({stage} a stage's id, {month} "YYYY-MM"); `who`
    is one of the people found there (ceo, head, staff, governor) or anonymous."""

    name: str
    path: str
    who: str

    def url_path(self, ids: dict[str, str]) -> str:
        return self.path.format(**{key: urllib.parse.quote(str(value), safe="") for key, value in ids.items()})


# The pages measured, one line each: a new page is one more line here (and, if it needs an id or a
# person not found yet, one more entry in DISCOVER's output). Measured on the database as it is.
PAGES = [
    Page("login", "/accounts/login/", ANONYMOUS),
    Page("plan", "/plans/{plan}/", ANONYMOUS),
    Page("aim", "/plans/{plan}/aims/{aim}/", ANONYMOUS),
    Page("pocket-guide", "/plans/{plan}/pocket-guide/{year}/", ANONYMOUS),
    Page("sdp-head", "/school-plans/{sdp}/", "head"),
    Page("sdp-staff", "/school-plans/{sdp}/", "staff"),
    Page("sdp-history", "/school-plans/{sdp}/history/", "head"),
    Page("sdp-smart", "/school-plans/{sdp}/smart/", "head"),
    Page("sdp-pocket-guide", "/school-plans/{sdp}/pocket-guide/", "head"),
    Page("sign-off-queue", "/school-plans/sign-off/", "ceo"),
    Page("people", "/people/", "ceo"),
    Page("school-plans", "/school-plans/", "ceo"),
    Page("schools", "/schools/", "ceo"),
    Page("rate", "/ratings/plans/{sdp}/spring/", "governor"),
    Page("heatmap", "/ratings/trust/", "ceo"),
    # PDF downloads, once rendered (the first request renders; the run measures the stored file).
    Page("pocket-guide-pdf", "/plans/{plan}/pocket-guide/{year}/pdf/", ANONYMOUS),
    Page("sdp-pocket-guide-pdf", "/school-plans/{sdp}/pocket-guide/pdf/", "staff"),
]

# The review cycle's pages (issue #20), one line each too: measured after every page above, once the
# cycle running today has been made live in the scratch database, which is put back as it was after
# (CYCLE_LIVE). A list of their own: tests/test_bench_pages_queries.py loads PAGES' data only.
CYCLE_PAGES = [
    Page("home-head", "/", "head"),
    Page("home-governor", "/", "governor"),
    Page("home-ceo", "/", "ceo"),
    Page("calendar", "/cycle/calendar/", "head"),
    Page("cycle-stages", "/cycle/", "ceo"),
    Page("cycle-stage", "/cycle/stages/{stage}/", "ceo"),
    Page("cycle-log", "/cycle/log/", "ceo"),
    Page("compliance", "/cycle/compliance/", "ceo"),
    Page("compliance-month", "/cycle/compliance/{school}/{month}/", "head"),
]
MEASURED = PAGES + CYCLE_PAGES

# Cold renders, each kind in a process of its own (so its peak memory is its own): `page` is
# fetched and its stored PDF forgotten before each timed request; `renderer` is called as the
# worker calls it, for the PDFs rendered off the request path.
RENDERS = [
    {"kind": "pocket-guide", "page": "/plans/{plan}/pocket-guide/{year}/pdf/", "who": ANONYMOUS},
    {"kind": "school-pocket-guide", "page": "/school-plans/{sdp}/pocket-guide/pdf/", "who": "staff"},
    {"kind": "full-plan", "renderer": ["full-plan", "{plan_id}"]},
]

# Run in the scratch database: the people and ids the pages need, found by role, never by address.
DISCOVER = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.conf import settings
    from django.db.models import Count
    from governance.models import RoleAssignment, User
    from plans.models import AcademicYear, Aim, PocketGuide, SchoolPlan, StrategicPlan
    from plans.models.school_plans import PUBLISHED_STATES, PlanKind
    from schools.models import School

    def person(role, **where):
        found = RoleAssignment.objects.filter(role=role, user__is_active=True, **where).order_by("pk").first()
        return found.user.email if found else None

    sdp = (SchoolPlan.objects.filter(kind=PlanKind.SDP, state__in=PUBLISHED_STATES)
           .annotate(actions=Count("priorities__actions"))
           .order_by("-academic_year__start_year", "-actions", "pk").first())
    plan = StrategicPlan.objects.published().order_by("-start_year", "pk").first()
    guides = PocketGuide.objects.published().filter(plan=plan).select_related("academic_year")
    guide = (guides.filter(academic_year=sdp.academic_year).first() if sdp else None) or guides.first()
    aim = Aim.objects.filter(plan=plan).first() if plan else None
    print(json.dumps({
        "people": {"ceo": person("ceo"), "head": sdp and person("headteacher", school=sdp.school),
                   "staff": sdp and person("staff", school=sdp.school),
                   "governor": sdp and person("local_governor", school=sdp.school)},
        "ids": {"plan": plan and plan.slug, "plan_id": plan and plan.pk, "aim": aim and aim.code,
                "year": guide and guide.academic_year.slug,
                "sdp": sdp and sdp.pk, "school": sdp and sdp.school.slug},
        "data": {"schools": School.objects.count(), "people": User.objects.count(),
                 "years": [y.label for y in AcademicYear.objects.order_by("start_year")],
                 "sdps": SchoolPlan.objects.filter(kind=PlanKind.SDP).count(),
                 "sdp": sdp and f"{sdp.title} ({sdp.get_state_display()}, {sdp.actions} actions)",
                 "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]},
    }))
    """
)

# Run in the scratch database: the SQL queries each page makes for its person, counted in one
# Django process (the test client), so nothing is added to the app's own request path.
COUNT_QUERIES = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from governance.models import User

    counts = {}
    for page in json.loads(sys.stdin.read()):
        client = Client(HTTP_HOST="127.0.0.1")
        if page["email"]:
            client.force_login(User.objects.get(email=page["email"]))
        client.get(page["path"])  # the first request of a process fills its caches
        with CaptureQueriesContext(connection) as queries:
            status = client.get(page["path"]).status_code
        counts[page["name"]] = {"queries": len(queries), "status": status}
    print(json.dumps(counts))
    """
)

# Run in the scratch database, three times, for the review cycle's pages (issue #20). The large
# demo's years end with 2025/26, so today's cycle has no year and its pages would show nothing due
# or an old year. "marks" notes the last id of every table the setup writes to, before it writes;
# "setup" makes the year whose cycle runs today (its terms come with it, by a signal) and the
# trust's stages for it, records November's compliance checks for two schools in three (a sixth
# part-way), marks the October task done for three schools in four, then runs beat's tick once at
# the last working moment (reminders, digests, delivery to a locmem mailbox: nothing leaves);
# "teardown" removes every row past the marks, history included, so the next run (BENCH_REUSE)
# finds the database as it was.
CYCLE_LIVE = textwrap.dedent(
    """
    import datetime, json, sys
    import django
    django.setup()
    import time_machine
    from django.apps import apps
    from django.db import transaction
    from django.utils import timezone
    from governance.models import Role, RoleAssignment
    from plans.models import AcademicYear, SchoolPlan
    from reviews import compliance, cycle, notify, school_days
    from reviews.models_cycle import Due
    from schools.models import School
    from smart_trust.rendered import data_changed

    # Removed in this order (a row before what it points at), each with its history rows.
    TABLES = ["reviews.Decision", "reviews.Message", "reviews.Notice", "reviews.StageDone",
              "reviews.ComplianceCheck", "reviews.ComplianceArea", "reviews.CalendarFeed", "smart_trust.OutboxJob",
              "reviews.Stage", "reviews.TermDates", "plans.AcademicYear"]
    job = json.loads(sys.stdin.read())

    def models():
        for label in TABLES:
            model = apps.get_model(label)
            history = getattr(model, "history", None)
            yield label, model, history.model if history is not None else None

    def last(model, field="pk"):
        return model.objects.order_by(f"-{field}").values_list(field, flat=True).first() or 0

    if job["mode"] == "marks":
        marks = {}
        for label, model, history in models():
            marks[label] = last(model)
            if history is not None:
                marks[label + ".history"] = last(history, "history_id")
        print(json.dumps(marks))

    elif job["mode"] == "setup":
        today = timezone.localdate()
        moment = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
        calendar = school_days.Calendar()
        while moment > timezone.now() or not calendar.is_school_day(moment.date()):
            moment -= datetime.timedelta(days=1)  # the last school day's 10:00 that has passed
        made = {}
        with time_machine.travel(moment, tick=True):
            school = School.objects.get(slug=job["school"])
            trust = school.trust
            year, made["year_made"] = AcademicYear.objects.get_or_create(start_year=cycle.cycle_start_year(today))
            stages = cycle.ensure_cycle(trust, year)
            areas = [a for a in compliance.ensure_areas(trust) if a.is_active]
            ceo = RoleAssignment.objects.filter(trust=trust, role=Role.CEO).order_by("pk").first().user
            heads = {r.school_id: r.user for r in
                     RoleAssignment.objects.filter(trust=trust, role=Role.HEADTEACHER).select_related("user")}
            schools = list(School.objects.filter(trust=trust).order_by("name"))
            checks_stage = next(s for s in stages if s.due_kind == Due.COMPLIANCE)
            months = [m for m in cycle.months_of(checks_stage) if m <= moment.date()]
            october = next(s for s in stages if s.due_kind == Due.TASK and s.starts.month == 10)
            Check = apps.get_model("reviews.ComplianceCheck")
            Done = apps.get_model("reviews.StageDone")
            checks, done = [], []
            with transaction.atomic():
                for i, s in enumerate(schools):
                    by = heads.get(s.pk, ceo)
                    recorded = areas if i % 6 < 4 else areas[:3] if i % 6 == 4 else []
                    checks += [Check(school=s, area=a, month=m, outcome=Check.Outcome.MET, by=by, at=moment)
                               for m in months for a in recorded]
                    if i % 4 != 3:
                        done.append(Done(stage=october, school=s, by=by, at=moment, note="Appraisal targets set."))
                Check.objects.bulk_create(checks)
                Done.objects.bulk_create(done)
            data_changed(cycle.CYCLE)  # bulk_create sends no signal: what is owed changed
            made["tick"] = notify.tick(moment)
        made["moment"] = moment.isoformat()
        Notice, Message, Decision = (apps.get_model(f"reviews.{n}") for n in ("Notice", "Message", "Decision"))
        made.update({"stages": len(stages), "areas": len(areas), "checks": len(checks), "done": len(done),
                     "schools": len(schools), "notices": Notice.objects.count(), "messages": Message.objects.count(),
                     "decisions": Decision.objects.count(), "year": year.label,
                     "plans": SchoolPlan.objects.filter(academic_year=year).count()})
        print(json.dumps({
            "ids": {"stage": october.pk, "month": f"{moment:%Y-%m}"},
            "made": made,
        }))

    elif job["mode"] == "teardown":
        removed = {}
        with transaction.atomic():
            for label, model, history in models():
                removed[label] = model.objects.filter(pk__gt=job["marks"][label]).delete()[0]
            for label, model, history in models():  # deleting wrote history rows too
                if history is not None:
                    history.objects.filter(history_id__gt=job["marks"][label + ".history"]).delete()
        data_changed(cycle.CYCLE)
        print(json.dumps(removed))
    """
)

# Run in the scratch database, once per kind of PDF: cold renders timed (median of `runs`), and the
# process's peak resident memory before and after them.
TIME_RENDERS = textwrap.dedent(
    """
    import json, resource, statistics, sys, time
    import django
    django.setup()
    from django.test import Client
    from governance.models import User
    from smart_trust import pdf
    from smart_trust.models import RenderedDocument

    spec = json.loads(sys.stdin.read())
    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    def forget():  # the file and the public fast path's entry too: nothing left to serve
        for key, name in RenderedDocument.objects.filter(kind=spec["kind"]).values_list("key", "file"):
            pdf.storage().delete(name)
            pdf.forget(key)
        if spec.get("page"):
            pdf.public_entries.delete(spec["page"])
    client = Client(HTTP_HOST="127.0.0.1")
    if spec.get("email"):
        client.force_login(User.objects.get(email=spec["email"]))
    def once():
        if spec.get("renderer"):
            name, *args = spec["renderer"]
            made = pdf.RENDERERS[name](*args)
            return made.pages
        response = client.get(spec["page"])
        assert response.status_code == 200, response.status_code
        b"".join(response.streaming_content)
        return RenderedDocument.objects.get(kind=spec["kind"]).pages
    forget()
    started = time.perf_counter()
    once()  # the first render of a process loads WeasyPrint and the fonts: timed apart
    first = time.perf_counter() - started
    before = peak_mb()
    times = []
    for _ in range(spec["runs"]):
        forget()
        started = time.perf_counter()
        pages = once()
        times.append(time.perf_counter() - started)
    print(json.dumps({"kind": spec["kind"], "seconds": statistics.median(times), "max_seconds": max(times),
                      "first_seconds": first,
                      "pages": pages, "peak_mb": round(peak_mb(), 1), "before_mb": round(before, 1)}))
    """
)

# Percentiles wrk's --latency does not print (p95), to the microsecond, on one line parse_wrk reads.
WRK_SCRIPT = textwrap.dedent(
    """
    done = function(summary, latency, requests)
      local e = summary.errors
      io.write(string.format(
        "bench: requests=%d duration_us=%d bytes=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d "
        .. "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\\n",
        summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
        latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
    end
    """
)

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value.strip()).groups()
    return float(number) * UNITS_MS[unit]


def parse_wrk(text: str) -> dict:
    """The figures from wrk's output (with --latency and WRK_SCRIPT): req/s, latencies in ms, and
    the responses that were not 2xx/3xx or failed at the socket."""
    figures: dict = {"non_2xx_3xx": 0, "socket_errors": 0}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", text):
        figures["requests_per_second"] = float(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        figures["non_2xx_3xx"] = int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        figures["socket_errors"] = sum(int(n) for n in match.groups())
    distribution = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", text, re.MULTILINE))
    figures["distribution_ms"] = {share: to_ms(value) for share, value in distribution.items()}
    if match := re.search(r"^bench: (.*)$", text, re.MULTILINE):
        script = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
        figures["requests"] = script["requests"]
        for share in (50, 95, 99):
            figures[f"p{share}_ms"] = script[f"p{share}_us"] / 1000
        figures["max_ms"] = script["max_us"] / 1000
        figures["non_2xx_3xx"] = max(figures["non_2xx_3xx"], script["status_errors"])
        figures["socket_errors"] = max(
            figures["socket_errors"],
            sum(script[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")),
        )
    missing = {"requests_per_second", "p50_ms", "p95_ms", "p99_ms"} - figures.keys()
    if missing:
        raise ValueError(f"wrk output without {', '.join(sorted(missing))}:\n{text}")
    return figures


def rewrite_section(document: str | None, section: str) -> str:
    """The document with what lies between the bench:latest markers replaced by `section`; the
    rest kept as it is. No document: a short intro and the section; no markers: added at the end."""
    block = f"{START}\n{section.strip()}\n{END}"
    if document is None:
        return (
            "# Benchmarks\n\n"
            "Figures from `make bench` (ops/bench.py): each main page under load with the large demo trust,\n"
            "beside bare Django serving a table of the same size on the same machine. The latest run is\n"
            "rewritten between the markers below; anything else in this file is kept.\n\n"
            f"{block}\n"
        )
    if START in document and END in document and document.index(START) < document.index(END):
        before, rest = document.split(START, 1)
        return before + block + rest.split(END, 1)[1]
    return document.rstrip("\n") + "\n\n" + block + "\n"


def bare_size(size: int) -> int:
    """The bare table's size for a page of `size` bytes: two significant figures, so pages within a
    few per cent of each other share one bare measurement."""
    if size < 100:
        return 100
    digits = len(str(size)) - 2
    return round(size, -digits)


def selected_pages(pages: list[Page], names: str) -> list[Page]:
    if not names.strip():
        return pages
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = set(wanted) - {page.name for page in pages}
    if unknown:
        sys.exit(f"BENCH_PAGES: no page named {', '.join(sorted(unknown))}; pages: {', '.join(p.name for p in pages)}")
    return [page for page in pages if page.name in wanted]


# ---- measuring ---------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, cookie: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310 - loopback
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def sign_in(base: str, email: str) -> str:
    """Sign in through the sign-in form as a browser would; the Cookie header that carries the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(base + "/accounts/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    try:
        opener.open(base + "/accounts/login/", data=data, timeout=60)
        status, location = 200, ""
    except urllib.error.HTTPError as exc:
        status, location = exc.code, exc.headers.get("Location", "")
    if status != 302 or "/accounts/" in location:
        sys.exit(f"Signing in as {email} did not reach the app (HTTP {status}, to {location or 'nowhere'}).")
    return "; ".join(f"{c.name}={c.value}" for c in jar if c.name in ("sessionid", "csrftoken"))


def wrk(url: str, seconds: int, script: Path, cookie: str = "") -> dict:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "60s",
           "-s", str(script)]  # fmt: skip
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode:
        sys.exit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


def worker_memory_mb(master_pid: int) -> list[float]:
    """Resident memory (VmRSS) of each child of a gunicorn master, in MB."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(round(int(fields["VmRSS"].split()[0]) / 1024, 1))
    return sorted(sizes)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory_kb = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.MULTILINE).group(1))
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpus": len(os.sched_getaffinity(0)),  # what nproc says
        "cpu_model": model.group(1).strip() if model else "unknown",
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "commit": commit.stdout.strip() or "unknown",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk is not installed and this is not root: install it with `sudo apt-get install -y wrk`.")
    print("Installing wrk (apt-get install -y wrk)...", flush=True)
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
        if subprocess.run(cmd, capture_output=True).returncode:
            sys.exit(f"`{' '.join(cmd)}` failed: install wrk by hand.")


# ---- the report --------------------------------------------------------------------------------


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(figures: dict) -> list[list[str]]:
    rows = [["page", "who", "req/s", "p50 ms", "p95 ms", "p99 ms", "queries", "size", "bare p50 at that size",
             "ratio"]]  # fmt: skip
    grouped = False
    for page in figures["pages"]:
        if page.get("live_cycle") and not grouped:  # the pages measured with today's cycle made live
            rows.append([CYCLE_GROUP] + [""] * (len(rows[0]) - 1))
            grouped = True
        bare = figures["bare"][str(page["bare_size"])]
        rows.append([
            page["name"] + ("" if page["ok"] else " FAILED"), page["who"], number(page["requests_per_second"]),
            number(page["p50_ms"]), number(page["p95_ms"]), number(page["p99_ms"]), str(page["queries"]),
            f"{page['bytes'] / 1024:,.1f} KB", f"{number(bare['p50_ms'])} ms",
            f"{page['p50_ms'] / bare['p50_ms']:.1f}x",
        ])  # fmt: skip
    return rows


CYCLE_GROUP = "*the review cycle (issue #20)*"


def cycle_lines(figures: dict) -> list[str]:
    """What the review cycle's pages were measured with (CYCLE_LIVE's setup)."""
    made = figures.get("cycle")
    if not made:
        return []
    tick = made["tick"]
    return [
        "",
        f"The review cycle's pages (below the line {CYCLE_GROUP}) were measured after all the others, once "
        f"{made['year']}, the year whose cycle runs today, was made in the scratch database "
        f"({'made for the run' if made['year_made'] else 'already there'}, with its terms; "
        f"{made['plans']} plans of that year): {made['stages']} stages, {made['checks']:,} compliance checks "
        f"({made['areas']} areas; 4 schools in 6 complete for the month, 1 in 6 part-way), the October task done "
        f"by {made['done']} of {made['schools']} schools, then beat's tick once at {made['moment'][:16]} "
        f"({tick['decided']:,} decisions, {tick['digests']:,} digests, {tick['sent']:,} sent to a locmem mailbox): "
        f"{made['notices']:,} notices, {made['messages']:,} messages and {made['decisions']:,} log rows in all. "
        "Removed again after them.",
    ]


def markdown(figures: dict) -> str:
    m, s, d = figures["machine"], figures["settings"], figures["data"]
    rows = table(figures)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    hello = figures["hello"]
    memory = figures["memory_mb"]
    loaded = f"loaded in {d['load_seconds']} s" if d["load_seconds"] is not None else "a database reused as it was"
    return "\n".join([
        "## Latest run",
        "",
        f"{m['date']}, commit `{m['commit']}`; {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB memory.",
        f"Data: {d['schools']} schools, {d['people']} people, {d['sdps']} SDPs, years "
        f"{', '.join(d.get('years', [])) or 'none'} ({loaded}); "
        f"the SDP measured: {d['sdp']}.",
        f"gunicorn {s['workers']} sync workers for the app (cache: {d['cache']}) and for bare Django; "
        f"`wrk -t{s['wrk_threads']} -c{s['wrk_connections']} -d{s['seconds']}s` a page after "
        f"{s['warm_seconds']} s of warming. Queries counted once a page; size is the body's bytes; the ratio "
        "is the page's p50 over bare Django's p50 for a table of about the same size.",
        "",
        *lines,
        "",
        f"Bare Django `/hello` (2 bytes): {number(hello['requests_per_second'])} req/s, "
        f"p50 {number(hello['p50_ms'])} ms, p99 {number(hello['p99_ms'])} ms.",
        f"Web workers' resident memory after the run: app {', '.join(f'{v:g}' for v in memory['app'])} MB; "
        f"bare {', '.join(f'{v:g}' for v in memory['bare'])} MB.",
        *cycle_lines(figures),
        *pdf_lines(figures),
        *bench_mail.markdown_lines(figures.get("may_email")),
    ])  # fmt: skip


def print_table(figures: dict) -> None:
    rows = table(figures)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))


# ---- the run -----------------------------------------------------------------------------------


def count_queries(env: dict, pages: list[Page], paths: dict, people: dict) -> dict:
    """Each page's SQL queries for its person, counted in a Django process of its own."""
    wanted = [{"name": p.name, "path": paths[p.name], "email": people.get(p.who)} for p in pages]
    counted = subprocess.run([sys.executable, "-c", COUNT_QUERIES], cwd=ROOT, env=env, input=json.dumps(wanted),
                             capture_output=True, text=True, timeout=1200)  # fmt: skip
    if counted.returncode:
        sys.exit(f"Counting queries failed:\n{counted.stdout}{counted.stderr}")
    return json.loads(counted.stdout.splitlines()[-1])


def cycle_live(env: dict, job: dict) -> dict:
    """One step of CYCLE_LIVE (marks, setup, teardown) in a process of its own; mail to a locmem box."""
    mail = {**env, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "EMAIL_HOST": ""}
    done = subprocess.run([sys.executable, "-c", CYCLE_LIVE], cwd=ROOT, env=mail, input=json.dumps(job),
                          capture_output=True, text=True, timeout=1200)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"The review cycle's {job['mode']} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def time_renders(env: dict, ids: dict, people: dict, names: str) -> list[dict]:
    """Each kind of PDF rendered cold three times in a process of its own: median seconds, pages and
    the process's peak memory."""
    found = []
    for spec in RENDERS:
        print(f"  rendering {spec['kind']} cold...", flush=True)
        job = {**spec, "runs": 3, "email": people.get(spec.get("who", ANONYMOUS))}
        if "page" in spec:
            job["page"] = Page(spec["kind"], spec["page"], ANONYMOUS).url_path(ids)
        if "renderer" in spec:
            job["renderer"] = [part.format(**ids) for part in spec["renderer"]]
        done = subprocess.run([sys.executable, "-c", TIME_RENDERS], cwd=ROOT, env=env, input=json.dumps(job),
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        if done.returncode:
            sys.exit(f"Rendering {spec['kind']} failed:\n{done.stdout}{done.stderr}")
        found.append(json.loads(done.stdout.splitlines()[-1]))
    return found


def pdf_lines(figures: dict) -> list[str]:
    """The PDFs: cold renders, and stored downloads beside bare hello's throughput."""
    hello = figures["hello"]["requests_per_second"]
    lines = []
    if figures.get("renders"):
        lines += [
            "",
            "PDFs rendered cold: the first render of a process (it loads WeasyPrint and the fonts), then the "
            "median and the slowest of 3 more:",
            "",
            "| PDF | pages | first render s | median s | slowest s | peak memory of the process |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['kind']} | {r['pages']} | {r['first_seconds']:.2f} | {r['seconds']:.2f} | {r['max_seconds']:.2f} "
            f"| {r['peak_mb']:g} MB "
            f"({r['peak_mb'] - r['before_mb']:+.1f} MB over the process before these renders) |"
            for r in figures["renders"]
        ]
    downloads = [page for page in figures["pages"] if page["name"].endswith("-pdf")]
    if downloads:
        lines += ["", "Stored PDFs served against bare hello: " + "; ".join(
            f"{page['name']} {number(page['requests_per_second'])} req/s "
            f"({page['requests_per_second'] / hello:.0%} of hello)" for page in downloads) + "."]  # fmt: skip
    return lines


def prepare(env: dict, schools: int, fresh: bool) -> float | None:
    """Migrate the scratch database (a reused one too: the code may have new migrations since it
    was loaded) and load the large trust into a new one; the seconds the load took."""
    print(f"Migrating {env['DATABASE_URL'].rsplit('/', 1)[1]}...", flush=True)
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    if not fresh:
        return None
    print(f"Loading the demo trust with {schools} schools...", flush=True)
    started = time.monotonic()
    run([sys.executable, "manage.py", "load_demo", "--schools", str(schools), "--years", "3",
         "--password", PASSWORD], env, timeout=1800)  # fmt: skip
    return round(time.monotonic() - started, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=int(os.environ.get("BENCH_SCHOOLS", "120")))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--warm", type=int, default=1, help="seconds of wrk before each measured run")
    parser.add_argument("--pages", default=os.environ.get("BENCH_PAGES", ""), help="comma-separated page names")
    parser.add_argument(
        "--reuse", "--keep-db", action="store_true", default=os.environ.get("BENCH_REUSE", "") not in ("", "0"),
        help="use the scratch database as the last run left it, if there is one (BENCH_REUSE=1)",
    )  # fmt: skip
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--docs", default=str(DOCS), help="the markdown file whose bench:latest section is rewritten")
    args = parser.parse_args()
    names = bench_mail.other_pages(args.pages)  # BENCH_PAGES=may-email alone: no web page
    pages = selected_pages(MEASURED, names) if names or not args.pages.strip() else []
    ensure_wrk()

    db_url, fresh = scratch_database(database_url(), "_bench", keep=args.reuse)
    env = production_env(db_url, AXES_FAILURE_LIMIT="1000")
    load_seconds = prepare(env, args.schools, fresh)
    if load_seconds is not None:
        print(f"Loaded in {load_seconds} s.", flush=True)
    else:
        print(f"Reusing {db_url.rsplit('/', 1)[1]} as it is (BENCH_REUSE).", flush=True)
    if not pages:
        may_email = bench_mail.measure(env)
        print(bench_mail.summary(may_email))
        return 0 if bench_mail.exactly_once(may_email) else 1
    found = json.loads(run([sys.executable, "-c", DISCOVER], env).splitlines()[-1])
    gaps = [f"{kind} {key}" for kind in ("people", "ids") for key, value in found[kind].items() if value is None]
    if gaps:
        sys.exit(
            f"Not in the scratch database: {', '.join(gaps)} (needed by the pages). Found: {found}"
            + ("\nIt was reused as it was: run without BENCH_REUSE to load it again." if not fresh else "")
        )
    people, ids = found["people"], found["ids"]
    before, live = [p for p in pages if p not in CYCLE_PAGES], [p for p in pages if p in CYCLE_PAGES]
    paths = {page.name: page.url_path(ids) for page in before}
    print(f"Measuring {found['data']['sdp']}; {found['data']['schools']} schools.", flush=True)

    run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)  # production pages need it
    print("Counting queries...", flush=True)
    queries = count_queries(env, before, paths, people)

    renders = time_renders(env, ids, people, args.pages) if not args.pages or "pdf" in args.pages else []

    bare_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_bare.settings", "PYTHONPATH": str(ROOT / "ops")}
    app, app_base = start_gunicorn("smart_trust.wsgi:application", env, workers=WORKERS)
    bare, bare_base = start_gunicorn("bench_bare.wsgi:application", bare_env, workers=WORKERS, ready_path="/hello")
    script = Path(tempfile.mkdtemp(prefix="bench-")) / "percentiles.lua"
    script.write_text(WRK_SCRIPT)
    cycle_made = None
    try:
        cookies = {who: sign_in(app_base, people[who]) for who in {p.who for p in pages} - {ANONYMOUS}}
        cookies[ANONYMOUS] = ""
        results, bare_results = [], {}

        def measure(url: str, cookie: str = "") -> dict:
            wrk(url, args.warm, script, cookie)
            return wrk(url, args.seconds, script, cookie)

        def measure_pages(group: list[Page]) -> None:
            sizes, refused = {}, []
            for page in group:
                status, body = fetch(app_base + paths[page.name], cookies[page.who])
                sizes[page.name] = len(body)
                if status != 200 or queries[page.name]["status"] != 200:
                    refused.append(f"{page.name} ({paths[page.name]} as {page.who}): HTTP {status}")
            if refused:
                sys.exit("Pages that did not answer 200:\n  " + "\n  ".join(refused))
            for page in group:
                print(f"  {page.name} as {page.who}...", flush=True)
                figures = measure(app_base + paths[page.name], cookies[page.who])
                size = bare_size(sizes[page.name])
                if str(size) not in bare_results:
                    bare_results[str(size)] = measure(f"{bare_base}/table?bytes={size}")
                    bare_results[str(size)]["bytes"] = len(fetch(f"{bare_base}/table?bytes={size}")[1])
                ok = figures["non_2xx_3xx"] == 0 and figures["socket_errors"] == 0
                results.append({"name": page.name, "who": page.who, "path": paths[page.name], "ok": ok,
                                "bytes": sizes[page.name], "queries": queries[page.name]["queries"],
                                "bare_size": size, "live_cycle": page in CYCLE_PAGES, **figures})  # fmt: skip

        measure_pages(before)
        if live:
            marks = cycle_live(env, {"mode": "marks"})
            try:
                print("Making today's review cycle live in the scratch database...", flush=True)
                made = cycle_live(env, {"mode": "setup", "school": ids["school"]})
                cycle_made = made["made"]
                print(f"  {cycle_made}", flush=True)
                ids = {**ids, **made["ids"]}
                paths.update({page.name: page.url_path(ids) for page in live})
                queries.update(count_queries(env, live, paths, people))
                measure_pages(live)
            finally:
                removed = cycle_live(env, {"mode": "teardown", "marks": marks})
                print(f"  put back as it was: removed {removed}", flush=True)
        hello = measure(f"{bare_base}/hello")
        memory = {"app": worker_memory_mb(app.pid), "bare": worker_memory_mb(bare.pid)}
    finally:
        stop(app)
        stop(bare)
        shutil.rmtree(script.parent, ignore_errors=True)
    may_email = None
    if bench_mail.wanted(args.pages):
        print("  the May e-mail...", flush=True)
        may_email = bench_mail.measure(env)

    figures = {
        "machine": machine(),
        "settings": {"workers": WORKERS, "worker_class": "sync", "wrk_threads": WRK_THREADS,
                     "wrk_connections": WRK_CONNECTIONS, "seconds": args.seconds, "warm_seconds": args.warm},
        "data": {**found["data"], "load_seconds": load_seconds},
        "pages": results,
        "bare": bare_results,
        "hello": hello,
        "memory_mb": memory,
        "renders": renders,
        "cycle": cycle_made,
        "may_email": may_email,
    }  # fmt: skip
    print()
    print_table(figures)
    print(f"\nBare hello: {number(hello['requests_per_second'])} req/s, p50 {number(hello['p50_ms'])} ms. "
          f"Worker memory (MB): app {memory['app']}, bare {memory['bare']}.")  # fmt: skip
    print("\n".join(cycle_lines(figures) + pdf_lines(figures)))
    if may_email:
        print(bench_mail.summary(may_email))
    docs = Path(args.docs)
    if pages == MEASURED:
        docs.write_text(rewrite_section(docs.read_text() if docs.exists() else None, markdown(figures)))
        print(f"Written to {docs}.")
    else:  # a few pages again: the latest full table stays as it was
        print(f"{docs} left as it was: only some pages were measured (BENCH_PAGES).")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
        print(f"Figures in {args.json}.")
    failed = [page["name"] for page in results if not page["ok"]]
    if failed:
        print(f"FAILED under load (non-2xx/3xx or socket errors): {', '.join(failed)}", file=sys.stderr)
        return 1
    if may_email and not bench_mail.exactly_once(may_email):
        print("FAILED: the May e-mail was not handed over exactly once to everyone", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
