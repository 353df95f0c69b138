"""What the hostile-input tests (tests/test_hostile_*.py, issue 16 item 11) share: one bounded
hypothesis profile (repeatable in CI), strategies for hostile text, a snapshot of every table, and
a way to run each example in a savepoint that is rolled back, so examples never see each other."""

from __future__ import annotations

from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.conftest import in_ci

# Each test runs at most this many examples; CI derandomises, so every run tries the same inputs.
EXAMPLES = 60
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=in_ci(),
    database=None,  # nothing written to the work tree; a failure prints the input that broke it
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no slow "explain"
)

# Text that has broken programs before: NUL bytes, control and direction characters, formulas,
# markup, huge and odd numbers, impossible dates, very long strings.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t=1+1",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "\ufeff",
    "Zo\u00eb \U0001f600 \u00e9\u0301",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '=HYPERLINK("http://x")',
    "@SUM(A1)",
    "-1",
    "0",
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "1" * 5000,
    "\u0661\u0662\u0663",
    "2024-02-30",
    "0000-01-01",
    "9999-12-31",
    "10000-01-01",
    "31/12/2023",
    "x" * 100_000,
    "a@b",
    "x@" + "y" * 300 + ".org",
    "%00",
    "../../etc/passwd",
    "{{ 7*7 }}",
    "${jndi:ldap://x}",
]

# Printable or not, any code point but lone surrogates (which no browser can send).
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.integers().map(str),
    st.floats().map(str),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=40)),
)


# Tables that a refused request may touch without it being a change: sessions and sign-in records.
_VOLATILE = {"sessions", "axes", "admin"}


def snapshot() -> dict[str, int]:
    """How many rows every table of the project has (history tables included), in one query."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if model._meta.app_label not in _VOLATILE and not model._meta.proxy and model._meta.managed
        }
    )
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608 - model tables, quoted
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + counts)  # noqa: S608 - as above
        return dict(zip(tables, cursor.fetchone(), strict=True))


@contextmanager
def rolled_back():
    """Run one example in a savepoint that is always rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
