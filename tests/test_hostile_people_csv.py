"""Random and hostile people CSV files (issue 16 item 11), through the upload page and the
onboarding functions: a preview or a clear refusal, never a 500 or a traceback, and nothing
written before the import is confirmed."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from governance import onboarding
from schools.models import Trust
from tests.hostile import HOSTILE, NASTY, hostile_text, rolled_back, snapshot

pytestmark = pytest.mark.django_db

HEADER = ["name", "email", "school", "role", "chair", "link area"]
cell = st.one_of(
    hostile_text,
    st.sampled_from(["head", "staff", "ceo", "trustee", "local governor", "yes", "saltash", "Saltash", "x@y.org"]),
)
rows = st.lists(st.lists(cell, max_size=8), max_size=12)


def as_csv(header: list[str], body: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def upload(client, data: bytes) -> None:
    """Upload `data`: a preview (200) or a refusal (400), with nothing written."""
    with rolled_back():
        before = snapshot()
        response = client.post(
            reverse("people_import"), {"file": SimpleUploadedFile("people.csv", data, content_type="text/csv")}
        )
        assert response.status_code in (200, 400), response.status_code
        assert snapshot() == before


@settings(HOSTILE, max_examples=60)
@given(data=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(lambda t: t.encode("utf-8"))))
def test_random_bytes_upload_gives_a_preview_or_a_refusal(central, client, data):
    upload(client, data)


@settings(HOSTILE, max_examples=60)
@given(
    header=st.one_of(st.just(HEADER), st.permutations(HEADER), st.lists(cell, max_size=8)),
    body=rows,
)
def test_random_rows_upload_gives_a_preview_or_a_refusal(central, client, header, body):
    upload(client, as_csv(header, body))


@settings(HOSTILE, max_examples=60)
@given(data=st.one_of(st.binary(max_size=3000), rows.map(lambda body: as_csv(HEADER, body))))
def test_read_text_and_read_csv_answer_with_their_own_errors(central, data):
    trust = Trust.objects.get()
    before = snapshot()
    try:
        text, _encoding = onboarding.read_text(data)
    except onboarding.UnreadableText:
        return
    plan = onboarding.read_csv(text, trust=trust, by=central)
    assert isinstance(plan, onboarding.ImportPlan)
    assert snapshot() == before


def test_the_nasty_strings_in_every_cell_are_previewed_or_refused(central, client):
    body = [[value] * 6 for value in NASTY]
    upload(client, as_csv(HEADER, body))
