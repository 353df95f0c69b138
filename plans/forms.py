"""Forms for writing development plans. Each edits the fields its item declares
(`EDITABLE_FIELDS` on the model): a person can set only these."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator

from governance.models import Role, RoleAssignment

from .models import AcademicYear, Action, ActionStatus, PlanKind, Priority, SuccessCriterion
from .smart import year_bounds

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


DATE_MESSAGE = "Enter the {} as a date, e.g. 31/03/2024."
NUMBER_MESSAGE = "Enter the {} as a number, e.g. 85 or 12.5."


def _say(form, messages: dict[str, dict[str, str]]) -> None:
    """Plain messages, in the trust's words, instead of Django's defaults."""
    for name, by_code in messages.items():
        form.fields[name].error_messages.update(by_code)


def _outside_the_year(form, plan, names) -> None:
    """Refuse dates outside the plan's academic year (1 September to 31 August)."""
    first, last = year_bounds(plan.academic_year)
    for name in names:
        value = form.cleaned_data.get(name)
        if value and not first <= value <= last:
            form.add_error(
                name,
                f"The plan's year runs from {first:%-d %B %Y} to {last:%-d %B %Y}: choose a date in it.",
            )


class VersionedForm(forms.ModelForm):
    """Carries the version of the item the person opened, so a stale save is caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        _say(self, {"version": {"invalid": "Open the form again: it lost track of the version it was opened on."}})

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class PriorityForm(VersionedForm):
    class Meta:
        model = Priority
        fields = Priority.EDITABLE_FIELDS
        labels = {"title": "Priority", "description": "What it means for us"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _say(
            self,
            {
                "title": {
                    "required": "Give the priority a title.",
                    "max_length": "Keep the priority's title under 300 characters; say more below it.",
                }
            },
        )


# Who leads an action, grouped by role as (role, group heading, the role inside a sentence): a
# school's plan is led by its staff and leaders, the trust-wide BDP by the trust's central people.
LEADS_AT_A_SCHOOL = [
    (Role.HEADTEACHER, "Headteacher", "headteacher"),
    (Role.SENIOR_LEADER, "Senior leaders", "senior leader"),
    (Role.MIDDLE_LEADER, "Middle leaders", "middle leader"),
    (Role.STAFF, "Staff", "staff"),
]
LEADS_TRUST_WIDE = [
    (Role.CEO, "CEO", "CEO"),
    (Role.CFO_COO, "CFO / COO", "CFO / COO"),
    (Role.TOLT_MEMBER, "TOLT members", "TOLT member"),
    (Role.CENTRAL_TEAM, "Central team", "central team"),
]


def lead_choices(plan, current=None) -> tuple[set[int], list]:
    """The people who may lead an action of `plan`, as grouped choices (each person once, under
    their most senior role, with that role in their label); `current` (the lead the action has
    now) stays offered even if they have since moved on."""
    groups = LEADS_AT_A_SCHOOL if plan.school_id else LEADS_TRUST_WIDE
    roles = RoleAssignment.objects.filter(
        trust=plan.trust_id, school=plan.school_id, role__in=[g[0] for g in groups], user__is_active=True
    ).select_related("user")
    by_role = defaultdict(list)
    for assignment in roles.order_by("user__full_name", "user__email"):
        by_role[assignment.role].append(assignment.user)
    placed: set[int] = set()
    choices: list = [("", "No lead yet")]
    for role, heading, noun in groups:
        options = []
        for person in by_role[role]:
            if person.pk not in placed:
                placed.add(person.pk)
                options.append((person.pk, f"{person.full_name or person.email}, {noun}"))
        if options:
            choices.append((heading, options))
    if current is not None and current.pk not in placed:
        placed.add(current.pk)
        choices.append(("Leading it now", [(current.pk, current.full_name or current.email)]))
    return placed, choices


class ActionForm(VersionedForm):
    class Meta:
        model = Action
        fields = Action.EDITABLE_FIELDS
        labels = {"what": "What will be done", "start_term": "or start term", "due_term": "or due term"}
        help_texts = {
            "due_date": "A date, or a term below.",
            "resources": "People, time, materials.",
        }
        widgets = {
            "what": forms.Textarea(attrs={"rows": 3}),
            "resources": forms.Textarea(attrs={"rows": 2}),
            "start_date": DATE,
            "due_date": DATE,
        }

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        people, choices = lead_choices(plan, self.instance.lead if self.instance.lead_id else None)
        lead = self.fields["lead"]
        lead.queryset = get_user_model().objects.filter(pk__in=people)
        lead.choices = choices
        whose = "the school's staff and leaders" if plan.school_id else "the trust's central people"
        lead.help_text = f"The person responsible: one of {whose}."
        self.fields["cost"].validators.append(MinValueValidator(0, message="The cost cannot be negative."))
        _say(
            self,
            {
                "what": {"required": "Say what will be done."},
                "lead": {"invalid_choice": f"Choose the lead from the list: {whose}."},
                "status": {"invalid_choice": "Choose a status from the list."},
                "start_date": {"invalid": DATE_MESSAGE.format("start date")},
                "due_date": {"invalid": DATE_MESSAGE.format("due date")},
                "start_term": {"invalid_choice": "Choose the start term from the list."},
                "due_term": {"invalid_choice": "Choose the due term from the list."},
                "cost": {
                    "invalid": "Enter the cost in pounds, e.g. 1500 or 1500.50.",
                    "max_digits": "The cost is too large: enter it in pounds, e.g. 1500.",
                    "max_decimal_places": "Give the cost in pounds and pence, at most two decimal places.",
                    "max_whole_digits": "The cost is too large: enter it in pounds, e.g. 1500.",
                },
            },
        )

    def clean(self):
        data = super().clean()
        _outside_the_year(self, self.plan, ["start_date", "due_date"])
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", "The due date is before the start date: change one of them.")
        if data.get("due_date") and data.get("due_term"):
            self.add_error("due_term", "Give a due date or a due term, not both.")
        if data.get("start_date") and data.get("start_term"):
            self.add_error("start_term", "Give a start date or a start term, not both.")
        return data


class CriterionForm(VersionedForm):
    class Meta:
        model = SuccessCriterion
        fields = SuccessCriterion.EDITABLE_FIELDS
        labels = {"text": "Success criterion", "due_date": "By (date)", "due_term": "or by (term)"}
        help_texts = {
            "text": "What will be true when this succeeds, e.g. “85% of pupils reach the expected standard”.",
            "baseline": "Where you start, if it is a number.",
            "target": "Where you aim to be, if it is a number.",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 2}), "due_date": DATE}

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        number_messages = {
            "max_digits": "That number is too large.",
            "max_decimal_places": "Give at most two decimal places.",
            "max_whole_digits": "That number is too large.",
        }
        _say(
            self,
            {
                "text": {"required": "Say what will be true when this succeeds."},
                "kpi": {"max_length": "Keep the KPI under 200 characters."},
                "baseline": {"invalid": NUMBER_MESSAGE.format("baseline"), **number_messages},
                "target": {"invalid": NUMBER_MESSAGE.format("target"), **number_messages},
                "unit": {"max_length": "Keep the unit short, e.g. %%, pupils, days."},
                "due_date": {"invalid": DATE_MESSAGE.format("date")},
                "due_term": {"invalid_choice": "Choose the term from the list."},
            },
        )

    def clean(self):
        data = super().clean()
        _outside_the_year(self, self.plan, ["due_date"])
        if data.get("due_date") and data.get("due_term"):
            self.add_error("due_term", "Give a date or a term, not both.")
        if data.get("baseline") is not None and data.get("target") is None:
            self.add_error("target", "A baseline needs a target to measure against.")
        return data


class ProgressForm(forms.Form):
    """Progress on an action during the year: its status, and evidence (a note, a link or both)."""

    status = forms.ChoiceField(choices=ActionStatus.choices, label="Status")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Evidence: note",
        help_text="What has happened, what it shows.",
    )
    # Links pasted without a scheme are taken as https.
    link = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="Evidence: link", help_text="Optional."
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["status"].initial = action.status
        _say(
            self,
            {
                "status": {"invalid_choice": "Choose a status from the list."},
                "link": {
                    "invalid": "Enter a web address, e.g. https://example.org/report.",
                    "max_length": "The web address is too long: link to a shorter one.",
                },
            },
        )

    def clean(self):
        data = super().clean()
        unchanged = data.get("status") == self.action.status
        if unchanged and not data.get("note", "").strip() and not data.get("link") and not self.errors:
            raise forms.ValidationError("Change the status, write a note, give a link, or any of these.")
        return data


class PlanCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=PlanKind.choices, label="Plan")
    school = forms.ChoiceField(label="Whose plan")
    academic_year = forms.ModelChoiceField(queryset=AcademicYear.objects.all(), label="Academic year")
    carry_forward = forms.BooleanField(
        required=False,
        initial=True,
        label="Carry forward last year's unfinished actions",
        help_text="Actions not marked complete in last year's plan of the same kind are copied in.",
    )

    def __init__(self, *args, school_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = school_choices
        self.fields["academic_year"].label_from_instance = lambda year: year.label
        _say(
            self,
            {
                "kind": {"required": "Choose the plan.", "invalid_choice": "Choose the plan from the list."},
                "school": {"required": "Choose whose plan it is.", "invalid_choice": "Choose a school from the list."},
                "academic_year": {
                    "required": "Choose the academic year.",
                    "invalid_choice": "Choose a year that has a published pocket guide.",
                },
            },
        )


class StepForm(forms.Form):
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Comment"
    )
