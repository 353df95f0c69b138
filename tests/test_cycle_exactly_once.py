"""Exactly once, with real parts: a real SMTP server (tests.smtp_sink), real Celery workers on the
real broker (Redis in CI), PostgreSQL's row locks.

What reviews.notify promises: a decision (Notice) is made once however often beat fires; a
message (Message) is sent while its row is locked and marked sent in that same transaction, so
two workers never both send it; a worker killed before the mark leaves it to be sent again, with
the same Message-ID. The tests below measure each of those.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import warnings
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from celery import current_app
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.test import override_settings
from django.utils import timezone

from governance.models import User
from plans.models import AcademicYear
from reviews import cycle, notify
from reviews.models_cycle import Decision, Message, Notice, Stage
from reviews.tasks import cycle_tick
from smart_trust.models import Heartbeat, OutboxJob
from tests.conftest import in_ci, require
from tests.school_plan_builders import person, sdp
from tests.smtp_sink import SmtpSink, free_port
from tests.test_ops_broker import database_url

ROOT = Path(__file__).resolve().parent.parent
LONDON = zoneinfo.ZoneInfo("Europe/London")
# A Tuesday in the spring term, in working hours: the demo's 2023/24 cycle owes things then.
SCHOOL_DAY = datetime.datetime(2024, 3, 12, 9, 30, tzinfo=LONDON)


@pytest.fixture
def sink():
    with SmtpSink() as s:
        yield s


def _assert_each_message_received_once(sink: SmtpSink) -> None:
    messages = list(Message.objects.all())
    assert messages, "nothing was owed: the test proves nothing"
    assert {m.state for m in messages} == {Message.State.SENT}
    counts = sink.counts()
    assert sorted(counts) == sorted(m.message_id for m in messages)
    assert set(counts.values()) == {1}, [k for k, n in counts.items() if n > 1]
    assert Decision.objects.filter(outcome=Decision.Outcome.SENT).count() == len(messages)


# --- 1. a doubled beat ----------------------------------------------------------------------


def test_a_doubled_beat_makes_each_decision_and_each_message_once(demo, sink):
    with override_settings(**sink.settings()), time_machine.travel(SCHOOL_DAY, tick=False):
        first = notify.tick()
        notices, messages = Notice.objects.count(), Message.objects.count()
        again = notify.tick()
        task = cycle_tick.delay().get()  # the Celery task, as beat sends it (eager in unit tests)
    assert first["decided"] > 0 and first["digests"] > 0 and first["sent"] == first["digests"], first
    assert again == task == {"decided": 0, "digests": 0, "sent": 0}
    assert (Notice.objects.count(), Message.objects.count()) == (notices, messages)
    _assert_each_message_received_once(sink)


def _at_once(*calls) -> list:
    """Run the calls in threads released together, each on its own database connection."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = calls[i]()
        except BaseException as exc:  # reported to the test below
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_beat_fired_twice_at_the_same_moment_from_two_threads_sends_each_message_once(demo_live, sink):
    """Beat doubled (two schedulers, or a tick that overran): notify.tick in one thread and the
    Celery task in another, released together, each with its own connection to PostgreSQL."""
    with override_settings(**sink.settings()), time_machine.travel(SCHOOL_DAY, tick=True):
        sink.delay = 0.02  # a slow relay, so both threads are sending at the same time
        one, two = _at_once(notify.tick, lambda: cycle_tick.apply().get())
    assert one["decided"] + two["decided"] == Notice.objects.count() > 0, (one, two)
    assert one["digests"] + two["digests"] == Message.objects.count()
    assert one["sent"] + two["sent"] == Message.objects.count()
    _assert_each_message_received_once(sink)


@pytest.mark.django_db(transaction=True)
def test_the_first_tick_of_a_new_year_fired_twice_at_once_makes_its_stages_once(demo_live):
    year, _ = AcademicYear.objects.get_or_create(start_year=2024)  # the year exists (its plans made it)
    first_day = datetime.date(2024, 4, 2)
    _at_once(lambda: cycle.ensure_current(first_day), lambda: cycle.ensure_current(first_day))
    names = list(Stage.objects.filter(academic_year=year).values_list("name", flat=True))
    assert names and len(names) == len(set(names)), sorted(names)


# --- 5. retries with back-off ---------------------------------------------------------------


def _message(key: str, user, **fields) -> Message:
    return Message.objects.create(key=key, recipient=user, to=user.email, subject=f"About {key}",
                                  body=f"The body of {key}.", **fields)  # fmt: skip


def test_a_refused_message_is_retried_with_back_off_then_fails_and_the_ceo_can_send_it_again(
    demo, sink, django_capture_on_commit_callbacks
):
    head, ceo = person("head"), person("ceo")
    t0 = SCHOOL_DAY
    later = _message("once-later", head, created_at=t0, send_after=t0)  # refused 3 times, then taken
    never = _message("once-never", head, created_at=t0, send_after=t0)  # refused every time
    sink.refuse = {later.message_id: 3, never.message_id: 99}
    now = t0
    with override_settings(**sink.settings()):
        for attempt, wait in enumerate(notify.BACKOFF_MINUTES, start=1):
            notify.deliver(now=now)
            never.refresh_from_db()
            assert never.state == Message.State.PENDING and never.attempts == attempt
            assert never.last_error.startswith("SMTPDataError: (451"), never.last_error
            assert never.send_after == now + datetime.timedelta(minutes=wait)
            retry = Decision.objects.filter(message=never, outcome=Decision.Outcome.RETRY).first()
            assert retry.detail.startswith(f"Attempt {attempt} failed") and f"next try in {wait} min" in retry.detail
            # Not yet due: the sink is not even asked.
            tried = len(sink.refused) + len(sink.accepted)
            assert notify.deliver(now=never.send_after - datetime.timedelta(seconds=1)) == 0
            assert len(sink.refused) + len(sink.accepted) == tried
            now = never.send_after
            if attempt == 3:
                later.refresh_from_db()
                assert later.attempts == 3 and later.send_after == never.send_after
        assert notify.deliver(now=now) == 0  # the sixth attempt: refused again, and the last
        never.refresh_from_db()
        later.refresh_from_db()
        assert never.state == Message.State.FAILED and never.attempts == len(notify.BACKOFF_MINUTES) + 1
        failed = Decision.objects.get(message=never, outcome=Decision.Outcome.FAILED)
        assert failed.detail.startswith(f"Gave up after {never.attempts} attempts: SMTPDataError: (451")
        assert Decision.objects.filter(message=never, outcome=Decision.Outcome.RETRY).count() == 5
        assert later.state == Message.State.SENT and later.attempts == 3  # taken on its fourth attempt
        assert notify.deliver(now=now + datetime.timedelta(days=1)) == 0  # a failed message waits for the CEO
        # The CEO sends it again once the mail system is well: its attempts start over.
        sink.refuse[never.message_id] = 0
        with django_capture_on_commit_callbacks(execute=True):
            notify.retry(never, by=ceo)
    never.refresh_from_db()
    assert never.state == Message.State.SENT and never.attempts == 0
    assert [r.message_id for r in sink.refused].count(never.message_id) == 6
    assert [r.message_id for r in sink.refused].count(later.message_id) == 3
    assert sink.counts() == {later.message_id: 1, never.message_id: 1}


# --- real workers ---------------------------------------------------------------------------


class Worker:
    """A real Celery worker in a subprocess (pool solo), on the configured broker, sending to the
    sink; its own queue lets a test say which worker gets which job. Its mail says who sent it
    (DEFAULT_FROM_EMAIL), so the sink can tell the workers apart."""

    def __init__(self, name: str, sink: SmtpSink, tmp_path: Path, *, beat: bool = False, **env: str):
        self.name = name
        self.queue = f"once-{name}-{uuid.uuid4().hex[:8]}"
        self.sender = f"{name}@workers.test"
        self.log = tmp_path / f"worker-{name}.log"
        full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smart_trust.settings", "DEBUG": "true",
                    "DATABASE_URL": database_url(), "DEFAULT_FROM_EMAIL": self.sender, **sink.env(), **env}  # fmt: skip
        full_env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        queues = ["celery"] if beat else [self.queue]
        command = [sys.executable, "-m", "celery", "-A", "smart_trust", "worker", "--pool=solo", "--loglevel=warning",
                   "--without-mingle", "--without-gossip", "--hostname", f"{self.queue}@%h",
                   "-Q", ",".join(queues)]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / f"beat-{name}")]
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)

    def send(self, task: str, *args) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # send_task goes to the broker even with eager tasks
            current_app.send_task(task, args=list(args), queue=self.queue)

    def done(self, timeout: float = 60) -> None:
        """Wait until the worker has run everything sent to it so far (a ping behind them answers)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = current_app.send_task("smart_trust.tasks.ping", queue=self.queue)
            try:
                assert result.get(timeout=timeout) == "pong"
            except Exception:
                raise AssertionError(f"worker {self.name} did not answer: {self.output()}") from None

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def workers(sink, tmp_path):
    """Starts workers (`workers("a", "b")`) and waits until each answers; stops them after."""
    if in_ci():
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must run the workers against Redis"
    if connection.vendor == "sqlite":
        pytest.skip("the workers need a database they can share with the test (PostgreSQL)")
    started: list[Worker] = []

    def start(*names: str, **env: str) -> list[Worker]:
        new = [Worker(name, sink, tmp_path, **env) for name in names]
        started.extend(new)
        for w in new:
            w.done(timeout=60)
        return new

    yield start
    for w in started:
        w.stop()


def _pending(n: int, prefix: str) -> list[int]:
    user = User.objects.create_user(f"{prefix}@example.test", "not-used", full_name="Someone Told")
    past = timezone.now() - datetime.timedelta(minutes=1)
    made = Message.objects.bulk_create(
        Message(key=f"{prefix}-{i:03}", recipient=user, to=f"person{i}@example.test", subject=f"Message {i}",
                body=f"The body of message {i}.", created_at=past, send_after=past)
        for i in range(n)
    )  # fmt: skip
    return [m.pk for m in made]


def _wait_until(check, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_draining_the_same_messages_send_each_exactly_once(sink, workers):
    pks = _pending(300, "two-workers")
    sink.delay = 0.002  # a relay that takes a moment, so the two workers overlap throughout
    a, b = workers("a", "b")
    # Overlapping batches to both, and each also sends whatever waits.
    a.send(notify.DELIVER_TASK, pks[:200])
    b.send(notify.DELIVER_TASK, pks[100:])
    a.send(notify.DELIVER_TASK, pks)
    b.send(notify.DELIVER_TASK, list(reversed(pks)))
    a.send("reviews.tasks.deliver_waiting")
    b.send("reviews.tasks.deliver_waiting")
    a.done()
    b.done()
    _assert_each_message_received_once(sink)
    assert len(sink.accepted) == 300 and not sink.refused and not sink.dropped
    by = {w.sender: sum(1 for r in sink.accepted if r.mail_from == w.sender) for w in (a, b)}
    assert all(n > 0 for n in by.values()), by  # both really sent: they competed for the rows
    assert "Traceback" not in a.output() + b.output()


def _wait_unlocked(pk: int) -> None:
    """Wait until PostgreSQL has seen a killed worker's connection close and let its row go."""

    def free() -> bool:
        with transaction.atomic():
            return Message.objects.select_for_update(skip_locked=True).filter(pk=pk).exists()

    _wait_until(free, timeout=30, what=f"message {pk}'s row lock to be released")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_the_relay_holds_a_message_leaves_it_to_the_next_worker_and_nothing_is_sent_twice(
    sink, workers
):
    """The worker is killed (SIGKILL) while the relay is still taking in the 20th message, before
    it has answered: that message was never accepted, its row's transaction dies with the worker's
    connection, and the next worker sends it. Observed: 19 accepted before the kill, the 20th
    dropped by the relay, then 41 from the next worker; no message twice."""
    pks = _pending(60, "killed-in-data")
    sink.delay, sink.hold_at = 0.05, 20  # a slow relay, which keeps the 20th message waiting
    a, b = workers("a", "b")
    a.send(notify.DELIVER_TASK, pks)
    assert sink.holding.wait(timeout=60), a.output()
    assert len(sink.accepted) == 19
    a.kill()
    _wait_until(lambda: sink.dropped, timeout=10, what="the relay to see the worker gone")
    sink.release()
    held = Message.objects.get(pk=pks[19])
    assert [d.message_id for d in sink.dropped] == [held.message_id]
    _wait_unlocked(held.pk)
    held.refresh_from_db()
    assert held.state == Message.State.PENDING and held.attempts == 0  # as if never tried
    assert Message.objects.filter(state=Message.State.SENT).count() == 19
    # The killed job is not handed out again for an hour (acks_late, the broker's visibility
    # timeout); beat's deliver_waiting sends what it left.
    b.send("reviews.tasks.deliver_waiting")
    b.done()
    _assert_each_message_received_once(sink)
    assert [r.mail_from for r in sink.accepted].count(b.sender) == 41


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_relay_took_a_message_but_before_it_was_marked_sent_sends_it_twice_with_one_id(
    sink, workers
):
    """The one gap the design leaves, made to happen on purpose: the relay has accepted the
    message, and the worker dies before the transaction that marks it sent commits (here it
    waits for a lock the test holds on the decisions' table). The row is still pending, so the
    next worker sends it again: exactly one duplicate, with the same Message-ID (and the same
    subject and body), so a receiving mail system that drops repeated Message-IDs shows it once.
    Observed: the first message twice, every other once, one SENT decision per message."""
    pks = _pending(20, "killed-before-commit")
    a, b = workers("a", "b")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Decision._meta.db_table} IN EXCLUSIVE MODE")  # noqa: S608 - a model's table
        a.send(notify.DELIVER_TASK, pks)
        assert sink.wait_for(1, timeout=60), a.output()
        time.sleep(0.5)
        assert len(sink.accepted) == 1  # accepted, and the worker waits to commit
        a.kill()
    first = Message.objects.get(pk=pks[0])
    _wait_unlocked(first.pk)
    first.refresh_from_db()
    assert first.state == Message.State.PENDING  # the mark died with the worker
    b.send("reviews.tasks.deliver_waiting")
    b.done()
    counts = sink.counts()
    assert counts.pop(first.message_id) == 2
    assert set(counts.values()) == {1} and len(counts) == 19
    twice = [r for r in sink.accepted if r.message_id == first.message_id]
    assert [r.mail_from for r in twice] == [a.sender, b.sender]
    assert twice[0].subject == twice[1].subject and twice[0].body == twice[1].body
    assert set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}
    assert Decision.objects.filter(outcome=Decision.Outcome.SENT).count() == 20


# --- 4. Redis down during a change ----------------------------------------------------------


class Redis:
    """A private redis-server on a free port, which a test can stop and start again."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        _wait_until(lambda: subprocess.run(ping, capture_output=True, text=True).stdout.strip() == "PONG",
                    timeout=10, what="the private redis-server")  # fmt: skip

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    require(bool(shutil.which("redis-server")), "redis-server")
    redis = Redis(tmp_path)
    yield redis
    redis.stop()


STEP_WITH_THE_BROKER_DOWN = """
    import json, time
    import django
    django.setup()
    from django.db import transaction
    from governance.models import User
    from plans import workflow
    from plans.models import SchoolPlan
    from reviews.models_cycle import Message
    from smart_trust.models import OutboxJob
    plan = SchoolPlan.objects.get(pk={plan})
    head = User.objects.get(pk={head})
    started = time.monotonic()
    with transaction.atomic():
        workflow.take_step(plan=plan, step="submit", by=head)
    seconds = time.monotonic() - started
    print(json.dumps({{"seconds": seconds, "state": SchoolPlan.objects.get(pk=plan.pk).state,
                      "pending": Message.objects.filter(state="pending").count(), "jobs": OutboxJob.objects.count()}}))
"""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_plan_step_commits_at_once_and_its_mail_goes_once_when_the_broker_is_back(
    demo_live, sink, private_redis, tmp_path
):
    """Redis stops; the headteacher submits the Saltash SDP in another process (the web side,
    pointed at that Redis): the step commits within a second or two with its messages pending and
    the delivery job waiting in the outbox. Redis comes back on the same address and a worker
    (with beat) starts: its heartbeat drains the outbox and each governor gets one e-mail."""
    if in_ci():
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must run the workers against Redis"
    if connection.vendor == "sqlite":
        pytest.skip("the web side and the worker need a database they share with the test (PostgreSQL)")
    private_redis.start()
    private_redis.stop()  # the broker goes down
    plan = sdp("saltash", "draft")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smart_trust.settings", "DEBUG": "true", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": database_url(), "REDIS_URL": private_redis.url}  # fmt: skip
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    code = textwrap.dedent(STEP_WITH_THE_BROKER_DOWN.format(plan=plan.pk, head=person("head").pk))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    step = json.loads(done.stdout.splitlines()[-1])
    assert step["state"] == "submitted"
    assert step["seconds"] < 3, step  # the request never waits long on a broker that is down
    messages = list(Message.objects.all())
    assert messages and step["pending"] == len(messages)
    assert {m.state for m in messages} == {Message.State.PENDING}
    job = OutboxJob.objects.get()
    assert job.task == notify.DELIVER_TASK and job.args == [sorted(m.pk for m in messages)]
    assert job.attempts == 1 and "Connection refused" in job.last_error, job.last_error
    assert not sink.accepted
    # The broker comes back on the same address; a worker with beat drains the outbox.
    private_redis.start()
    worker = Worker("back", sink, tmp_path, beat=True, REDIS_URL=private_redis.url, HEARTBEAT_SECONDS="1",
                    CYCLE_TICK_SECONDS="3600", DELIVER_SECONDS="3600")  # fmt: skip
    try:
        _wait_until(lambda: len(sink.accepted) >= len(messages), timeout=60, what=f"the mail: {worker.output()}")
        since = timezone.now()
        # Two more heartbeats: nothing is sent again.
        _wait_until(lambda: Heartbeat.objects.filter(at__gt=since + datetime.timedelta(seconds=1)).exists(),
                    timeout=30, what="two more heartbeats")  # fmt: skip
    finally:
        worker.stop()
    assert not OutboxJob.objects.exists()
    _assert_each_message_received_once(sink)
    assert {r.to for r in sink.accepted} == {(m.to,) for m in messages}
    assert all(r.subject.lower().endswith("submitted to the lgc") for r in sink.accepted), sink.accepted


def test_a_relay_that_closes_the_connection_costs_only_the_message_it_refused_an_attempt(demo, sink):
    """A relay that restarts answers "421" and closes the connection. Only that message was
    refused; the ones after it were never offered, so they must not lose one of their six
    attempts (six such blips would mark a whole backlog failed without a single real try)."""
    head = person("head")
    messages = [_message(f"once-shut-{i}", head, created_at=SCHOOL_DAY, send_after=SCHOOL_DAY) for i in range(5)]
    sink.shut_at = 2
    with override_settings(**sink.settings()):
        notify.deliver(now=SCHOOL_DAY)
    for m in messages:
        m.refresh_from_db()
    assert messages[0].state == Message.State.SENT
    assert messages[1].attempts == 1 and messages[1].last_error.startswith("SMTPDataError: (421")
    for m in messages[2:]:
        assert m.state == Message.State.SENT or m.attempts == 0, (m.key, m.attempts, m.last_error)
    assert not Decision.objects.filter(detail__contains="please run connect() first").exists()
