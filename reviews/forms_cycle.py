"""The CEO's form for a stage of the review cycle, and the "mark as done" form of a task stage.
Every message says what to change, in the trust's words."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from governance.models import Role

from .forms import DATE, DATE_MESSAGE
from .models_cycle import TERM_DUES, Due, Stage

MAX_REMIND_DAYS = 60


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


class StageForm(forms.ModelForm):
    """A stage's name, dates, who is responsible, what is due and who is told. A term's rating
    stages follow the term's rating window: their dates and what they ask are kept on the terms
    page, never here."""

    told = forms.MultipleChoiceField(
        label="Also told when it opens",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone holding these roles is e-mailed when the stage opens, besides those who owe it.",
    )

    class Meta:
        model = Stage
        fields = ["name", "description", "starts", "due", "responsible", "due_kind", "plan_state", "told",
                  "remind_days_before"]  # fmt: skip
        labels = {
            "name": "Name",
            "description": "What happens",
            "starts": "Opens on",
            "due": "Due on",
            "responsible": "Who is responsible",
            "due_kind": "What is due",
            "plan_state": "The state every plan must reach",
            "remind_days_before": "Remind them this many days before it is due",
        }
        help_texts = {
            "description": "Shown on the stage's page and in the e-mail when it opens.",
            "plan_state": "Only for “Every school's plan reaches a state”.",
            "remind_days_before": f"0 for no early reminder; at most {MAX_REMIND_DAYS}.",
        }
        widgets = {
            "starts": DATE,
            "due": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "remind_days_before": forms.NumberInput(attrs={"min": 0, "max": MAX_REMIND_DAYS}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_term_stage = self.instance.term_id is not None or self.instance.due_kind in TERM_DUES
        f = self.fields
        f["name"].error_messages["required"] = "Enter the stage's name."
        for name in ("starts", "due"):
            words = str(f[name].label).lower()
            f[name].error_messages.update(
                {"required": f"Enter the day it is {words.split()[0]} on.", "invalid": DATE_MESSAGE.format("day")}
            )
        f["responsible"].error_messages["required"] = "Choose who is responsible."
        f["remind_days_before"].error_messages.update(
            {"required": "Enter how many days before it is due to remind them (0 for none).",
             "invalid": "Enter a whole number of days, e.g. 7."}
        )  # fmt: skip
        if self.is_term_stage:
            terms = reverse("reviews:terms")
            term = self.instance.term
            window = f"{term.name} {term.academic_year.label}" if term else "its term"
            for name in ("starts", "due", "due_kind"):
                f[name].disabled = True
                f[name].required = False
            f["starts"].help_text = format_html(
                "A term's rating stages follow the term's rating window ({}): change its dates on "
                '<a href="{}">the terms page</a>.',
                window,
                terms,
            )
            f["due"].help_text = "Follows the rating window's last day."
            f["due_kind"].help_text = "Each term has its rating stages; they are not changed here."
            f["plan_state"].disabled = True
        else:
            # A rating stage comes with its term (one per term and voice), never by hand.
            f["due_kind"].choices = [(v, label) for v, label in Due.choices if v not in TERM_DUES]
            f["due_kind"].error_messages["invalid_choice"] = (
                "Choose what is due from the list. A term's ratings have their own stages, made with the term."
            )
            f["due_kind"].error_messages["required"] = "Choose what is due."
            f["plan_state"].choices = [("", "(not a plan stage)"), *f["plan_state"].choices[1:]]
        if not self.is_bound:
            self.initial["told"] = list(self.instance.told or [])

    def clean_remind_days_before(self):
        days = self.cleaned_data.get("remind_days_before")
        if days is not None and days > MAX_REMIND_DAYS:
            raise forms.ValidationError(f"Remind them at most {MAX_REMIND_DAYS} days before: enter a smaller number.")
        return days

    def clean(self):
        data = super().clean()
        if self.is_term_stage:
            # The fields are disabled; a hand-made request that still sends other dates is told why.
            for name in ("starts", "due"):
                sent = self.data.get(self.add_prefix(name))
                if sent and sent != getattr(self.instance, name).isoformat():
                    self.add_error(
                        name,
                        "A term's rating stages follow the term's rating window: change its dates on the terms page.",
                    )
            return data
        starts, due = data.get("starts"), data.get("due")
        if starts and due and due < starts:
            self.add_error("due", f"It is due before it opens ({_day(starts)}): choose a day on or after it.")
        kind, state = data.get("due_kind"), data.get("plan_state")
        if kind == Due.PLAN_STATE and not state:
            self.add_error("plan_state", "Say which state every plan must reach by the due date.")
        elif kind and kind != Due.PLAN_STATE:
            data["plan_state"] = ""  # only a plan stage names a state
        return data

    def _post_clean(self):
        super()._post_clean()
        if "told" in self.cleaned_data:
            self.instance.told = [str(r) for r in self.cleaned_data["told"]]


class MarkDoneForm(forms.Form):
    """Marks a task stage done: for the one place the person may (or the one they choose)."""

    school = forms.TypedChoiceField(
        label="For",
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Choose one of the schools listed."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the stage: what was done, or where to find it.",
        error_messages={"max_length": "Keep the note to 1,000 characters or fewer."},
    )

    def __init__(self, *args, places: list[tuple[int | None, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.places = places
        schools = [(pk, name) for pk, name in places if pk is not None]
        self.fields["school"].choices = [("", "Choose a school"), *schools]
        self.one_place = len(places) == 1
        if self.one_place:
            self.fields["school"].widget = forms.HiddenInput()

    def clean_school(self) -> int | None:
        school = self.cleaned_data.get("school")
        if school in ("", None):
            if self.one_place:
                return self.places[0][0]
            if any(pk is not None for pk, _ in self.places):
                raise forms.ValidationError("Choose the school it is done for.")
            return None
        return school
