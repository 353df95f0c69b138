"""Onboarding people and roles from a CSV file: preview, errors by row and column, all or nothing,
idempotent re-import, every write attributed to the person who imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from governance import onboarding
from governance.models import Role, RoleAssignment, User
from schools.models import School, Trust
from smart_trust.demo import demo_email

pytestmark = pytest.mark.django_db

GOOD = """name,email,school,role,chair,link area
Priya Patel,Priya.Patel@example.org,900001,Middle leader,,
Priya Patel,priya.patel@example.org,Brunel Primary and Nursery Academy,Local governor,yes,SEND
Tom Trust,tom.trust@example.org,,Trustee,,
"""


@pytest.fixture
def trust(demo):
    return Trust.objects.get()


def upload(client, text: str | bytes, name: str = "people.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(reverse("people_import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def snapshot():
    return (
        sorted(User.objects.values_list("email", "full_name")),
        sorted(RoleAssignment.objects.values_list("user__email", "role", "school_id", "is_chair", "link_area")),
    )


def test_preview_lists_changes_and_writes_nothing(trust):
    before = snapshot()
    plan = onboarding.read_csv(GOOD, trust=trust)
    assert plan.errors == []
    assert (plan.people_to_create, plan.roles_to_grant, plan.roles_to_update) == (2, 3, 0)
    assert [row.changes for row in plan.rows] == [
        ["new person", "becomes middle leader at Saltash Community School"],
        ["becomes local governor at Brunel Primary and Nursery Academy"],
        ["new person", "becomes trustee"],
    ]
    assert snapshot() == before


def test_apply_creates_people_and_roles_attributed_to_the_importer(trust, central):
    plan = onboarding.read_csv(GOOD, trust=trust)
    onboarding.apply(plan, trust=trust, by=central)
    priya = User.objects.get(email="priya.patel@example.org")
    assert priya.full_name == "Priya Patel" and not priya.has_usable_password()
    governor = priya.roles.get(role=Role.LOCAL_GOVERNOR)
    assert (governor.school.slug, governor.is_chair, governor.is_link_governor, governor.link_area) == (
        "brunel",
        True,
        True,
        "SEND",
    )
    assert priya.roles.get(role=Role.MIDDLE_LEADER).school.urn == "900001"
    assert User.objects.get(email="tom.trust@example.org").roles.get().school is None
    assert {h.history_user for h in RoleAssignment.history.filter(user_id=priya.pk)} == {central}
    assert governor.granted_by == central


def test_reimporting_the_same_file_changes_nothing(trust, central):
    onboarding.apply(onboarding.read_csv(GOOD, trust=trust), trust=trust, by=central)
    after_first = snapshot()
    history = RoleAssignment.history.count(), User.history.count()
    again = onboarding.read_csv(GOOD, trust=trust)
    assert again.is_valid and not again.has_changes
    onboarding.apply(again, trust=trust, by=central)
    assert snapshot() == after_first
    assert (RoleAssignment.history.count(), User.history.count()) == history


def test_changes_to_names_and_governor_flags_are_previewed_then_applied(trust, central):
    onboarding.apply(onboarding.read_csv(GOOD, trust=trust), trust=trust, by=central)
    edited = GOOD.replace("Priya Patel", "Priya Patel-Jones").replace("yes,SEND", ",")
    plan = onboarding.read_csv(edited, trust=trust)
    assert plan.rows[0].changes == ["name changes from “Priya Patel” to “Priya Patel-Jones”"]
    assert plan.rows[1].changes == ["is no longer chair; is no longer a link governor"]
    assert (plan.people_to_rename, plan.roles_to_update, plan.roles_to_grant) == (1, 1, 0)
    onboarding.apply(plan, trust=trust, by=central)
    governor = RoleAssignment.objects.get(user__email="priya.patel@example.org", role=Role.LOCAL_GOVERNOR)
    assert (governor.is_chair, governor.is_link_governor, governor.user.full_name) == (
        False,
        False,
        "Priya Patel-Jones",
    )
    assert governor.history.first().history_change_reason == "Imported from a CSV file"


def test_roles_missing_from_the_file_are_kept(trust, central):
    staff = User.objects.get(email=demo_email("staff"))
    text = f"name,email,school,role\n{staff.full_name},{staff.email},900002,Staff\n"
    onboarding.apply(onboarding.read_csv(text, trust=trust), trust=trust, by=central)
    assert sorted(staff.roles.values_list("school__slug", flat=True)) == ["brunel", "saltash"]


BAD = """Name,E-mail,School,Role,Chair
,someone@example.org,900001,Staff,
Ann Other,not-an-address,900001,Staff,
Bo Bad,bo@example.org,999999,Staff,
Cy Chair,cy@example.org,900001,Headteacher,yes
Di Scope,di@example.org,900001,CEO,
Ed Role,ed@example.org,900001,Caretaker,
Fi School,fi@example.org,,Staff,
Gus Twice,gus@example.org,900001,Staff,
Gus Twice,gus@example.org,Saltash Community School,Staff,
Hal One,hal@example.org,900001,Staff,
Hal Two,hal@example.org,900002,Staff,
Ian Flag,ian@example.org,900001,Local governor,maybe
"""


def test_every_bad_row_is_reported_by_line_and_column(trust):
    plan = onboarding.read_csv(BAD, trust=trust)
    found = [(e.line, e.column) for e in plan.errors]
    assert found == [
        (2, "name"),
        (3, "email"),
        (4, "school"),
        (5, "chair"),
        (6, "school"),
        (7, "role"),
        (8, "school"),
        (10, "role"),
        (12, "name"),
        (13, "chair"),
    ]
    messages = {(e.line, e.column): e.message for e in plan.errors}
    assert "999999" in messages[(4, "school")]
    assert "leave the school empty" in messages[(6, "school")]
    assert "Caretaker" in messages[(7, "role")] and "Headteacher" in messages[(7, "role")]
    assert "repeats line 9" in messages[(10, "role")]
    assert "“Hal One” on line 11" in messages[(12, "name")]
    assert not plan.is_valid
    with pytest.raises(ValueError):
        onboarding.apply(plan, trust=trust, by=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "The file is empty"),
        ("name,email\nA,a@example.org\n", "no role column"),
        ("name,email,role\n", "no people"),
    ],
)
def test_files_without_people_say_what_to_fix(trust, text, expected):
    plan = onboarding.read_csv(text, trust=trust)
    assert not plan.is_valid
    assert expected in plan.errors[0].message


def test_semicolons_and_windows_encoding_as_excel_writes_them(trust):
    text = onboarding.decode("name;email;school;role\nZoë Brontë;zoe@example.org;900003;Staff\n".encode("cp1252"))
    plan = onboarding.read_csv(text, trust=trust)
    assert plan.is_valid
    assert (plan.rows[0].name, plan.rows[0].school.slug) == ("Zoë Brontë", "bishop-cornish")
    bom = onboarding.decode("\ufeffname,email,role\nA B,ab@example.org,CFO\n".encode())
    assert onboarding.read_csv(bom, trust=trust).rows[0].role == Role.CFO_COO


def test_upload_preview_confirm_through_the_pages(client, central):
    before = snapshot()
    response = upload(client, GOOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check the import of people.csv" in page and "becomes trustee" in page
    assert snapshot() == before
    fingerprint = response.context["plan"].fingerprint()
    response = client.post(reverse("people_import_confirm"), {"fingerprint": fingerprint})
    assert response["Location"] == reverse("people")
    assert User.objects.filter(email="tom.trust@example.org").exists()
    # The checked file is used once: confirming again asks for the file.
    response = client.post(reverse("people_import_confirm"), {"fingerprint": fingerprint}, follow=True)
    assert "There is no checked file to import" in response.content.decode()


def test_a_file_with_errors_shows_them_and_cannot_be_confirmed(client, central):
    before = snapshot()
    response = upload(client, BAD)
    assert response.status_code == 400
    page = response.content.decode()
    assert "10 problems found. Nothing has been saved" in page
    assert "No school in" in page
    assert 'action="/people/import/confirm/"' not in page
    response = client.post(reverse("people_import_confirm"), {"fingerprint": "x"})
    assert response["Location"] == reverse("people_import")
    assert snapshot() == before


def test_confirm_refuses_when_things_changed_since_the_preview(client, central, trust):
    response = upload(client, GOOD)
    fingerprint = response.context["plan"].fingerprint()
    # Someone else imports Tom meanwhile: the stored preview no longer says what would happen.
    onboarding.apply(
        onboarding.read_csv(GOOD.splitlines()[0] + "\n" + GOOD.splitlines()[3], trust=trust), trust=trust, by=central
    )
    response = client.post(reverse("people_import_confirm"), {"fingerprint": fingerprint})
    assert response.status_code == 200
    assert "changed since you checked this file" in response.content.decode()
    assert not User.objects.filter(email="priya.patel@example.org").exists()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("people.xlsx", b"name,email,role\n", "Choose a .csv file"),
        ("people.csv", b"PK\x03\x04\x00\x00binary", "not a CSV text file"),
    ],
)
def test_wrong_kind_of_file_is_refused_with_a_reason(client, central, name, data, expected):
    response = upload(client, data, name)
    assert response.status_code == 400
    assert expected in response.content.decode()


def test_template_download_imports_cleanly(client, central, trust):
    response = client.get(reverse("people_import_template"))
    assert response["Content-Type"].startswith("text/csv")
    plan = onboarding.read_csv(response.content.decode(), trust=trust)
    assert plan.is_valid, plan.errors


def test_failure_part_way_leaves_nothing_written(trust, central, monkeypatch):
    plan = onboarding.read_csv(GOOD, trust=trust)
    before = snapshot()
    calls = []
    real = onboarding.services.role_grant

    def failing_grant(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(onboarding.services, "role_grant", failing_grant)
    with pytest.raises(RuntimeError):
        onboarding.apply(plan, trust=trust, by=central)
    assert snapshot() == before
    assert School.objects.count() == 6


# --- issue 16 item 4: hostile and clumsy files ------------------------------------------------


def test_a_field_over_the_csv_limit_is_a_clear_error_not_a_500(client, central):
    huge = "x" * (200 * 1024)
    response = upload(client, f'name,email,role\n"{huge}",a@example.org,Trustee\n')
    assert response.status_code == 400
    html = response.content.decode()
    assert "longer than" in html and "line 2" in html.lower()


def test_doubled_quotes_read_as_one_quote(trust):
    text = 'name,email,role\n"Robert ""Bob"" Smith",bob@example.org,Trustee\n'
    plan = onboarding.read_csv(text, trust=trust)
    assert plan.is_valid, plan.errors
    assert plan.rows[0].name == 'Robert "Bob" Smith'
    # The sniffer still finds another delimiter.
    plan = onboarding.read_csv(text.replace(",", ";"), trust=trust)
    assert plan.rows[0].name == 'Robert "Bob" Smith'


def test_a_windows_1252_file_is_read_and_the_preview_says_so(client, central):
    response = upload(client, "name,email,role\nZoë Brontë,zoe@example.org,Trustee\n".encode("cp1252"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zoë Brontë" in html
    assert "Windows-1252" in html and "CSV UTF-8" in html


def test_a_utf8_file_needs_no_warning(client, central):
    html = upload(client, "name,email,role\nZoë Brontë,zoe@example.org,Trustee\n").content.decode()
    assert "Zoë Brontë" in html and "Windows-1252" not in html


@pytest.mark.parametrize(
    "data",
    [
        # UTF-8 with one broken byte: read as Windows-1252 it would preview as "ZoÃ«".
        "name,email,role\nZoë Brontë,zoe@example.org,Trustee\n".encode() + b"Bad \xff,b@example.org,Trustee\n",
        # Bytes that Windows-1252 does not define either.
        b"name,email,role\nA \x81\x8d\x90,a@example.org,Trustee\n",
    ],
)
def test_text_in_no_known_encoding_is_refused(client, central, data):
    response = upload(client, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "UTF-8" in html and "Ã" not in html


def test_formula_cells_preview_as_typed_and_are_neutralised_in_the_template(client, central, trust):
    text = 'name,email,role\n"=HYPERLINK(""http://evil.example"",""x"")",f@example.org,Trustee\n'
    html = upload(client, text).content.decode()
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)" in html
    assert onboarding.spreadsheet_safe("=1+2") == "'=1+2"
    assert [onboarding.spreadsheet_safe(v) for v in ("+1", "-1", "@SUM(A1)", "\tx", "Ann")] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "Ann",
    ]


def test_the_template_download_neutralises_formulas(client, central, monkeypatch):
    monkeypatch.setattr(onboarding, "TEMPLATE_ROWS", [["=cmd|' /C calc'!A0", "x@example.org", "", "Trustee", "", ""]])
    body = client.get(reverse("people_import_template")).content.decode()
    assert "'=cmd|' /C calc'!A0" in body
    assert "\n=cmd" not in body


def test_an_address_of_another_trusts_person_is_refused_and_never_shown_or_changed(client, trust, central):
    other = Trust.objects.create(name="Other Trust", slug="other")
    other_school = School.objects.create(trust=other, name="Far School", slug="far", phase="primary", urn="990001")
    outsider = User.objects.create_user("outsider@example.org", "x", full_name="Owen Outsider")
    RoleAssignment.objects.create(user=outsider, role=Role.STAFF, trust=other, school=other_school)
    text = "name,email,school,role\nRenamed Person,outsider@example.org,900001,Staff\n"

    plan = onboarding.read_csv(text, trust=trust, by=central)
    assert [(e.line, e.column) for e in plan.errors] == [(2, "email")]
    assert "outside the trust" in plan.errors[0].message
    page = upload(client, text).content.decode()
    assert "outside the trust" in page and "Owen Outsider" not in page
    outsider.refresh_from_db()
    assert outsider.full_name == "Owen Outsider"
    assert list(outsider.roles.values_list("trust__slug", flat=True)) == ["other"]
