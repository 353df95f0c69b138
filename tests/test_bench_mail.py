"""The May e-mail's measurement (ops/bench_mail.py), run small: the demo trust topped up to 50
people, published through two real workers and Redis to the SMTP sink, every message handed over
exactly once, and the database left as it was found. No timing is asserted."""

import os
import sys
from pathlib import Path

import pytest
import redis
from django.db import connection

from governance.models import RoleAssignment, User
from plans.models import PocketGuide
from plans.models.strategic import Status
from reviews.models_cycle import Decision, Message, Notice
from tests.conftest import require
from tests.test_ops_broker import database_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ops"))

import bench_mail  # noqa: E402 - ops/ is a folder of scripts, not a package
from serve import production_env  # noqa: E402


def figures(**changes) -> dict:
    """What the measurement reports for 3,000 people all handed over once, with `changes`."""
    n = 3000
    return {
        "staff_asked": n, "people": n, "added_staff": 0, "notices": n, "messages": n, "jobs": 15, "workers": 2,
        "publish_seconds": 2.1, "publish_queries": 67, "seconds_to_all": 13.0, "delivery_seconds": 10.9,
        "messages_per_second": 230.8, "delivery_per_second": 275.2, "received": n, "unique_message_ids": n,
        "unique_recipients": n, "duplicates": 0, "recipients_twice": 0, "strangers": 0, "unsent": 0,
        "sent_decisions": n, "smtp_connections": 15, "target_seconds": 60, **changes,
    }  # fmt: skip


def test_bench_pages_name_the_may_email_and_bench_mail_0_skips_it(monkeypatch):
    monkeypatch.delenv("BENCH_MAIL", raising=False)
    assert bench_mail.wanted("")
    assert bench_mail.wanted("people, may-email")
    assert not bench_mail.wanted("people,sdp-head")
    assert bench_mail.other_pages("people, may-email,sdp-head") == "people,sdp-head"
    assert bench_mail.other_pages("may-email") == ""
    monkeypatch.setenv("BENCH_MAIL", "0")
    assert not bench_mail.wanted("")


@pytest.mark.parametrize(
    "change",
    [{"duplicates": 1, "received": 3001}, {"received": 2999, "unique_message_ids": 2999}, {"unsent": 1},
     {"unique_recipients": 2999}, {"strangers": 1}, {"sent_decisions": 3001}, {"messages": 0}],
)  # fmt: skip
def test_anything_short_of_each_exactly_once_fails(change):
    assert bench_mail.exactly_once(figures())
    assert not bench_mail.exactly_once(figures(**change))
    assert not bench_mail.met(figures(**change))


def test_the_target_is_sixty_seconds_and_the_docs_say_which_side_of_it():
    assert bench_mail.met(figures(seconds_to_all=59.9))
    assert not bench_mail.met(figures(seconds_to_all=60.1))
    lines = "\n".join(bench_mail.markdown_lines(figures()))
    assert "| 3,000 | 2.10 s, 67 queries | 13.0 s | 231 | 15 | 0 | 0 | met |" in lines
    assert "NOT met" in "\n".join(bench_mail.markdown_lines(figures(seconds_to_all=75.0)))
    assert bench_mail.markdown_lines(None) == []
    assert "duplicates 0" in bench_mail.summary(figures())


@pytest.mark.worker
def test_fifty_people_each_get_the_may_email_exactly_once(demo_live):
    if connection.vendor == "sqlite":
        pytest.skip("the workers need a database they can share with the test (PostgreSQL)")
    url = os.environ.get("REDIS_URL") or bench_mail.redis_url()
    try:
        reachable = redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        reachable = False
    require(reachable, f"Redis at {url}")
    guide = PocketGuide.objects.filter(plan__status=Status.PUBLISHED).order_by("-academic_year__start_year").first()
    people = User.objects.count()
    messages = Message.objects.count()
    holders = RoleAssignment.objects.filter(trust=guide.plan.trust, user__is_active=True).values("user_id").distinct()
    assert holders.count() < 50

    result = bench_mail.measure(production_env(database_url()), staff=50, timeout=40, redis=url)

    assert result["people"] == result["notices"] == result["messages"] == 50
    assert result["added_staff"] == 50 - holders.count()
    assert result["received"] == result["unique_message_ids"] == result["unique_recipients"] == 50
    assert result["duplicates"] == result["recipients_twice"] == result["strangers"] == result["unsent"] == 0
    assert result["sent_decisions"] == 50
    assert result["jobs"] == 1 and result["smtp_connections"] >= 1
    assert bench_mail.exactly_once(result)
    # Left as it was found: the guide published, no notice, message or decision about it, no staff added.
    guide.refresh_from_db()
    assert guide.status == Status.PUBLISHED
    assert not Notice.objects.filter(subject=f"guide-{guide.pk}").exists()
    assert not Decision.objects.filter(subject=f"guide-{guide.pk}").exists()
    assert Message.objects.count() == messages
    assert User.objects.count() == people
