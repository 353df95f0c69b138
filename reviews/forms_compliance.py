"""Forms for the monthly compliance checks: one form for a school's month (an outcome and notes
per area), and the areas the trust checks. Every message names the area and says what to do."""

from __future__ import annotations

from django import forms

from .compliance import CheckRow, row_problems
from .models import ComplianceArea, ComplianceCheck


class ChecksForm(forms.Form):
    """A school's month: for each active area an outcome (Met / Met with actions / Not met) and
    notes. An area left without an outcome is not recorded yet (the month may be done in several
    sittings); one with notes but no outcome is a mistake and is refused, as is an outcome short
    of Met without notes (reviews.compliance.row_problems)."""

    def __init__(self, *args, areas: list[ComplianceArea], checks: dict[int, ComplianceCheck], **kwargs):
        initial = {}
        for area_id, check in checks.items():
            initial[f"outcome_{area_id}"] = check.outcome
            initial[f"notes_{area_id}"] = check.notes
        super().__init__(*args, initial=initial, **kwargs)
        self.areas = areas
        self.checks = checks
        for area in areas:
            self.fields[f"outcome_{area.pk}"] = forms.ChoiceField(
                label=f"Outcome for {area.name}",
                choices=ComplianceCheck.Outcome.choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"invalid_choice": f"Choose Met, Met with actions or Not met for {area.name}."},
            )
            self.fields[f"notes_{area.pk}"] = forms.CharField(
                label=f"Notes on {area.name}",
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text="Needed when the outcome is Met with actions or Not met: what is being done, by whom.",
            )

    def clean(self):
        data = super().clean()
        for area in self.areas:
            outcome = data.get(f"outcome_{area.pk}") or ""
            notes = data.get(f"notes_{area.pk}") or ""
            if self.has_error(f"outcome_{area.pk}"):
                continue
            if not outcome and area.pk in self.checks:
                # radio buttons cannot be cleared in a browser: an area already recorded keeps its outcome
                # unless another is chosen, and its notes are checked against that outcome
                outcome = self.checks[area.pk].outcome
                data[f"outcome_{area.pk}"] = outcome
            for field, message in row_problems(area, outcome, notes):
                self.add_error(f"{field}_{area.pk}", message)
        return data

    def rows(self) -> list[CheckRow]:
        """The areas with an outcome, for reviews.compliance.record_checks."""
        return [
            CheckRow(area, outcome, self.cleaned_data.get(f"notes_{area.pk}") or "")
            for area in self.areas
            if (outcome := self.cleaned_data.get(f"outcome_{area.pk}"))
        ]

    def parts(self):
        """(area, outcome field, notes field, check) per area, for the template."""
        return [(a, self[f"outcome_{a.pk}"], self[f"notes_{a.pk}"], self.checks.get(a.pk)) for a in self.areas]

    def error_links(self) -> list[tuple[str, str]]:
        """(element id, message) for the error summary: a radio group's link goes to its first button."""
        links = []
        for area in self.areas:
            for name in (f"outcome_{area.pk}", f"notes_{area.pk}"):
                target = f"id_{name}_0" if name.startswith("outcome") else f"id_{name}"
                links += [(target, str(e)) for e in self.errors.get(name, [])]
        return links


class AreaForm(forms.ModelForm):
    class Meta:
        model = ComplianceArea
        fields = ["name", "order", "is_active"]
        labels = {"name": "Name", "order": "Order on the page", "is_active": "Checked each month"}
        help_texts = {
            "order": "Lower numbers come first.",
            "is_active": "Untick when schools no longer check it; its past checks stay.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = "Give the area a name, e.g. Safeguarding."
        self.fields["order"].error_messages.update(
            {
                "required": "Give the area's place on the page as a number, e.g. 3.",
                "invalid": "Give the order as a whole number, e.g. 3.",
            }
        )
        self.fields["name"].widget.attrs["class"] = "form-control"
        self.fields["order"].widget.attrs.update({"class": "form-control", "min": 0})
        self.fields["is_active"].widget.attrs["class"] = "form-check-input"


class BaseAreaFormSet(forms.BaseModelFormSet):
    def clean(self):
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            name = " ".join((form.cleaned_data.get("name") or "").split())
            if not name:
                continue
            key = name.casefold()
            if key in seen:
                form.add_error("name", f"There is already an area called {seen[key]}: give this one another name.")
            else:
                seen[key] = name


AreaFormSet = forms.modelformset_factory(
    ComplianceArea, form=AreaForm, formset=BaseAreaFormSet, extra=1, can_delete=False
)
