"""The May e-mail, measured: publishing the pocket guide e-mails every member of staff a link to it
and to its PDF; the target is 3,000 people queued and handed to the mail server within 60 s, each
exactly once.

    .venv/bin/python ops/bench_mail.py            # alone, on the bench's scratch database
    BENCH_MAIL_STAFF=6000 .venv/bin/python ops/bench_mail.py
    make bench                                    # a section of the benchmark (BENCH_MAIL=0 skips it)

On the scratch database of `make bench` (DATABASE_URL's name + "_bench", loaded with the large
trust if it is not there yet) the latest pocket guide of the published plan is made a draft again
and published by the CEO through `plans.services.pocket_guide_publish`, as the publish button does.
That call is timed: it is what the web request pays (a notice, a message and a decision for each
person, and the outbox's delivery jobs). Two real Celery workers (solo pool, one per core) take the
jobs from Redis (BENCH_MAIL_REDIS_URL, redis://127.0.0.1:6379/11 unless set: a database of its
own, so no other worker takes these jobs) and send over SMTP to a sink on a free loopback port
(aiosmtpd, a thread of the measuring process), which notes each message's Message-ID and
recipient and when it came. Timed from the start of publishing to the last message the sink took.

If the trust has fewer people than asked for (BENCH_MAIL_STAFF, 3,000), staff are added at its
schools (unusable passwords, bulk_create) and removed after. The guide's notices, messages and
decisions are removed before and after the run, and the guide is left published, so the database
serves the page benchmark and the next run (BENCH_REUSE) as it was.

The measuring runs in a process of its own (Django is set up there, never in the caller's).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from serve import ROOT, database_url, free_port, production_env, run, scratch_database

STAFF = 3000
TARGET_SECONDS = 60
WORKERS = 2  # one per core of the bench machine
PAGE_NAME = "may-email"  # its name in BENCH_PAGES
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
SYNTHETIC_DOMAIN = "bench-mail.smart-trust.invalid"  # the staff added here, found again by it
PASSWORD = "bench-password-1"  # noqa: S105 - the scratch database's demo people, as ops/bench.py


def redis_url() -> str:
    return os.environ.get("BENCH_MAIL_REDIS_URL") or DEFAULT_REDIS_URL


def wanted(pages: str) -> bool:
    """Whether a bench run measures the May e-mail: unless BENCH_MAIL=0, in every full run, and in a
    run of some pages (BENCH_PAGES) only when they name it."""
    if os.environ.get("BENCH_MAIL", "").strip() == "0":
        return False
    names = [name.strip() for name in pages.split(",") if name.strip()]
    return not names or PAGE_NAME in names


def other_pages(pages: str) -> str:
    """BENCH_PAGES without the May e-mail: the web pages it names."""
    return ",".join(name.strip() for name in pages.split(",") if name.strip() and name.strip() != PAGE_NAME)


# ---- the caller's side: no Django here ---------------------------------------------------------


def measure(env: dict, *, staff: int = STAFF, workers: int = WORKERS, timeout: float = 180,
            redis: str | None = None, profile: str | None = None) -> dict:  # fmt: skip
    """Publish and deliver once in a process of its own on `env`'s database; its figures. With
    `profile`, the publish call's cProfile statistics are written to that file."""
    spec = {"staff": staff, "workers": workers, "timeout": timeout, "redis": redis or redis_url(), "profile": profile}
    child = {**env, "CELERY_BROKER_URL": spec["redis"], "CELERY_RESULT_BACKEND": spec["redis"]}
    child.pop("CELERY_TASK_ALWAYS_EAGER", None)
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child"], cwd=ROOT, env=child,
                          input=json.dumps(spec), capture_output=True, text=True, timeout=timeout + 300)  # fmt: skip
    if done.returncode:
        sys.exit(f"The May e-mail's measurement failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def exactly_once(result: dict) -> bool:
    """Every message made was taken by the sink once, to its own person, and marked sent once."""
    n = result["messages"]
    return (
        n > 0
        and result["received"] == n
        and result["unique_message_ids"] == n
        and result["unique_recipients"] == n
        and result["duplicates"] == 0
        and result["unsent"] == 0
        and result["sent_decisions"] == n
        and result["strangers"] == 0
    )


def met(result: dict) -> bool:
    return exactly_once(result) and result["seconds_to_all"] <= TARGET_SECONDS


def summary(result: dict) -> str:
    r = result
    return (
        f"May e-mail: {r['messages']:,} messages to {r['people']:,} people ({r['added_staff']:,} staff added); "
        f"publish {r['publish_seconds']:.2f} s ({r['publish_queries']} queries, {r['jobs']} delivery jobs); "
        f"all {r['received']:,} handed to the sink {r['seconds_to_all']:.1f} s after the publish began "
        f"({r['messages_per_second']:,.0f} messages/s; the workers' part {r['delivery_seconds']:.1f} s, "
        f"{r['delivery_per_second']:,.0f}/s, over {r['smtp_connections']:,} SMTP connections); "
        f"duplicates {r['duplicates']}, unsent {r['unsent']}; "
        f"{'met' if met(r) else 'NOT met'} ({TARGET_SECONDS} s, each exactly once)."
    )


def markdown_lines(result: dict | None) -> list[str]:
    """The May e-mail's table for docs/benchmarks.md's latest run (nothing if it was not measured)."""
    if not result:
        return []
    r = result
    return [
        "",
        f"The May e-mail (ops/bench_mail.py): the CEO publishes the pocket guide; {r['workers']} Celery workers "
        "(solo pool) send through Redis to an SMTP sink on loopback.",
        "",
        "| people e-mailed | publish (the request) | to the last one handed to the sink | messages/s | "
        "SMTP connections | duplicates | unsent | 60 s, each once |",
        "|---|---|---|---|---|---|---|---|",
        f"| {r['messages']:,} | {r['publish_seconds']:.2f} s, {r['publish_queries']} queries | "
        f"{r['seconds_to_all']:.1f} s | {r['messages_per_second']:,.0f} | {r['smtp_connections']} | "
        f"{r['duplicates']} | {r['unsent']} | {'met' if met(r) else 'NOT met'} |",
    ]


# ---- the measuring process (Django set up) -----------------------------------------------------

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    """An aiosmtpd handler that takes every message and notes its Message-ID, its recipients, its
    connection and when it came."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.recipients: Counter[str] = Counter()
        self.connections = 0
        self.received = 0
        self.first: float | None = None
        self.last: float | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        now = time.perf_counter()
        found = MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        with self.lock:
            self.received += 1
            self.ids[found.group(1).decode() if found else "(none)"] += 1
            self.recipients.update(address.lower() for address in envelope.rcpt_tos)
            if not getattr(session, "counted", False):  # a session is one connection (ports are reused)
                session.counted = True
                self.connections += 1
            self.first = self.first or now
            self.last = now
        return "250 Message accepted"


def child(spec: dict) -> dict:
    # Django is set up only in this process: the caller (ops/bench.py) stays a plain script.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smart_trust.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from aiosmtpd.controller import Controller
    from celery import current_app
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Q

    from governance.models import Role, RoleAssignment, User
    from plans.models import PocketGuide
    from plans.models.strategic import Status
    from plans.services import pocket_guide_publish
    from reviews import notify
    from reviews.models_cycle import Decision, Message, Notice
    from schools.models import School
    from smart_trust.models import OutboxJob

    guide = (
        PocketGuide.objects.filter(plan__status=Status.PUBLISHED)
        .select_related("plan__trust", "academic_year")
        .order_by("-academic_year__start_year", "pk")
        .first()
    )
    if guide is None:
        sys.exit("No pocket guide of a published plan in this database.")
    trust = guide.plan.trust
    subject = f"guide-{guide.pk}"
    ceo = RoleAssignment.objects.filter(trust=trust, role=Role.CEO, user__is_active=True).order_by("pk").first()
    if ceo is None:
        sys.exit(f"{trust} has no CEO to publish the pocket guide.")

    def forget() -> None:
        """The guide's notices, messages and decisions gone, its jobs and the staff added too."""
        with transaction.atomic():
            messages = Message.objects.filter(notices__subject=subject)
            Decision.objects.filter(Q(subject=subject) | Q(message__in=messages)).delete()
            Message.objects.filter(pk__in=list(messages.values_list("pk", flat=True))).delete()
            Notice.objects.filter(subject=subject).delete()
            OutboxJob.objects.filter(task=notify.DELIVER_TASK).delete()
            User.objects.filter(email__endswith=f"@{SYNTHETIC_DOMAIN}").delete()

    def add_staff(wanted: int) -> int:
        have = RoleAssignment.objects.filter(trust=trust, user__is_active=True).values("user_id").distinct().count()
        missing = max(0, wanted - have)
        schools = list(School.objects.filter(trust=trust).order_by("pk").values_list("pk", flat=True))
        if not missing or not schools:
            return 0
        password = make_password(None)  # unusable: nobody signs in as them
        users = User.objects.bulk_create(
            User(email=f"staff{i}@{SYNTHETIC_DOMAIN}", full_name=f"Bench staff {i}", password=password)
            for i in range(1, missing + 1)
        )
        RoleAssignment.objects.bulk_create(
            RoleAssignment(user=user, role=Role.STAFF, trust=trust, school_id=schools[i % len(schools)])
            for i, user in enumerate(users)
        )
        return missing

    current_app.control.purge()  # jobs a killed earlier run left in this Redis database
    forget()
    added = add_staff(spec["staff"])
    people = RoleAssignment.objects.filter(trust=trust, user__is_active=True).values("user_id").distinct().count()
    PocketGuide.objects.filter(pk=guide.pk).update(status=Status.DRAFT)

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command
    sink = Sink()
    port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
           "EMAIL_PORT": str(port), "EMAIL_HOST_USER": "", "EMAIL_USE_TLS": "false"}  # fmt: skip
    env.pop("EMAIL_HOST_PASSWORD", None)
    logs, workers, names = [], [], []
    try:
        for n in range(spec["workers"]):
            name = f"bench-mail-{n}-{os.getpid()}@localhost"
            log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe nobody reads
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "smart_trust", "worker", "--pool=solo", "--loglevel=warning",
                 "--without-mingle", "--without-gossip", "--hostname", name],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
            ))  # fmt: skip
            logs.append(log)
            names.append(name)
        ready_by = time.monotonic() + 90
        while len(current_app.control.ping(destination=names, timeout=1.0)) < len(names):
            stopped = [w for w in workers if w.poll() is not None]
            if stopped or time.monotonic() > ready_by:
                sys.exit("A worker did not start:\n" + "\n".join(_read(log) for log in logs))

        statements: list[tuple[float, str]] = []

        def count(execute, sql, params, many, context):
            begun = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                statements.append((time.perf_counter() - begun, sql))

        profile = cProfile.Profile() if spec.get("profile") else None
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            if profile:
                profile.runcall(pocket_guide_publish, guide=guide, by=ceo.user)
            else:
                pocket_guide_publish(guide=guide, by=ceo.user)
        published = time.perf_counter()
        if profile:
            profile.dump_stats(spec["profile"])
        messages = Message.objects.filter(notices__subject=subject)
        made = messages.count()
        notices = Notice.objects.filter(subject=subject).count()
        jobs = -(-made // notify.BATCH)
        waiting = list(OutboxJob.objects.filter(task=notify.DELIVER_TASK).values_list("last_error", flat=True))
        if waiting:  # the broker did not take them: nothing would come
            sys.exit(f"{len(waiting)} delivery jobs stayed in the outbox: {waiting[0]}")

        give_up = published + spec["timeout"]
        while sink.received < made and time.perf_counter() < give_up:
            if any(w.poll() is not None for w in workers):
                sys.exit("A worker stopped:\n" + "\n".join(_read(log) for log in logs))
            time.sleep(0.05)
        settle_by = time.perf_counter() + 10  # the last rows are marked sent just after the sink has them
        while messages.filter(state=Message.State.PENDING).exists() and time.perf_counter() < settle_by:
            time.sleep(0.1)
        time.sleep(1.0)  # anything sent twice would come now
        with sink.lock:
            received, last, first = sink.received, sink.last, sink.first
            ids, recipients, connections = Counter(sink.ids), Counter(sink.recipients), sink.connections
        unsent = messages.exclude(state=Message.State.SENT).count()
        sent_decisions = Decision.objects.filter(
            message__in=messages, outcome=Decision.Outcome.SENT
        ).count()  # fmt: skip
        made_ids = {m.message_id for m in messages.only("key")}
        addresses = {a.lower() for a in messages.values_list("to", flat=True)}
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        smtp.stop()
        forget()
        PocketGuide.objects.filter(pk=guide.pk).update(status=Status.PUBLISHED)

    to_all = (last - started) if last and received >= made else float("inf")
    return {
        "staff_asked": spec["staff"],
        "people": people,
        "added_staff": added,
        "notices": notices,
        "messages": made,
        "jobs": jobs,
        "workers": spec["workers"],
        "guide": str(guide),
        "publish_seconds": round(published - started, 3),
        "publish_queries": len(statements),
        "publish_sql_seconds": round(sum(t for t, _ in statements), 3),
        "publish_slowest_sql": [[round(t, 3), " ".join(sql.split())[:120]] for t, sql in sorted(statements)[-5:]],
        "first_seconds": round(first - started, 3) if first else None,
        "seconds_to_all": round(to_all, 3),
        "delivery_seconds": round(last - published, 3) if last else None,
        "messages_per_second": round(made / to_all, 1) if to_all not in (0, float("inf")) else 0.0,
        "delivery_per_second": round(made / (last - published), 1) if last and last > published else 0.0,
        "received": received,
        "unique_message_ids": len(ids),
        "unique_recipients": len(recipients),
        "duplicates": sum(n - 1 for n in ids.values() if n > 1),
        "recipients_twice": sum(1 for n in recipients.values() if n > 1),
        "strangers": len(set(ids) - made_ids) + len(set(recipients) - addresses),  # taken but never made
        "unsent": unsent,
        "sent_decisions": sent_decisions,
        "smtp_connections": connections,
        "target_seconds": TARGET_SECONDS,
    }


def _read(log) -> str:
    log.seek(0)
    return log.read()[-4000:]


# ---- alone -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=int(os.environ.get("BENCH_MAIL_STAFF", str(STAFF))))
    parser.add_argument("--schools", type=int, default=int(os.environ.get("BENCH_SCHOOLS", "120")))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", help="write the publish call's cProfile statistics to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(sys.stdin.read()))))
        return 0
    db_url, fresh = scratch_database(database_url(), "_bench", keep=True)
    env = production_env(db_url)
    # Loaded as `make bench` loads it; on a database already loaded both are quick and change nothing.
    print(f"{'Migrating and loading' if fresh else 'Checking'} {db_url.rsplit('/', 1)[1]}...", flush=True)
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    run([sys.executable, "manage.py", "load_demo", "--schools", str(args.schools), "--years", "3",
         "--password", PASSWORD], env, timeout=1800)  # fmt: skip
    print(f"Publishing the pocket guide to {args.staff:,} people or more...", flush=True)
    result = measure(env, staff=args.staff, profile=args.profile and str(Path(args.profile).resolve()))
    print(summary(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if exactly_once(result) else 1


if __name__ == "__main__":
    sys.exit(main())
