"""The permission matrix's rows for the review cycle's cycle pages (tests/test_permissions.py
reads ROWS: URL name -> (method, kwargs, data, {persona: status})).

The year's stages and the log are the CEO's (the central team reads the log too); a stage's page
is for everyone of the trust; a task stage is marked done by whoever holds its responsible role
at the school (here Saltash's headteacher) and the CEO; a failed e-mail is sent again by the CEO.
"""

PERSONAS = ["anonymous", "ceo", "cfo", "central", "trustee", "tolt", "governor", "head", "senior", "middle",
            "staff", "other_head"]  # fmt: skip


def only(allowed: set[str], yes: int, no: int) -> dict[str, int]:
    return {p: 302 if p == "anonymous" else (yes if p in allowed else no) for p in PERSONAS}


def task_stage() -> dict:
    """The 2023/24 stage each headteacher marks done for their school (appraisal targets...)."""
    from plans.models import AcademicYear
    from reviews.cycle import ensure_cycle
    from schools.models import Trust

    stages = ensure_cycle(Trust.objects.get(), AcademicYear.objects.get(start_year=2023))
    stage = next(s for s in stages if s.due_kind == "task" and s.responsible == "headteacher")
    return {"pk": stage.pk}


def saltash() -> dict:
    from schools.models import School

    return {"school": School.objects.get(slug="saltash").pk, "note": "Targets set"}


def failed_message() -> dict:
    from governance.models import User
    from reviews.models_cycle import Message
    from smart_trust.demo import demo_email

    head = User.objects.get(email=demo_email("head"))
    message = Message.objects.create(
        key="test-failed-1", recipient=head, to=head.email, subject="Your review cycle today", body="...",
        state=Message.State.FAILED, attempts=6, last_error="SMTPServerDisconnected: gone",
    )  # fmt: skip
    return {"pk": message.pk}


ROWS: dict = {
    "cycle:stages": ("get", {}, None, only({"ceo"}, 200, 403)),
    "cycle:stage": ("get", task_stage, None, only(set(PERSONAS), 200, 200)),
    "cycle:stage_edit": ("get", task_stage, None, only({"ceo"}, 200, 403)),
    # Saltash's part: its headteacher and the CEO; Brunel's headteacher may not mark Saltash's.
    "cycle:stage_done": ("post", task_stage, saltash, only({"ceo", "head"}, 302, 403)),
    "cycle:log": ("get", {}, None, only({"ceo", "central"}, 200, 403)),
    "cycle:message_retry": ("post", failed_message, {}, only({"ceo"}, 302, 403)),
}
