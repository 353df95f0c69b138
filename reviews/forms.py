"""Forms for the terms' dates and rating windows, the CEO's reopening of a closed term, and the
trust's review settings. Every message says what to change, in the trust's words."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from plans.smart import year_bounds

from .models import TERM_ORDER, ReviewSettings, TermDates

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_MESSAGE = "Enter the {} as a date, e.g. 20/12/2023."

# Governing bodies often meet just after a term ends, so its ratings may stay open for a while
# after its last day: up to six weeks, and never into the next term's own rating window.
AFTER_TERM = datetime.timedelta(days=42)
# A reopening is for catching up, not a second term: the service refuses more than three months.
REOPEN_FOR = datetime.timedelta(days=14)


def _day(value: datetime.date) -> str:
    return f"{value:%-d %B %Y}"


class TermDatesForm(forms.ModelForm):
    """A term's dates and rating window. The rules, in the order they are checked:

    - the term lies inside its academic year (1 September to 31 August) and ends after it starts;
    - the terms of a year follow each other: each ends before the next one starts;
    - the rating window closes on or after the day it opens;
    - the window opens once the term has started and no later than its last day (ratings judge
      the term's work), and closes at most six weeks after the term ends (for a governors'
      meeting just after the term), before the next term's window opens.
    """

    class Meta:
        model = TermDates
        fields = ["starts", "ends", "rating_opens", "rating_closes"]
        labels = {
            "starts": "First day of the term",
            "ends": "Last day of the term",
            "rating_opens": "Ratings open on",
            "rating_closes": "Ratings close on",
        }
        help_texts = {
            "rating_opens": "On or after the term's first day, and no later than its last day.",
            "rating_closes": "At most six weeks after the term's last day.",
        }
        widgets = {name: DATE for name in fields}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            words = str(field.label)[:1].lower() + str(field.label)[1:]
            field.error_messages.update({"required": f"Enter the {words}.", "invalid": DATE_MESSAGE.format(words)})

    def _siblings(self) -> tuple[TermDates | None, TermDates | None]:
        """The term before and the term after this one in the same academic year."""
        others = TermDates.objects.filter(academic_year_id=self.instance.academic_year_id).exclude(pk=self.instance.pk)
        mine = TERM_ORDER[self.instance.term]
        before = [t for t in others if TERM_ORDER[t.term] < mine]
        after = [t for t in others if TERM_ORDER[t.term] > mine]
        return (
            max(before, key=lambda t: TERM_ORDER[t.term]) if before else None,
            min(after, key=lambda t: TERM_ORDER[t.term]) if after else None,
        )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        opens, closes = data.get("rating_opens"), data.get("rating_closes")
        year = self.instance.academic_year
        first, last = year_bounds(year)
        for name in ("starts", "ends"):
            value = data.get(name)
            if value and not first <= value <= last:
                self.add_error(
                    name, f"The {year.label} year runs from {_day(first)} to {_day(last)}: choose a date in it."
                )
        if starts and ends and ends <= starts and "ends" not in self.errors:
            self.add_error("ends", f"The term must end after it starts ({_day(starts)}): choose a later day.")
        before, after = self._siblings()
        if before and starts and starts <= before.ends and "starts" not in self.errors:
            self.add_error(
                "starts",
                f"The {before.term} term runs until {_day(before.ends)}: start this term after it.",
            )
        if after and ends and ends >= after.starts and "ends" not in self.errors:
            self.add_error(
                "ends",
                f"The {after.term} term starts on {_day(after.starts)}: end this term before it.",
            )
        if opens and closes and closes < opens:
            self.add_error(
                "rating_closes",
                f"Ratings must close on or after the day they open ({_day(opens)}): choose a later day.",
            )
        if starts and opens and opens < starts:
            self.add_error(
                "rating_opens",
                f"Ratings judge the term's work: open them on or after its first day ({_day(starts)}).",
            )
        elif ends and opens and opens > ends:
            self.add_error(
                "rating_opens",
                f"Open the ratings while the term runs: on or before its last day ({_day(ends)}).",
            )
        if ends and closes and closes > ends + AFTER_TERM and "rating_closes" not in self.errors:
            self.add_error(
                "rating_closes",
                f"Close the ratings at most six weeks after the term ends: on or before {_day(ends + AFTER_TERM)}.",
            )
        if after and closes and closes >= after.rating_opens and "rating_closes" not in self.errors:
            self.add_error(
                "rating_closes",
                f"The {after.term} term's ratings open on {_day(after.rating_opens)}: close these before then.",
            )
        return data


class ReopenForm(forms.Form):
    until = forms.DateField(
        label="Open until",
        widget=DATE,
        help_text="The last day ratings may be given or changed; at most three months from today.",
        error_messages={"required": "Enter the last day the ratings are open.", "invalid": DATE_MESSAGE.format("day")},
    )
    reason = forms.CharField(
        label="Why it is reopened",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the term and shown to everyone who reads the terms: the governors and the Board.",
        error_messages={"required": "Say why the term is reopened: the governors and the Board will read it."},
    )

    def __init__(self, *args, term: TermDates, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.term = term
        self.today = today or timezone.localdate()
        if not self.is_bound:
            self.initial["until"] = self.today + REOPEN_FOR

    def clean(self):
        data = super().clean()
        if self.today < self.term.rating_opens:
            raise forms.ValidationError(
                f"Ratings for {self.term.name} open on {_day(self.term.rating_opens)}: there is nothing to reopen yet."
            )
        return data


class ReviewSettingsForm(forms.ModelForm):
    class Meta:
        model = ReviewSettings
        fields = ["use_not_yet_due", "use_complete", "staff_see_ratings"]
        labels = {
            "use_not_yet_due": "Offer “Not yet due” beside Red, Amber and Green",
            "use_complete": "Offer “Complete” beside Red, Amber and Green",
            "staff_see_ratings": "Staff read the ratings of their school's published plan",
        }
        help_texts = {
            "use_not_yet_due": "For actions that have not started: counted apart, never as green.",
            "use_complete": "For actions that are done.",
            "staff_see_ratings": "Governors, leaders and trust-wide roles always read them.",
        }
