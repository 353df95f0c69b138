"""The history pages write hundreds of moments; `formats.moment` writes them as Django's date
filter would, in the trust's time zone, summer time included, at a fraction of the cost."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from schools import formats

UTC = datetime.UTC
MOMENTS = [
    datetime.datetime(2026, 1, 5, 3, 4, 5, tzinfo=UTC),  # winter: London is UTC
    datetime.datetime(2026, 7, 5, 23, 59, 1, 123, tzinfo=UTC),  # summer: the next day in London
    datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night the clocks go forward
    datetime.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_moment_reads_as_the_date_filter_does(moment):
    expected = Template(
        '{{ d|date:"j M Y H:i:s" }}|{{ d|date:"j M Y H:i" }}|{{ d|date:"c" }}|{{ d|date:"j M Y" }}'
    ).render(Context({"d": moment}))
    ours = [formats.moment(moment, True), formats.moment(moment), formats.moment_iso(moment), formats.day(moment)]
    assert "|".join(ours) == expected


def test_moment_of_nothing_is_empty_and_of_a_summer_evening_is_local():
    assert formats.moment(None) == formats.moment_iso(None) == formats.day(None) == ""
    assert formats.moment(MOMENTS[1]) == "6 Jul 2026 00:59"
    assert timezone.get_current_timezone_name() == "Europe/London"
