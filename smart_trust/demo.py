"""The demo trust: schools, one person per role, and the trust's real 2022-27 plan; five of the
six schools with a signed-off 2023/24 SDP rated in the autumn and spring terms (Saltash is left
for a newcomer to start), and 2023/24's summer term reopened by the CEO so the rating page can
be tried.

Idempotent: running it again changes nothing and never resets a password. URNs here are
illustrative, not the schools' real DfE numbers. The plans and ratings are made the way people
make them, through the services and the workflow, so they obey every rule the pages do.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.models import Role, RoleAssignment, User
from plans import services as plan_services
from plans import workflow
from plans.models import AcademicYear, Action, PlanKind, Priority, SchoolPlan, SuccessCriterion
from plans.planfile import import_plan_text
from reviews import compliance, cycle, notify
from reviews import services as review_services
from reviews.models import Voice
from reviews.selectors import terms_of
from schools.models import Phase, School, Trust

DEMO_PLAN = Path(settings.BASE_DIR) / "plans" / "demo_data" / "tsp-2022-27.yaml"
DEMO_DOMAIN = "demo.smart-trust.invalid"

SCHOOLS = [
    ("Saltash Community School", "saltash", Phase.SECONDARY, "900001"),
    ("Brunel Primary and Nursery Academy", "brunel", Phase.PRIMARY, "900002"),
    ("Bishop Cornish CofE Primary School", "bishop-cornish", Phase.PRIMARY, "900003"),
    ("Burraton Community Primary School", "burraton", Phase.PRIMARY, "900004"),
    ("Landulph School", "landulph", Phase.PRIMARY, "900005"),
    ("St Stephens Community Academy", "st-stephens", Phase.PRIMARY, "900006"),
]

# (e-mail local part, name, role, school slug or None, extra flags)
PEOPLE = (
    [
        ("ceo", "Chris Evans", Role.CEO, None, {}),
        ("cfo", "Fran Owen", Role.CFO_COO, None, {}),
        ("central", "Cat Tremayne", Role.CENTRAL_TEAM, None, {}),
        ("trustee", "Tom Rowe", Role.TRUSTEE, None, {}),
        ("tolt", "Tess Olds", Role.TOLT_MEMBER, None, {}),
        ("governor", "Gwen Lander", Role.LOCAL_GOVERNOR, "saltash", {"is_chair": True}),
        ("link-governor", "Lee Inch", Role.LOCAL_GOVERNOR, "saltash", {"is_link_governor": True, "link_area": "SEND"}),
        ("head", "Hannah Eddy", Role.HEADTEACHER, "saltash", {}),
        ("senior", "Sam Lowe", Role.SENIOR_LEADER, "saltash", {}),
        ("middle", "Mia Dunn", Role.MIDDLE_LEADER, "saltash", {}),
        ("staff", "Stacey Taff", Role.STAFF, "saltash", {}),
    ]
    + [(f"head.{slug}", f"Headteacher of {name}", Role.HEADTEACHER, slug, {}) for name, slug, _, _ in SCHOOLS[1:]]
    + [
        (f"governor.{slug}", f"Chair of {name} LGC", Role.LOCAL_GOVERNOR, slug, {"is_chair": True})
        for name, slug, _, _ in SCHOOLS[1:]
    ]
)


@dataclass
class DemoResult:
    created_people: list[User]
    password: str | None
    plan_changes: int


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def load_demo(*, password: str | None = None) -> DemoResult:
    created: list[User] = []
    # The demo's plans were submitted and signed off long ago: nobody is e-mailed about it now.
    with transaction.atomic(), notify.silently():
        result = import_plan_text(DEMO_PLAN.read_text(encoding="utf-8"), source="demo data")
        trust = result.plan.trust
        if not trust.short_name:
            trust.short_name = "SMART"
            trust.save()
        schools = {}
        for name, slug, phase, urn in SCHOOLS:
            schools[slug], _ = School.objects.get_or_create(
                urn=urn,
                defaults={"trust": trust, "name": name, "slug": slug, "phase": phase, "lgc_name": f"{name} LGC"},
            )
        new_password = password or secrets.token_urlsafe(9)
        for local, name, role, school_slug, flags in PEOPLE:
            user = User.objects.filter(email=demo_email(local)).first()
            if user is None:
                is_central = role == Role.CENTRAL_TEAM
                user = User.objects.create_user(
                    demo_email(local), new_password, full_name=name,
                    is_staff=is_central, is_superuser=is_central,
                )  # fmt: skip
                created.append(user)
            RoleAssignment.objects.get_or_create(
                user=user, role=role, trust=trust, school=schools.get(school_slug), defaults=flags
            )
        year = AcademicYear.objects.get(start_year=DEMO_YEAR)
        for slug in RATED_SCHOOLS:
            if not SchoolPlan.objects.filter(school=schools[slug], kind=PlanKind.SDP, academic_year=year).exists():
                _rated_sdp(trust, schools[slug], year)
        _open_summer(year)
        cycle.ensure_cycle(trust, year)  # the year's review cycle, from the seed's
        compliance.ensure_areas(trust)  # the areas each school checks every month
    return DemoResult(created, new_password if created else None, result.changes)


def start_this_years_cycle(today: datetime.date | None = None) -> tuple[AcademicYear, int]:
    """The academic year whose review cycle runs today, with its terms and stages, so the cycle can
    be tried on today's clock (`load_demo --cycle-now`): the home pages then say what is due
    (Saltash, and every school, has no plan for the year yet). The demo's ratings stay in 2023/24,
    which is no longer the current year once this one exists."""
    today = today or timezone.localdate()
    year, _ = AcademicYear.objects.get_or_create(start_year=cycle.cycle_start_year(today))
    trust = School.objects.select_related("trust").get(urn=SCHOOLS[0][3]).trust
    stages = cycle.ensure_cycle(trust, year)
    return year, len(stages)


# --- the demo's rated SDPs -------------------------------------------------------------------

DEMO_YEAR = 2023
RATED_SCHOOLS = [slug for _, slug, _, _ in SCHOOLS if slug != "saltash"]  # Saltash is left to start
SUMMER_REASON = "Demo: open so the rating page can be tried"


@dataclass(frozen=True)
class DemoAction:
    what: str
    due: str | datetime.date  # a term, or a date
    # (text, kpi, unit, baseline, target), a text alone, or None
    criterion: tuple | str | None = None
    evidence: str = ""  # progress shown on the action (a note), or none
    complete: bool = False


# One or two actions under each of the eight priorities the 2023/24 pocket guide gives every SDP.
DEMO_ACTIONS = [
    [
        DemoAction(
            "Weekly instructional coaching for every teacher and TA, on modelling and checking for understanding",
            "summer",
            (
                "Lessons seen as securely good in learning walks rise from 62% to 80%",
                "Lessons securely good",
                "%",
                62,
                80,
            ),
            "Learning walk notes shared with SLT: modelling seen in most lessons",
        ),
        DemoAction(
            "Half-termly CPD twilights on adaptive teaching for pupils with SEND",
            "spring",
            "Every teacher and TA attends at least five of the six twilights",
        ),
    ],
    [
        DemoAction(
            "Every member of staff has a coach and a coaching cycle each half term ('Maintain', 'Improve', 'Change')",
            "summer",
            ("Staff completing a coaching cycle each half term rise from 8 to 30", "Staff coached", "staff", 8, 30),
            "Coaching log: 21 staff completed a cycle this half term",
        ),
    ],
    [
        DemoAction(
            "Middle leaders each lead a STAR project and present its impact to the LGC",
            "summer",
            "Every middle leader presents a STAR project's impact by July",
        ),  # fmt: skip
        DemoAction(
            "Pupil leadership roles (school council, eco-team, sports leaders) open to every year group",
            datetime.date(2023, 12, 15),
            ("Pupils holding a leadership role rise from 20 to 45", "Pupil leaders", "pupils", 20, 45),
        ),
    ],
    [
        DemoAction(
            "Governors' link visits each term, reported to the LGC with what was seen",
            "spring",
            ("Governor visits completed rise from 3 to 9", "Governor visits", "visits", 3, 9),
            "Visit notes from the SEND and safeguarding link governors",
        ),
    ],
    [
        DemoAction("A citizenship week each term with a local community project", "summer"),
        DemoAction(
            "Track disadvantaged pupils' attendance weekly and meet every family below 90%",
            "summer",
            ("Attendance of disadvantaged pupils rises from 89% to 94%", "Disadvantaged attendance", "%", 89, 94),
            "Attendance report for the half term: 91.8%",
        ),
    ],
    [DemoAction("Open the school's hall and field to two community groups", "summer")],
    [
        DemoAction(
            "Move the school's HR and payroll to the trust's shared service",
            datetime.date(2024, 3, 28),
            "Payroll is run by the trust's service from April",
        )
    ],
    [
        DemoAction(
            "Benchmark the school's spending against similar schools and report to the LGC",
            datetime.date(2023, 12, 15),
            "A benchmarking report goes to the LGC by December",
            "Benchmarking report presented to the LGC on 11 December",
            complete=True,
        )
    ],
]

# What each voice said of an action, term by term: (autumn self, autumn governors, spring self,
# spring governors), None where that voice gave no rating.
STORIES = {
    "G": ("green", "green", "green", "green"),  # on track
    "I": ("amber", "amber", "green", "green"),  # improving
    "S": ("green", "amber", "amber", "amber"),  # slipping
    "D": ("green", "red", "green", "red"),  # the two voices two steps apart: disputed
    "U": ("amber", None, "amber", None),  # the governors have not rated: not rated
    "N": ("not_yet_due", "not_yet_due", "green", "green"),
    "R": ("red", "red", "amber", "amber"),  # recovering
    "Q": ("green", "green", None, None),  # nobody rated it in the spring
    "A": ("amber", "amber", "amber", "amber"),  # stuck
}
# Each school's story for each of its actions, in order: Brunel and Landulph on track, Burraton
# struggling. Actions with no evidence and ratings that bring none are stale, whatever colour.
SCHOOL_STORIES = {
    "brunel": "GGIGNGDGQGG",
    "bishop-cornish": "GIGSGUGNGAG",
    "burraton": "RDASUQRIANG",
    "landulph": "GGGDGQGIGNG",
    "st-stephens": "IGRGUGDGAGS",
}
COMMENTARY = {
    "red": [
        "Coaching stopped when two teachers left; cover is in place from February.",
        "Little sign of this in lessons yet: the LGC has asked for a plan by half term.",
    ],
    "amber": [
        "Started well but behind the timeline: staffing changes slowed it.",
        "Some classes are there, others not yet; the next learning walk will check.",
    ],
}
FIGURES = {"%": "{}%", "staff": "{} staff", "pupils": "{} pupils", "visits": "{} visits"}


def _rated_sdp(trust: Trust, school: School, year: AcademicYear) -> SchoolPlan:
    """A signed-off SDP written by the school's headteacher from the year's pocket guide, agreed by
    its chair of governors and signed off by the CEO, then rated in the autumn and spring."""
    head = User.objects.get(email=demo_email(f"head.{school.slug}"))
    chair = User.objects.get(email=demo_email(f"governor.{school.slug}"))
    ceo = User.objects.get(email=demo_email("ceo"))
    plan = plan_services.plan_create(trust=trust, school=school, kind=PlanKind.SDP, academic_year=year, by=head)
    actions: list[tuple[Action, DemoAction]] = []
    for priority, specs in zip(Priority.objects.filter(plan=plan).order_by("order"), DEMO_ACTIONS, strict=False):
        for spec in specs:
            due = {"due_term": spec.due} if isinstance(spec.due, str) else {"due_date": spec.due}
            action = plan_services.item_save(
                item=Action(plan=plan, priority=priority),
                values={"what": spec.what, "lead": head, "start_term": "autumn", **due},
                expected_version=None,
                by=head,
            )
            if spec.criterion:
                text, *measure = (spec.criterion,) if isinstance(spec.criterion, str) else spec.criterion
                values = {"text": text}
                if measure:
                    kpi, unit, baseline, target = measure
                    values |= {"kpi": kpi, "unit": unit, "baseline": Decimal(baseline), "target": Decimal(target)}
                plan_services.item_save(
                    item=SuccessCriterion(plan=plan, action=action), values=values, expected_version=None, by=head
                )
            actions.append((action, spec))
    for step, by in (("submit", head), ("agree", chair), ("finalise", head), ("sign_off", ceo)):
        plan = workflow.take_step(plan=plan, step=step, by=by)
    for action, spec in actions:
        if spec.evidence or spec.complete:
            status = "complete" if spec.complete else "in_progress"
            plan_services.progress_update(action=action, status=status, note=spec.evidence, by=head)
    autumn, spring, _ = terms_of(year)
    for n, (action, spec) in enumerate(actions):
        story = STORIES[SCHOOL_STORIES[school.slug][n]]
        for term, (mine, theirs) in ((autumn, story[:2]), (spring, story[2:])):
            if spec.complete and term is spring:
                mine = theirs = "complete"
            for voice, value, by in ((Voice.SELF, mine, head), (Voice.GOVERNORS, theirs, chair)):
                if value:
                    _rate(term, voice, action, spec, value, by, n)
    return plan


def _rate(term, voice: str, action: Action, spec: DemoAction, value: str, by: User, n: int) -> None:
    """A rating as a head or a governor gives it: a commentary behind every red and amber, this
    term's figure (or evidence) behind a green on a measured action."""
    fields = {}
    if value in COMMENTARY:
        fields["commentary"] = COMMENTARY[value][n % 2]
    measured = isinstance(spec.criterion, tuple)
    if value == "green" and measured:
        _, _, unit, baseline, target = spec.criterion
        now = baseline + (target - baseline) * (2 if term.term == "autumn" else 3) // 4
        fields["current_value"] = FIGURES[unit].format(now)
    elif value == "green" and n % 2:
        fields["evidence"] = "Seen on the governors' visit this term."
    middle = term.rating_opens + (term.rating_closes - term.rating_opens) / 2
    review_services.rate(
        term=term, voice=voice, item=action, value=value, by=by, expected_version=None, today=middle, **fields
    )


def _open_summer(year: AcademicYear) -> None:
    """The CEO reopens the year's summer term (long closed) so the demo governors can rate it."""
    summer = terms_of(year)[2]
    today = timezone.localdate()
    if summer.is_open(today):
        return
    review_services.reopen(
        term=summer,
        until=today + datetime.timedelta(days=60),
        reason=SUMMER_REASON,
        by=User.objects.get(email=demo_email("ceo")),
        today=today,
    )
