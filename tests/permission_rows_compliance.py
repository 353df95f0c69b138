"""The permission matrix's rows for the review cycle's compliance pages (tests/test_permissions.py
reads ROWS: URL name -> (method, kwargs, data, {persona: status})).

The overview is for trust-wide roles and each school's governors and leaders (their own school's
row); a school's month is read by the same people for their school, recorded by its headteacher
and senior leaders, the central team and the CEO; another school's people get 404 (its staff,
who know the school, 403); the areas are kept by the central team and the CEO."""

PERSONAS = [
    "anonymous",
    "ceo",
    "cfo",
    "central",
    "trustee",
    "tolt",
    "governor",
    "head",
    "senior",
    "middle",
    "staff",
    "other_head",
]


def _rule(yes: set[str], no: int = 403, **others: int) -> dict[str, int]:
    return {p: 302 if p == "anonymous" else others.get(p, 200 if p in yes else no) for p in PERSONAS}


SEES = {"ceo", "cfo", "central", "trustee", "tolt", "governor", "head", "senior", "middle"}

ROWS: dict = {
    # other_head sees their own school (Brunel) there
    "cycle:compliance_index": ("get", {}, None, _rule(SEES | {"other_head"})),
    "cycle:compliance_areas": ("get", {}, None, _rule({"ceo", "central"})),
    # November 2023, a compliance month of the demo year (2023/24) and long past
    "cycle:compliance": ("get", {"school": "saltash", "month": "2023-11"}, None, _rule(SEES, other_head=404)),
}
