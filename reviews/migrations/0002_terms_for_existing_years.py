"""Give every academic year already in the database its three terms (new years get them from
reviews.signals), with the template's dates (reviews.services.TERM_TEMPLATE at the time of writing)."""

import datetime

from django.db import migrations

TEMPLATE = [
    ("autumn", (9, 4), (12, 20), (11, 18), (12, 13)),
    ("spring", (1, 6), (3, 28), (3, 1), (3, 20)),
    ("summer", (4, 14), (7, 22), (6, 16), (7, 11)),
]


def _date(start_year, month_day):
    month, day = month_day
    return datetime.date(start_year if month >= 9 else start_year + 1, month, day)


def add_terms(apps, schema_editor):
    AcademicYear = apps.get_model("plans", "AcademicYear")
    TermDates = apps.get_model("reviews", "TermDates")
    for year in AcademicYear.objects.all():
        y = year.start_year
        for term, starts, ends, opens, closes in TEMPLATE:
            TermDates.objects.get_or_create(
                academic_year=year,
                term=term,
                defaults={
                    "starts": _date(y, starts),
                    "ends": _date(y, ends),
                    "rating_opens": _date(y, opens),
                    "rating_closes": _date(y, closes),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_ratings")]

    operations = [migrations.RunPython(add_terms, migrations.RunPython.noop)]
