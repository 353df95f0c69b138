"""Onboarding people and their roles from a CSV file, the shape a school MIS export has.

Two steps. `read_csv` checks the whole file and works out, row by row, what importing it would
change (new people, renamed people, roles to grant, governor flags to change) without writing
anything. `apply` writes those changes in one transaction, and only when the file had no errors.
Roles a person holds that the file does not mention are left alone: an import adds and updates,
it never takes a role away (that is done on the person's page, with a reason).
Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from schools.models import School, Trust

from . import services
from .models import SCHOOL_ROLES, Role, RoleAssignment, User

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

# Column name (as written in the file, in any case) -> the field it fills.
COLUMNS = {
    "name": "name",
    "full name": "name",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "school": "school",
    "urn": "school",
    "school urn": "school",
    "role": "role",
    "chair": "chair",
    "link area": "link_area",
}
REQUIRED = ("name", "email", "role")
# Headings for the downloadable template, in order.
TEMPLATE_HEADER = ["name", "email", "school", "role", "chair", "link area"]
TEMPLATE_ROWS = [
    ["Alex Example", "alex.example@school.example", "Saltash Community School", "Senior leader", "", ""],
    ["Sam Sample", "sam.sample@school.example", "900001", "Local governor", "yes", "SEND"],
    ["Jo Trustee", "jo.trustee@trust.example", "", "Trustee", "", ""],
]
YES = {"yes", "y", "true", "1", "x"}
NO = {"", "no", "n", "false", "0"}


def _role_lookup() -> dict[str, str]:
    lookup = {}
    for value, label in Role.choices:
        lookup[value] = value
        lookup[label.lower()] = value
        lookup[value.replace("_", " ")] = value
    lookup.update(
        {
            "governor": Role.LOCAL_GOVERNOR,
            "head": Role.HEADTEACHER,
            "head teacher": Role.HEADTEACHER,
            "cfo": Role.CFO_COO,
            "coo": Role.CFO_COO,
            "tolt": Role.TOLT_MEMBER,
            "slt": Role.SENIOR_LEADER,
            "senior leadership": Role.SENIOR_LEADER,
            "middle leadership": Role.MIDDLE_LEADER,
        }
    )
    return lookup


ROLE_LOOKUP = _role_lookup()


@dataclass
class RowError:
    line: int  # the line of the file, counting the header as line 1
    column: str
    message: str


@dataclass
class Row:
    line: int
    name: str
    email: str
    role: str
    school: School | None
    is_chair: bool
    link_area: str
    changes: list[str] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class ImportPlan:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    people_to_create: int = 0
    people_to_rename: int = 0
    roles_to_grant: int = 0
    roles_to_update: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def has_changes(self) -> bool:
        return any(row.changes for row in self.rows)

    def fingerprint(self) -> str:
        """Identifies what this plan would do, so a confirmation applies exactly what was previewed."""
        text = "\n".join(f"{r.line}|{r.email}|{r.role}|{r.school and r.school.pk}|{r.changes}" for r in self.rows)
        return hashlib.sha256(text.encode()).hexdigest()


class UnreadableText(ValueError):
    """The file's bytes are in no encoding we can read without garbling names."""


# A whole UTF-8 sequence (two or three bytes): in a file that is not valid UTF-8 these mean
# broken UTF-8, which read as Windows-1252 would preview "Zoë" as "ZoÃ«".
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf](?![\x80-\xbf])|[\xe0-\xef][\x80-\xbf]{2}")
SAVE_AS_UTF8 = "in Excel choose File > Save As > CSV UTF-8, then upload it again"


def _line_of(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def read_text(data: bytes) -> tuple[str, str]:
    """Text of an uploaded file and the encoding it was read in: UTF-8 (with or without Excel's
    byte-order mark), else Windows-1252 (Excel's plain "CSV" on Windows), which the preview names
    so a garbled name is noticed. Anything else is refused: guessing would garble names silently."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        bad_line = _line_of(data, exc.start)
    if UTF8_SEQUENCE.search(data):
        raise UnreadableText(
            f"The file is not valid UTF-8 text (line {bad_line} has bytes that are not): {SAVE_AS_UTF8}."
        )
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise UnreadableText(
            f"The file's text is in an encoding this page cannot read (line {_line_of(data, exc.start)}): "
            f"{SAVE_AS_UTF8}."
        ) from None


def decode(data: bytes) -> str:
    return read_text(data)[0]


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula: one starting with =, +, -, @ (or a tab or
    carriage return, which some spreadsheets skip before one) gets a leading single quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_problem(exc: csv.Error, line: int) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"The row starting on line {line} has a cell longer than {csv.field_size_limit() // 1024} KB "
            "(is a quote left open?): no name, e-mail, school or role is that long."
        )
    return f"The row starting on line {line} cannot be read as CSV ({exc}): check its quotes."


def _refusal(by: User | None, person: User, action: str, role: str | None) -> str | None:
    """The same rules (and log line) as the people pages: a file cannot do what its importer may not."""
    if by is None:
        return None
    try:
        services.refuse_if_not_allowed(by=by, person=person, action=action, role=role)
    except PermissionDenied as exc:
        return str(exc)
    return None


def read_csv(text: str, *, trust: Trust, by: User | None = None) -> ImportPlan:
    """Check every row of `text` and work out what importing it would change. Writes nothing.
    With `by`, rows that person may not import (a role above theirs, themselves, someone with more
    power) are errors; `apply` refuses them whatever the preview said."""
    plan = ImportPlan()
    if not text.strip():
        plan.errors.append(
            RowError(1, "", "The file is empty. Export people with a header row: name, email, school, role.")
        )
        return plan
    # Only the delimiter is sniffed: the sniffer also guesses doublequote=False from a header
    # line, which misreads "Robert ""Bob"" Smith". Quoting stays Excel's.
    try:
        delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    while True:
        line = reader.line_num + 1  # where the next row starts (a quoted cell may span lines)
        try:
            records.append((line, next(reader)))
        except StopIteration:
            break
        except csv.Error as exc:
            plan.errors.append(RowError(line, "", _csv_problem(exc, line)))
            return plan
    header = records[0][1]
    fields: list[str | None] = [COLUMNS.get(h.strip().lower()) for h in header]
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        plan.errors.append(
            RowError(
                1,
                ", ".join(missing),
                f"The header row has no {' or '.join(missing)} column. "
                f"The columns are: {', '.join(TEMPLATE_HEADER)} (school, chair and link area may be empty).",
            )
        )
        return plan

    schools = list(School.objects.filter(trust=trust))
    by_urn = {s.urn: s for s in schools}
    by_name = {s.name.lower(): s for s in schools}
    seen: dict[tuple, int] = {}
    names_in_file: dict[str, tuple[str, int]] = {}
    parsed: list[Row] = []

    for line, values in records[1:]:
        if not any(v.strip() for v in values):
            continue
        if len(parsed) >= MAX_ROWS:
            plan.errors.append(
                RowError(line, "", f"The file has more than {MAX_ROWS} rows; split it into smaller files.")
            )
            break
        record = {"name": "", "email": "", "school": "", "role": "", "chair": "", "link_area": ""}
        for key, value in zip(fields, values, strict=False):
            if key:
                record[key] = value.strip()
        errors = len(plan.errors)

        email = record["email"].lower()
        try:
            validate_email(email)
        except ValidationError:
            message = "is empty" if not email else f"“{record['email']}” is not an e-mail address"
            plan.errors.append(RowError(line, "email", f"The e-mail address {message}."))
        if not record["name"]:
            plan.errors.append(RowError(line, "name", "The name is empty: give the person's full name."))
        elif len(record["name"]) > 150:
            plan.errors.append(RowError(line, "name", "The name is longer than 150 characters."))

        role = ROLE_LOOKUP.get(record["role"].lower())
        if role is None:
            plan.errors.append(
                RowError(
                    line,
                    "role",
                    f"“{record['role']}” is not a role. Use one of: {', '.join(label for _, label in Role.choices)}.",
                )
            )
        school = None
        if record["school"]:
            school = by_urn.get(record["school"]) or by_name.get(record["school"].lower())
            if school is None:
                plan.errors.append(
                    RowError(line, "school", f"No school in {trust.name} has the URN or name “{record['school']}”.")
                )
        if role in SCHOOL_ROLES and not record["school"]:
            plan.errors.append(
                RowError(line, "school", f"A {Role(role).label.lower()} belongs to one school: give its URN or name.")
            )
        if role and role not in SCHOOL_ROLES and record["school"]:
            plan.errors.append(
                RowError(line, "school", f"A {Role(role).label} works for the whole trust: leave the school empty.")
            )
            school = None

        chair = record["chair"].lower()
        if chair not in YES | NO:
            plan.errors.append(RowError(line, "chair", f"Chair is “{record['chair']}”: write yes or leave it empty."))
        is_chair = chair in YES
        link_area = record["link_area"]
        if (is_chair or link_area) and role and role != Role.LOCAL_GOVERNOR:
            plan.errors.append(
                RowError(
                    line, "chair" if is_chair else "link area", "Only a local governor can be chair or link governor."
                )
            )
        if len(link_area) > 200:
            plan.errors.append(RowError(line, "link area", "The link area is longer than 200 characters."))

        if email and record["name"]:
            earlier = names_in_file.setdefault(email, (record["name"], line))
            if earlier[0] != record["name"]:
                plan.errors.append(
                    RowError(
                        line,
                        "name",
                        f"{email} is called “{earlier[0]}” on line {earlier[1]} and “{record['name']}” here: "
                        "use one name.",
                    )
                )
        key = (email, role, school.pk if school else None)
        if role and email and len(plan.errors) == errors:
            if key in seen:
                plan.errors.append(RowError(line, "role", f"This repeats line {seen[key]}: remove one of them."))
            seen.setdefault(key, line)
        if len(plan.errors) == errors:
            parsed.append(Row(line, record["name"], email, role, school, is_chair, link_area))

    if not parsed and not plan.errors:
        plan.errors.append(RowError(2, "", "The file has a header row but no people."))
    if plan.errors:
        return plan

    emails = {row.email for row in parsed}
    people = {u.email: u for u in User.objects.filter(email__in=emails)}
    reachable = set(User.objects.of_trust(trust).filter(email__in=emails).values_list("email", flat=True))
    held = {
        (a.user.email, a.role, a.school_id): a
        for a in RoleAssignment.objects.filter(user__email__in=emails, trust=trust).select_related("user")
    }
    new_people: set[str] = set()
    renamed: set[str] = set()
    for row in parsed:
        person = people.get(row.email)
        if person is not None and row.email not in reachable:
            # Another trust's person: the import must neither show nor change them.
            plan.errors.append(
                RowError(row.line, "email", "This address belongs to someone outside the trust: check the address.")
            )
            continue
        assignment = held.get((row.email, row.role, row.school.pk if row.school else None))
        if assignment is None:
            refusal = _refusal(by, person or User(email=row.email), "grant", row.role)
        elif person.full_name != row.name or (assignment.is_chair, assignment.link_area) != (
            row.is_chair,
            row.link_area,
        ):
            refusal = _refusal(by, person, "edit", None)
        else:
            refusal = None
        if refusal:
            plan.errors.append(RowError(row.line, "email", refusal))
            continue
        if person is None:
            if row.email not in new_people:
                row.changes.append("new person")
                new_people.add(row.email)
        elif person.full_name != row.name and row.email not in renamed:
            row.changes.append(f"name changes from “{person.full_name}” to “{row.name}”")
            renamed.add(row.email)
        where = f" at {row.school.name}" if row.school else ""
        if assignment is None:
            row.changes.append(f"becomes {row.role_label.lower()}{where}")
            plan.roles_to_grant += 1
        elif (assignment.is_chair, assignment.link_area) != (row.is_chair, row.link_area):
            row.changes.append(_flags_change(assignment, row))
            plan.roles_to_update += 1
    if plan.errors:
        return plan
    plan.rows = parsed
    plan.people_to_create = len(new_people)
    plan.people_to_rename = len(renamed)
    return plan


def _flags_change(assignment: RoleAssignment, row: Row) -> str:
    parts = []
    if assignment.is_chair != row.is_chair:
        parts.append("becomes chair" if row.is_chair else "is no longer chair")
    if assignment.link_area != row.link_area:
        parts.append(f"link area “{row.link_area}”" if row.link_area else "is no longer a link governor")
    return "; ".join(parts)


@transaction.atomic
def apply(plan: ImportPlan, *, trust: Trust, by: User) -> ImportPlan:
    """Write what `plan` previewed. All or nothing: a failure part-way leaves the database as it was."""
    if not plan.is_valid:
        raise ValueError("Only a file without errors can be imported.")
    reason = "Imported from a CSV file"
    emails = {r.email for r in plan.rows}
    people: dict[str, User] = {u.email: u for u in User.objects.of_trust(trust).filter(email__in=emails)}
    if User.objects.filter(email__in=emails).exclude(pk__in=[p.pk for p in people.values()]).exists():
        raise ValueError("The file names someone outside the trust: check it again before importing.")
    for row in plan.rows:
        person = people.get(row.email)
        if person is None:
            person = services.person_create(email=row.email, full_name=row.name, by=by)
            people[row.email] = person
        elif person.full_name != row.name:
            services.person_update(
                person=person, full_name=row.name, email=person.email, is_active=person.is_active, by=by
            )
        assignment = RoleAssignment.objects.filter(user=person, role=row.role, trust=trust, school=row.school).first()
        if assignment is None:
            services.role_grant(
                person=person,
                role=row.role,
                trust=trust,
                school=row.school,
                by=by,
                is_chair=row.is_chair,
                is_link_governor=bool(row.link_area),
                link_area=row.link_area,
            )
        elif (assignment.is_chair, assignment.link_area) != (row.is_chair, row.link_area):
            assignment.is_chair = row.is_chair
            assignment.is_link_governor = bool(row.link_area)
            assignment.link_area = row.link_area
            assignment._history_user = by
            assignment._change_reason = reason
            assignment.save()
    return plan


def template_csv() -> str:
    """The template download (a file a spreadsheet opens: every cell passes `spreadsheet_safe`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in TEMPLATE_ROWS)
    return out.getvalue()
