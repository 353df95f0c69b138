"""Forms for writing development plans. Each names its fields: a person can set only these."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from governance.models import TRUST_ROLES

from .models import AcademicYear, Action, ActionStatus, PlanKind, Priority, SuccessCriterion

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedForm(forms.ModelForm):
    """Carries the version of the item the person opened, so a stale save is caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class PriorityForm(VersionedForm):
    class Meta:
        model = Priority
        fields = ["title", "description"]
        labels = {"title": "Priority", "description": "What it means for us"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


def people_for(plan):
    """Who may lead an action: people with a role at the plan's school, or trust-wide people."""
    people = get_user_model().objects.filter(is_active=True)
    if plan.school_id:
        scope = Q(roles__school=plan.school_id) | Q(roles__role__in=sorted(TRUST_ROLES))
    else:
        scope = Q(roles__role__in=sorted(TRUST_ROLES)) | Q(roles__school__trust=plan.trust_id)
    return people.filter(scope).distinct().order_by("full_name")


class ActionForm(VersionedForm):
    class Meta:
        model = Action
        fields = [
            "what",
            "lead",
            "status",
            "start_date",
            "start_term",
            "due_date",
            "due_term",
            "resources",
            "cost",
        ]
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
        self.fields["lead"].queryset = people_for(plan)
        self.fields["lead"].help_text = "The person responsible."

    def clean(self):
        data = super().clean()
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
        fields = ["text", "kpi", "baseline", "target", "unit", "due_date", "due_term"]
        labels = {"text": "Success criterion", "due_date": "By (date)", "due_term": "or by (term)"}
        help_texts = {
            "text": "What will be true when this succeeds, e.g. “85% of pupils reach the expected standard”.",
            "baseline": "Where you start, if it is a number.",
            "target": "Where you aim to be, if it is a number.",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 2}), "due_date": DATE}

    def clean(self):
        data = super().clean()
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


class StepForm(forms.Form):
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Comment"
    )
