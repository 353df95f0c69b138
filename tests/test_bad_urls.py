"""Issue 16 item 5: bad input in an address is a 400 or 404 with a clear message, never a 500.

The sweep requests every URL pattern of the project (the permission matrix's rows, so a new page is
swept as soon as it has its row) with a NUL byte in the path and in the query, and with impossible
dates and nonsense in the parameters pages read. Tests run with DEBUG on, so a view that raised
would fail the test with its traceback rather than answer 500 quietly.
"""

import pytest
from django.urls import reverse

from governance.models import User
from smart_trust.demo import demo_email
from tests.test_permissions import MATRIX

pytestmark = pytest.mark.django_db

BAD_QUERY = "from=2024-02-30T10:00&to=2024-13-45T99:99&year=%FF%FE&page=-1&role=%27&q=%ED%A0%80&next=//evil.example"
NUL_QUERY = "q=%00&from=%00&to=2024-01-01%00&year=%00&page=%00&role=%00"


def expand(name: str) -> tuple[str, str, dict]:
    method, kwargs, data, _ = MATRIX[name]
    kwargs = kwargs() if callable(kwargs) else kwargs
    data = data() if callable(data) else data
    return method, reverse(name, kwargs=kwargs), data or {}


def test_an_impossible_date_in_the_history_is_a_400_that_says_so(client, central):
    from tests.school_plan_builders import sdp

    url = reverse("school_plans:history", args=[sdp().pk])
    for query in ("from=2024-02-30T10:00&to=2024-03-01T10:00", "from=2024-02-01T10:00&to=2024-02-30T10:00"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert "2024-02-30T10:00 is not a date and time" in response.content.decode()
    # Dates that are not there at all, or well-formed ones, still show the page.
    assert client.get(f"{url}?from=&to=").status_code == 200
    assert client.get(f"{url}?from=2024-02-01T10:00&to=2024-03-01T10:00").status_code == 200


@pytest.mark.parametrize("url", ["/plans/tsp-2022-27/aims/%00/", "/people/?q=%00", "/people/%00/", "/?%00"])
def test_a_nul_byte_in_the_address_is_a_400(client, central, url):
    """On PostgreSQL (CI, and these runs) a NUL reaching a query raised ValueError: a 500."""
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_byte_is_refused_before_anything_reads_the_database(client, central, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/people/?q=%00").status_code == 400


@pytest.mark.parametrize("persona", ["central", "ceo", "head"])
@pytest.mark.parametrize("name", sorted(n for n in MATRIX if not n.startswith("admin:")))
def test_no_url_answers_500_to_bad_input(client, demo, name, persona):
    client.force_login(User.objects.get(email=demo_email(persona)))
    method, url, data = expand(name)
    send = client.post if method == "post" else client.get
    assert send(url.rstrip("/") + "%00/", data).status_code == 400
    assert send(f"{url}?{NUL_QUERY}", data).status_code == 400
    response = send(f"{url}?{BAD_QUERY}", {key: f"{value}\x00" for key, value in data.items()})
    assert response.status_code < 500
    if method == "get":
        assert client.get(f"{url}?{BAD_QUERY}").status_code < 500
