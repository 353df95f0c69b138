"""A bounded load test on loopback: simulated people read, edit and move school plan priorities
against a real gunicorn with production settings on a scratch PostgreSQL database, then every
save the server accepted is looked for in the history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smart_trust .venv/bin/python ops/load.py
    make load                  # 50 people for 120 s (LOAD_USERS=..., LOAD_SECONDS=... to change)

The scratch database is DATABASE_URL's name + "_load"; it is dropped and made again each run.
Exits non-zero on any 5xx, any failed connection, or any accepted save missing from the history.
"""

from __future__ import annotations

import argparse
import collections
import html.parser
import json
import os
import random
import secrets
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg2
from serve import database_url, production_env, run, scratch_database, start_gunicorn, stop

PASSWORD = "load-test-password-1"  # noqa: S105 - the scratch database's demo people
PRIORITIES_PER_PLAN = 5

# In the scratch database: the demo trust, and a draft SDP with a few priorities at every school.
FILL = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from plans import services
    from plans.models import AcademicYear, PlanKind
    from schools.models import School, Trust
    from smart_trust.demo import demo_email, load_demo
    from governance.models import User
    load_demo(password=%(password)r)
    plans = []
    for n, school in enumerate(School.objects.order_by("pk")):
        head = User.objects.get(email=demo_email("head" if n == 0 else f"head.{school.slug}"))
        plan = services.plan_create(trust=Trust.objects.get(), school=school, kind=PlanKind.SDP,
                                    academic_year=AcademicYear.objects.get_or_create(start_year=2023)[0], by=head)
        items = [services.item_save(item=services.Priority(plan=plan), values={"title": f"Priority {i}",
                 "description": "Set up for the load test."}, expected_version=None, by=head).pk
                 for i in range(%(count)d)]
        plans.append({"email": head.email, "plan": plan.pk, "items": items})
    print(json.dumps(plans))
    """
)


class Form(html.parser.HTMLParser):
    """The fields of the first form on a page with method POST: what a browser would send."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = self._done = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and (a.get("method") or "").lower() == "post" and "logout" not in (a.get("action") or ""):
            self._in_form = True
        elif not self._in_form:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" in a and a.get("name"):
            self.fields[a["name"]] = a.get("value") or "on"
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.status = collections.Counter()
        self.kinds = collections.Counter()
        self.errors: list[str] = []
        self.saves: list[tuple[int, str]] = []  # (priority pk, title) the server accepted
        self.moves = 0
        self.conflicts = 0
        self.latencies: list[float] = []


class Person:
    def __init__(self, base: str, account: dict, stats: Stats, rng: random.Random, name: str):
        self.base, self.account, self.stats, self.rng, self.name = base, account, stats, rng, name
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.count = 0

    def request(self, kind: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.monotonic()
        try:
            request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - http://127.0.0.1 only
            with self.opener.open(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")
        except (OSError, urllib.error.URLError) as exc:
            status, text = 0, ""
            with self.stats.lock:
                self.stats.errors.append(f"{kind} {path}: {exc}")
        with self.stats.lock:
            self.stats.status[status] += 1
            self.stats.kinds[kind] += 1
            if kind != "sign in":  # a sign-in hashes the password on purpose: slow by design
                self.stats.latencies.append((started, time.monotonic() - started))
            if status >= 500:
                self.stats.errors.append(f"{kind} {path}: HTTP {status}")
        return status, text

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def sign_in(self) -> None:
        status, page = self.request("sign in", "/accounts/login/")
        form = Form()
        form.feed(page)
        form.fields.update(username=self.account["email"], password=PASSWORD)
        status, _ = self.request("sign in", "/accounts/login/", form.fields)
        if status != 302:
            raise RuntimeError(f"{self.name} could not sign in (HTTP {status})")

    def plan_path(self) -> str:
        return f"/school-plans/{self.account['plan']}/"

    def edit(self) -> None:
        item = self.rng.choice(self.account["items"])
        path = f"{self.plan_path()}priority/{item}/edit/"
        status, page = self.request("edit form", path)
        if status != 200:
            return
        form = Form()
        form.feed(page)
        self.count += 1
        title = f"{self.name} save {self.count} {secrets.token_hex(3)}"
        form.fields["title"] = title
        status, _ = self.request("save", path, form.fields)
        with self.stats.lock:
            if status == 302:
                self.stats.saves.append((item, title))
            elif status == 409:  # someone at the same school saved first: refused and shown, not lost
                self.stats.conflicts += 1

    def move(self) -> None:
        item = self.rng.choice(self.account["items"])
        data = {"csrfmiddlewaretoken": self.csrf(), "direction": self.rng.choice(["up", "down"])}
        status, _ = self.request("move", f"{self.plan_path()}priority/{item}/move/", data)
        if status == 302:
            with self.stats.lock:
                self.stats.moves += 1

    def run(self, start: float, until: float, think: tuple[float, float]) -> None:
        time.sleep(max(0.0, start - time.monotonic()))
        try:
            self.sign_in()
        except RuntimeError as exc:
            with self.stats.lock:
                self.stats.errors.append(str(exc))
            return
        while time.monotonic() < until:
            roll = self.rng.random()
            if roll < 0.40:
                self.request("plan page", self.plan_path())
            elif roll < 0.50:
                self.request("history", f"{self.plan_path()}history/")
            elif roll < 0.55:
                self.request("plan list", "/school-plans/")
            elif roll < 0.85:
                self.edit()
            else:
                self.move()
            time.sleep(self.rng.uniform(*think))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (docker-compose.yml runs 3)")
    parser.add_argument("--think", type=float, nargs=2, default=(2, 6), help="pause between a person's steps, s")
    parser.add_argument("--ramp", type=float, default=30, help="people arrive evenly over this many seconds")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the load test makes <name>_load beside it).")

    db_url, _ = scratch_database(database_url(), "_load")
    env = production_env(db_url, AXES_FAILURE_LIMIT="1000")
    print(f"Preparing {db_url.rsplit('/', 1)[1]}: migrate, demo, a draft SDP at every school...", flush=True)
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    accounts = json.loads(run([sys.executable, "-c", FILL % {"password": PASSWORD, "count": PRIORITIES_PER_PLAN}],
                              env).splitlines()[-1])  # fmt: skip
    run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)

    server, base = start_gunicorn("smart_trust.wsgi:application", env, workers=args.workers)
    stats = Stats()
    try:
        print(
            f"{args.users} people for {args.seconds:.0f} s (arriving over {args.ramp:.0f} s) against gunicorn "
            f"({args.workers} workers)",
            flush=True,
        )
        started = time.monotonic()
        until = started + args.seconds
        people = [
            Person(base, accounts[n % len(accounts)], stats, random.Random(n), f"p{n}")  # noqa: S311
            for n in range(args.users)
        ]
        threads = [
            threading.Thread(target=p.run, args=(started + args.ramp * n / args.users, until, tuple(args.think)))
            for n, p in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started
    finally:
        stop(server)

    with psycopg2.connect(db_url) as db, db.cursor() as cursor:
        cursor.execute("SELECT id, title FROM plans_historicalpriority")
        in_history = set(cursor.fetchall())
    db.close()
    lost = [save for save in stats.saves if save not in in_history]

    def ms(latencies: list[float], share: float) -> int | None:
        return round(sorted(latencies)[int(len(latencies) * share)] * 1000) if latencies else None

    everything = [seconds for _, seconds in stats.latencies]
    # Once everyone has arrived and signed in (the password hash is slow on purpose), the steady state.
    settled = [seconds for at, seconds in stats.latencies if at > started + args.ramp + 15]
    figures = {
        "people": args.users,
        "seconds": round(elapsed),
        "gunicorn_workers": args.workers,
        "arrival_seconds": args.ramp,
        "pause_between_steps_seconds": list(args.think),
        "requests": sum(stats.status.values()),
        "requests_per_second": round(sum(stats.status.values()) / elapsed, 1),
        "by_status": {str(k): v for k, v in sorted(stats.status.items())},
        "by_kind": dict(stats.kinds),
        "5xx": sum(v for k, v in stats.status.items() if k >= 500),
        "failed_connections": stats.status.get(0, 0),
        "saves_accepted": len(stats.saves),
        "saves_found_in_history": len(stats.saves) - len(lost),
        "saves_refused_as_conflicts_409": stats.conflicts,
        "moves_accepted": stats.moves,
        "median_ms": ms(everything, 0.5),
        "p95_ms": ms(everything, 0.95),
        "steady_requests": len(settled),
        "steady_median_ms": ms(settled, 0.5),
        "steady_p95_ms": ms(settled, 0.95),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    for error in stats.errors[:10]:
        print("error:", error, file=sys.stderr)
    figures["errors"] = len(stats.errors)
    ok = not stats.errors and not lost and figures["saves_accepted"] > 0
    print("HELD" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
