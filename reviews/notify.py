"""Telling people: decisions (Notice), e-mails (Message), and the log the CEO reads (Decision).

Three kinds of telling:
- **The plan's life** (`plan_step`): when a plan is submitted, returned, agreed, finalised,
  signed off or reopened, the people it concerns are told at once. The notices and their
  messages are written in the same transaction as the step; the worker sends them after commit.
- **The May e-mail** (`guide_published`): every member of staff gets a link to the pocket guide
  and to its PDF, once.
- **Reminders** (`remind`, run by beat): the ladder (opened, due soon, due, a day late, the
  reviewer after three days, the CEO after seven), only to people who still owe something,
  gathered into one digest per person per day (`make_digests`), never in the evening, at a
  weekend or in the school holidays.

Caps: one message per topic per person per day, ten a week. What a cap holds back waits for a
later digest; what is no longer owed, or is superseded by a later reminder about the same
thing, is held back for good. Every one of these decisions is written to `Decision`.

Exactly once: a Notice's (recipient, subject, reason) is unique, so a decision is made once
however often beat fires; a Message's key is unique and `deliver` sends it while holding its
row locked and marks it sent in that transaction, so two workers cannot both send it, and a
worker killed before the mark leaves it to be sent again (docs/operations.md says what that
leaves open). Failures are retried with back-off, then shown to the CEO.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from governance.models import Role, User
from plans.models import PlanEvent, PocketGuide, SchoolPlan, Step
from plans.workflow import STEPS
from schools.models import Trust
from smart_trust.jobs import enqueue_named

from . import cycle, school_days
from .models_cycle import Decision, Message, Notice, Reason, Stage

logger = logging.getLogger(__name__)

DELIVER_TASK = "reviews.tasks.deliver_messages"  # by name: reviews.tasks imports this module
BATCH = 200  # messages handed to one delivery job
BACKOFF_MINUTES = [1, 5, 15, 60, 240]  # after each failed attempt; then the message has failed


def weekly_cap() -> int:
    return getattr(settings, "NOTICE_WEEKLY_CAP", 10)


def site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _lock(name: str) -> None:
    """One maker of decisions at a time (a doubled beat waits, then finds them made)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"smart-trust:{name}"])


def _log(notice_or_message, outcome: str, detail: str, *, message: Message | None = None) -> Decision:
    n = notice_or_message
    return Decision(
        at=timezone.now(),
        recipient_id=n.recipient_id,
        subject=getattr(n, "subject", "") if isinstance(n, Notice) else n.key,
        reason=getattr(n, "reason", ""),
        outcome=outcome,
        detail=detail[:400],
        message=message,
    )


def _when(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%A} {local:%-d %B}"


_SILENT: contextvars.ContextVar[bool] = contextvars.ContextVar("notify_silent", default=False)


@contextlib.contextmanager
def silently():
    """Make data without telling anyone (the demo's past: its plans were submitted long ago)."""
    token = _SILENT.set(True)
    try:
        yield
    finally:
        _SILENT.reset(token)


# --- the plan's life ------------------------------------------------------------------------

STEP_REASON = {
    Step.SUBMIT: Reason.SUBMITTED, Step.RETURN: Reason.RETURNED, Step.AGREE: Reason.AGREED,
    Step.FINALISE: Reason.FINALISED, Step.SIGN_OFF: Reason.SIGNED_OFF, Step.REOPEN: Reason.REOPENED,
}  # fmt: skip


def plan_recipients(plan: SchoolPlan, step: str, people: cycle.People) -> list[int]:
    """Submitted: the plan's governors. Returned, agreed, signed off, reopened: its writers.
    Finalised: the CEO."""
    school = plan.school_id
    if step == Step.SUBMIT:
        return people.holders(Role.LOCAL_GOVERNOR, school) if school else people.holders(Role.TRUSTEE)
    if step == Step.FINALISE:
        return people.ceo()
    if school:
        return sorted(set(people.holders(Role.HEADTEACHER, school) + people.holders(Role.SENIOR_LEADER, school)))
    return sorted(set(people.holders(Role.CFO_COO) + people.holders(Role.TOLT_MEMBER)))


def plan_step(event: PlanEvent) -> list[Notice]:
    """Called in the step's transaction (reviews.signals): tell the people the step concerns."""
    reason = STEP_REASON.get(event.step)
    if reason is None or _SILENT.get():
        return []
    plan = SchoolPlan.objects.select_related("school", "trust", "academic_year").get(pk=event.plan_id)
    people = cycle.People.of(plan.trust)
    rule = STEPS[event.step]
    who = event.by.full_name or event.by.email
    text = f"{plan.title} was {rule.done_phrase} by {who}."
    if event.comment:
        text += f" “{event.comment}”"
    notices = [
        Notice(recipient_id=uid, subject=f"plan-{plan.pk}-event-{event.pk}", topic=f"plan-{plan.pk}", reason=reason,
               text=text[:400], url=plan.get_absolute_url())
        for uid in plan_recipients(plan, event.step, people)
        if uid != event.by_id
    ]  # fmt: skip
    return _tell_now(notices, subject_line=f"{plan.title}: {rule.done_phrase}")


def guide_published(guide: PocketGuide) -> list[Notice]:
    """The May e-mail: every member of the trust's staff (everyone who holds a role) is sent a
    link to the pocket guide and to its PDF, once per guide whatever happens to it later."""
    if _SILENT.get():
        return []
    trust = guide.plan.trust
    year = guide.academic_year
    url = reverse("plans:pocket_guide", kwargs={"plan": guide.plan.slug, "year": year.slug})
    pdf = reverse("plans:pocket_guide_pdf", kwargs={"plan": guide.plan.slug, "year": year.slug})
    text = f"The {year.label} pocket guide is published: {guide.title}. The PDF: {site(pdf)}"
    notices = [
        Notice(recipient_id=uid, subject=f"guide-{guide.pk}", topic=f"guide-{guide.pk}", reason=Reason.PUBLISHED,
               text=text[:400], url=url)
        for uid in cycle.People.of(trust).everyone()
    ]  # fmt: skip
    return _tell_now(notices, subject_line=f"The {year.label} pocket guide: {guide.title}"[:250])


def _new_only(notices: Sequence[Notice]) -> list[Notice]:
    """The notices not already decided (the unique key would refuse them)."""
    if not notices:
        return []
    subjects = {n.subject for n in notices}
    made = set(Notice.objects.filter(subject__in=subjects).values_list("recipient_id", "subject", "reason"))
    seen: set[tuple] = set()
    fresh = []
    for n in notices:
        key = (n.recipient_id, n.subject, str(n.reason))
        if key not in made and key not in seen:
            seen.add(key)
            fresh.append(n)
    return fresh


def _sent_counts(user_ids: Iterable[int], now: datetime.datetime) -> dict[int, int]:
    """E-mails made for each person in the last seven days (what the weekly cap counts)."""
    return dict(
        Message.objects.filter(recipient_id__in=list(user_ids), created_at__gte=now - datetime.timedelta(days=7))
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )


def _told_today(user_ids: Iterable[int], topics: Iterable[str], today: datetime.date) -> set[tuple[int, str]]:
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    return set(
        Notice.objects.filter(
            recipient_id__in=list(user_ids), topic__in=list(topics), state=Notice.State.QUEUED,
            message__created_at__gte=start,
        ).values_list("recipient_id", "topic")
    )  # fmt: skip


@transaction.atomic
def _tell_now(notices: list[Notice], *, subject_line: str) -> list[Notice]:
    """Write the notices and, within the caps, one message each; send after commit."""
    _lock("tell")
    notices = _new_only(notices)
    if not notices:
        return []
    now = timezone.now()
    ids = {n.recipient_id for n in notices}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).only("pk", "email", "full_name", "is_active")}
    counts = _sent_counts(ids, now)
    told = _told_today(ids, {n.topic for n in notices}, timezone.localdate(now))
    messages: list[Message] = []
    decisions: list[Decision] = []
    sending: list[Notice] = []
    for n in notices:
        n.created_at = now
        user = users.get(n.recipient_id)
        held = ""
        if user is None or not user.is_active or not user.email:
            n.state, n.why = Notice.State.SUPPRESSED, "The person has left or has no e-mail address."
            decisions.append(_log(n, Decision.Outcome.SUPPRESSED, n.why))
            continue
        if (n.recipient_id, n.topic) in told:
            held = "Already e-mailed about this today: it goes in a later digest."
        elif counts.get(n.recipient_id, 0) >= weekly_cap():
            held = f"The weekly cap ({weekly_cap()} e-mails) is reached: it goes in a later digest."
        if held:
            n.why = held
            decisions.append(_log(n, Decision.Outcome.HELD, held))
            continue
        counts[n.recipient_id] = counts.get(n.recipient_id, 0) + 1
        body = render_to_string("reviews/email/notice.txt", {"notice": n, "user": user, "link": site(n.url),
                                                              "calendar": site(reverse("cycle:calendar"))})  # fmt: skip
        # The key names the notice's own unique key, so the message is made before the notice
        # and each notice is written once, already pointing at its message.
        messages.append(
            Message(key=f"notice-{n.recipient_id}-{n.subject}-{n.reason}", recipient_id=n.recipient_id,
                    to=user.email, subject=subject_line, body=body, created_at=now, send_after=now)
        )  # fmt: skip
        sending.append(n)
    Message.objects.bulk_create(messages)
    for n, m in zip(sending, messages, strict=True):
        n.state, n.message = Notice.State.QUEUED, m
        decisions.append(_log(n, Decision.Outcome.QUEUED, "To be sent as soon as the change is saved.", message=m))
    Notice.objects.bulk_create(notices)
    Decision.objects.bulk_create(decisions)
    _deliver_after_commit([m.pk for m in messages])
    return notices


def _deliver_after_commit(pks: list[int]) -> None:
    """Hand the messages to the worker after commit, through the outbox (a request never waits
    on the broker; if it is down, beat's `deliver_waiting` sends them anyway)."""
    for i in range(0, len(pks), BATCH):
        enqueue_named(DELIVER_TASK, pks[i : i + BATCH])


# --- reminders ------------------------------------------------------------------------------


def owner_rung(owed: cycle.Owed, today: datetime.date) -> str | None:
    """Where the owner is on the ladder today: opened, due soon, due, or late. Ratings cannot be
    given once their window has closed, so their owners are not told they are late (their
    reviewer and the CEO are, and the CEO may reopen the term)."""
    if today > owed.due:
        term = owed.stage.term
        if term is not None and not term.is_open(today):
            return None
        return Reason.LATE
    if today == owed.due:
        return Reason.DUE
    days = owed.stage.remind_days_before
    if days and today >= owed.due - datetime.timedelta(days=days):
        return Reason.SOON
    if today >= owed.opens:
        return Reason.OPENED
    return None


def _reminders(owed: cycle.Owed, today: datetime.date, people: cycle.People) -> list[Notice]:
    found = []

    def notice(uid: int, reason: str, text: str) -> Notice:
        return Notice(recipient_id=uid, subject=owed.subject, topic=owed.subject, reason=reason, stage=owed.stage,
                      text=text[:400], url=owed.url, due=owed.due)  # fmt: skip

    rung = owner_rung(owed, today)
    if rung:
        found += [notice(uid, rung, owed.text) for uid in owed.owners]
    owners = set(owed.owners)
    names = ", ".join(people.names.get(u) or "someone" for u in owed.owners)
    late = f"Overdue since {owed.due:%-d %B}: {owed.text} ({names})"
    if today >= owed.due + datetime.timedelta(days=cycle.REVIEWER_AFTER_DAYS):
        reviewers = {r for u in owed.owners for r in people.reviewers(u, owed.school_id)} - owners
        found += [notice(uid, Reason.REVIEWER, late) for uid in sorted(reviewers)]
    # A week late the CEO hears, again if they were the reviewer (a second, later rung).
    if today >= owed.due + datetime.timedelta(days=cycle.CEO_AFTER_DAYS):
        found += [notice(uid, Reason.CEO, late) for uid in people.ceo() if uid not in owners]
    return found


def remind(now: datetime.datetime | None = None) -> int:
    """Beat's decisions for today: each owed subject's rung for its owners, its reviewers and
    the CEO, and the people a stage tells when it opens. Made once (the keys are unique); a
    missed run catches up, since each rung holds from its day on. Returns how many were made."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    made = 0
    calendar = school_days.Calendar()
    for trust in Trust.objects.all():
        with transaction.atomic():
            _lock(f"remind-{trust.pk}")
            people = cycle.People.of(trust)
            stages = cycle.live_stages(trust, today)
            candidates: list[Notice] = []
            for owed in cycle.owing(trust, stages, today, people):
                candidates += _reminders(owed, today, people)
            for stage in stages:
                if stage.told and stage.starts <= today <= stage.due:
                    told = {u for role in stage.told for u in people.holders_anywhere(role)}
                    begun = f"{stage.name} has begun. {stage.description}"
                    candidates += [
                        Notice(recipient_id=uid, subject=f"stage-{stage.pk}-told", topic=f"stage-{stage.pk}-told",
                               reason=Reason.OPENED, stage=stage, text=begun[:400], url=reverse("cycle:calendar"),
                               due=stage.due)
                        for uid in sorted(told)
                    ]  # fmt: skip
            fresh = _new_only(candidates)
            for n in fresh:
                n.created_at = now
            Notice.objects.bulk_create(fresh)
            quiet = calendar.why_not(now)
            detail = (
                f"For the digest at {_when(calendar.next_open(now))} ({quiet})." if quiet else "For today's digest."
            )
            Decision.objects.bulk_create([_log(n, Decision.Outcome.QUEUED, detail) for n in fresh])
            made += len(fresh)
    return made


def _still_owed(stages: set[Stage], today: datetime.date) -> dict[str, set[int]]:
    """subject -> owners today, for the stages these notices came from."""
    by_trust: dict[int, list[Stage]] = defaultdict(list)
    for s in stages:
        by_trust[s.trust_id].append(s)
    owed: dict[str, set[int]] = {}
    for trust in Trust.objects.filter(pk__in=by_trust):
        for o in cycle.owing(trust, by_trust[trust.pk], today):
            owed[o.subject] = set(o.owners)
    return owed


OWNER_RUNGS = {Reason.OPENED, Reason.SOON, Reason.DUE, Reason.LATE}


def make_digests(now: datetime.datetime | None = None) -> list[int]:
    """Gather each person's waiting notices into one e-mail a day, in working hours only. What
    is no longer owed, or superseded by a later rung about the same thing, is held back; what a
    cap holds waits. Returns the new messages' ids (delivered by the caller)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = school_days.Calendar()
    if calendar.why_not(now):
        return []
    made: list[Message] = []
    with transaction.atomic():
        _lock("digests")
        waiting = list(
            Notice.objects.filter(state=Notice.State.WAITING)
            .select_related("recipient", "stage", "stage__term", "stage__academic_year")
            .order_by("recipient_id", "created_at", "pk")
        )
        if not waiting:
            return []
        ids = {n.recipient_id for n in waiting}
        had_digest = set(
            Message.objects.filter(
                kind=Message.Kind.DIGEST, recipient_id__in=ids, key__endswith=f"-{today}"
            ).values_list("recipient_id", flat=True)
        )
        owed = _still_owed({n.stage for n in waiting if n.stage_id}, today)
        counts = _sent_counts(ids, now)
        told = _told_today(ids, {n.topic for n in waiting}, today)
        per_person: dict[int, list[Notice]] = defaultdict(list)
        for n in waiting:
            per_person[n.recipient_id].append(n)
        changed: list[Notice] = []
        decisions: list[Decision] = []

        def hold(n: Notice, why: str, outcome: str = Decision.Outcome.HELD) -> None:
            if outcome == Decision.Outcome.SUPPRESSED:
                n.state = Notice.State.SUPPRESSED
            if n.why != why or outcome == Decision.Outcome.SUPPRESSED:
                n.why = why
                decisions.append(_log(n, outcome, why))
            changed.append(n)

        for uid, notices in per_person.items():
            user = notices[0].recipient
            keep: dict[str, Notice] = {}
            for n in notices:
                chase = n.stage_id and not n.subject.endswith("-told")
                if not user.is_active or not user.email:
                    hold(n, "The person has left or has no e-mail address.", Decision.Outcome.SUPPRESSED)
                elif chase and n.subject not in owed:
                    hold(n, "Nothing is owed any more: it was done since.", Decision.Outcome.SUPPRESSED)
                elif chase and n.reason in OWNER_RUNGS and uid not in owed[n.subject]:
                    hold(n, "This person no longer owes it.", Decision.Outcome.SUPPRESSED)
                elif chase and n.due and today > n.due and n.reason in (Reason.OPENED, Reason.SOON):
                    hold(n, "Past its due date: the later reminder says so.", Decision.Outcome.SUPPRESSED)
                else:
                    other = keep.get(n.topic)
                    if other is None:
                        keep[n.topic] = n
                    else:
                        older, newer = sorted((other, n), key=lambda x: (x.rung, x.created_at))
                        keep[n.topic] = newer
                        why = f"Superseded by a later notice about the same thing ({newer.get_reason_display()})."
                        hold(older, why, Decision.Outcome.SUPPRESSED)
            if not keep:
                continue
            if uid in had_digest:
                for n in keep.values():
                    hold(n, "Today's digest has gone: it goes in tomorrow's.")
                continue
            if counts.get(uid, 0) >= weekly_cap():
                for n in keep.values():
                    hold(n, f"The weekly cap ({weekly_cap()} e-mails) is reached: it waits for a later digest.")
                continue
            items = []
            for n in keep.values():
                if (uid, n.topic) in told:
                    hold(n, "Already e-mailed about this today: it goes in tomorrow's digest.")
                else:
                    items.append(n)
            if not items:
                continue
            message = Message(
                key=f"digest-{uid}-{today}", kind=Message.Kind.DIGEST, recipient_id=uid, to=user.email,
                subject=_digest_subject(items, today), body=_digest_body(user, items, today),
                created_at=now, send_after=now,
            )  # fmt: skip
            message.save()
            made.append(message)
            for n in items:
                n.state, n.message, n.why = Notice.State.QUEUED, message, ""
                changed.append(n)
                decisions.append(_log(n, Decision.Outcome.QUEUED, "In today's digest.", message=message))
        Notice.objects.bulk_update(changed, ["state", "why", "message"])
        Decision.objects.bulk_create(decisions)
    return [m.pk for m in made]


def _digest_subject(items: list[Notice], today: datetime.date) -> str:
    late = sum(1 for n in items if n.due and n.due < today)
    n = len(items)
    head = f"{n} thing{'s' if n != 1 else ''} for you"
    return f"{head} ({late} overdue)" if late else head


def _digest_body(user: User, items: list[Notice], today: datetime.date) -> str:
    overdue = [n for n in items if n.due and n.due < today]
    soon = [n for n in items if n not in overdue and n.due]
    news = [n for n in items if n not in overdue and not n.due]
    return render_to_string(
        "reviews/email/digest.txt",
        {
            "user": user,
            "groups": [(title, [(n, site(n.url)) for n in group]) for title, group in
                       (("Overdue", overdue), ("Due", soon), ("For your information", news)) if group],
            "home": site(reverse("home")),
            "calendar": site(reverse("cycle:calendar")),
        },
    )  # fmt: skip


# --- sending --------------------------------------------------------------------------------


def _relay_down(exc: Exception) -> bool:
    """The mail system itself cannot be reached (not this message's fault): the batch stops there
    and the rest wait for the next run, so one outage does not use up every message's attempts.
    A refusal of this message (a 4xx or 5xx answer, a refused address) is the message's own."""
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def deliver(pks: Iterable[int] | None = None, now: datetime.datetime | None = None, limit: int = 2000) -> int:
    """Send messages that are due (those given, or every waiting one): each in its own
    transaction holding its row, over one SMTP connection. Returns how many were sent."""
    now = now or timezone.now()
    todo = Message.objects.filter(state=Message.State.PENDING, send_after__lte=now)
    if pks is not None:
        todo = todo.filter(pk__in=list(pks))
    ids = list(todo.order_by("send_after", "pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    sent = 0
    smtp = mail.get_connection(fail_silently=False)  # opened by the first send, again after a drop
    try:
        for pk in ids:
            if getattr(smtp, "connection", None) is not None and getattr(smtp.connection, "sock", 0) is None:
                smtp.close()  # the relay closed the connection (a 421): a new one for the rest
            result = _deliver_one(pk, smtp, now)
            if result is None:
                break
            sent += result
    finally:
        smtp.close()
    return sent


def _deliver_one(pk: int, smtp, now: datetime.datetime) -> int | None:
    """1 if sent, 0 if not (another worker has it, or it failed and waits to be retried), None if
    the mail system cannot be reached (the caller stops)."""
    with transaction.atomic():
        m = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state=Message.State.PENDING, send_after__lte=now)
            .first()
        )
        if m is None:
            return 0  # sent already, or another worker holds it
        email = mail.EmailMessage(
            m.subject, m.body, settings.DEFAULT_FROM_EMAIL, [m.to], connection=smtp,
            headers={"Message-ID": m.message_id, "Auto-Submitted": "auto-generated"},
        )  # fmt: skip
        try:
            # Opened here, not by send(): Django closes a connection that send() opened itself, and
            # one connection serves the whole batch (TLS and a login once, not per message).
            smtp.open()
            email.send()
        except Exception as exc:  # any failure of the mail system: retried, then shown to the CEO
            m.attempts += 1
            m.last_error = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
            if m.attempts > len(BACKOFF_MINUTES):
                m.state = Message.State.FAILED
                detail = f"Gave up after {m.attempts} attempts: {m.last_error}"
                outcome = Decision.Outcome.FAILED
                logger.error("Message %s failed for good: %s", m.key, m.last_error)
            else:
                wait = BACKOFF_MINUTES[m.attempts - 1]
                m.send_after = now + datetime.timedelta(minutes=wait)
                detail = f"Attempt {m.attempts} failed ({m.last_error}); next try in {wait} min."
                outcome = Decision.Outcome.RETRY
                logger.warning("Message %s: %s", m.key, detail)
            m.save(update_fields=["attempts", "last_error", "state", "send_after"])
            Decision.objects.create(**_fields(m, outcome, detail))
            if _relay_down(exc):
                return None
            return 0
        m.state, m.sent_at = Message.State.SENT, timezone.now()
        m.save(update_fields=["state", "sent_at"])
        Decision.objects.create(**_fields(m, Decision.Outcome.SENT, f"Sent to {m.to}."))
        return 1


def _fields(m: Message, outcome: str, detail: str) -> dict:
    return {"recipient_id": m.recipient_id, "subject": m.key, "reason": m.kind, "outcome": outcome,
            "detail": detail[:400], "message": m, "at": timezone.now()}  # fmt: skip


def retry(message: Message, *, by) -> Message:
    """The CEO sends a failed message again: its attempts start over."""
    with transaction.atomic():
        m = Message.objects.select_for_update().get(pk=message.pk)
        if m.state != Message.State.FAILED:
            return m
        m.state, m.attempts, m.send_after = Message.State.PENDING, 0, timezone.now()
        m.save(update_fields=["state", "attempts", "send_after"])
        Decision.objects.create(**_fields(m, Decision.Outcome.RETRY, f"Sent again by {by.full_name or by.email}."))
        _deliver_after_commit([m.pk])
    return m


def tick(now: datetime.datetime | None = None) -> dict[str, int]:
    """What beat runs every quarter of an hour: the year's stages exist, today's decisions are
    made, the digests (in working hours) are written, and whatever is due is sent."""
    now = now or timezone.now()
    cycle.ensure_current(timezone.localdate(now))
    made = remind(now)
    digests = make_digests(now)
    sent = deliver(now=now)
    return {"decided": made, "digests": len(digests), "sent": sent}
