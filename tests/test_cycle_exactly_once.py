"""Exactly once, with real parts: a real SMTP server (tests.smtp_sink), real Celery workers on the
real broker (Redis in CI), PostgreSQL's row locks.

What reviews.notify promises: a decision (Notice) is made once however often beat fires; a
message (Message) is sent while its row is locked and marked sent in that same transaction, so
two workers never both send it; a worker killed before the mark leaves it to be sent again, with
the same Message-ID. The tests below measure each of those.
"""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import override_settings

from reviews import notify
from reviews.models_cycle import Decision, Message, Notice
from reviews.tasks import cycle_tick
from tests.school_plan_builders import person
from tests.smtp_sink import SmtpSink

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
