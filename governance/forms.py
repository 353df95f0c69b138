from django import forms

from schools.models import School

from . import branding
from .models import SCHOOL_ROLES, Role, User

# Plain messages instead of Django's defaults, for the error summary at the top of the form.
PERSON_MESSAGES = {
    "full_name": {
        "required": "Give the person's full name.",
        "max_length": "The name is too long: give the name people know them by.",
    },
    "email": {
        "required": "Give the person's e-mail address: they sign in with it.",
        "invalid": "Enter an e-mail address like name@school.org.uk.",
        "unique": "A person with this e-mail address already exists: find them under People.",
    },
}


class EmailLowercaseMixin:
    def clean_email(self):
        # Addresses are stored in lower case, so uniqueness is checked the same way.
        return self.cleaned_data["email"].strip().lower()


class PersonForm(EmailLowercaseMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "email"]
        labels = {"full_name": "Full name", "email": "E-mail address"}
        error_messages = PERSON_MESSAGES


class PersonEditForm(EmailLowercaseMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "email", "is_active"]
        labels = {"full_name": "Full name", "email": "E-mail address", "is_active": "Can sign in"}
        error_messages = PERSON_MESSAGES


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(
        choices=[("", "Choose a role"), *Role.choices],
        error_messages={"required": "Choose the role.", "invalid_choice": "Choose a role from the list."},
    )
    school = forms.ModelChoiceField(
        queryset=School.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose one of the trust's schools from the list."},
        help_text="Needed for school roles (local governor, headteacher, leaders, staff); left empty for trust roles.",
    )
    is_chair = forms.BooleanField(required=False, label="Chair of the LGC")
    is_link_governor = forms.BooleanField(required=False, label="Link governor")
    link_area = forms.CharField(required=False, max_length=200, label="Link area", help_text="e.g. SEND, safeguarding")

    def __init__(self, *args, trust, offered_roles: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.filter(trust=trust)
        if offered_roles is not None:
            # Only what the manager may grant is offered; a role posted by hand is refused by the service.
            self.fields["role"].choices = [("", "Choose a role")] + [
                (v, label) for v, label in Role.choices if v in offered_roles
            ]

    def clean(self):
        data = super().clean()
        role, school = data.get("role"), data.get("school")
        if role in SCHOOL_ROLES and school is None:
            self.add_error("school", f"A {Role(role).label.lower()} belongs to one school: choose it.")
        if role and role not in SCHOOL_ROLES and school is not None:
            self.add_error("school", f"A {Role(role).label} works for the whole trust: leave the school empty.")
        if role != Role.LOCAL_GOVERNOR and (data.get("is_chair") or data.get("is_link_governor")):
            self.add_error("role", "Only a local governor can be chair or link governor.")
        return data


class RoleRemoveForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Reason (kept in the history)")


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="One row per role: name, email, school (URN or name; empty for trust roles), role, "
        "and optionally chair (yes) and link area.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        from .onboarding import MAX_BYTES, UnreadableText, read_text

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files."
            )
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Choose a .csv file (in Excel: File > Save As > CSV UTF-8).")
        data = upload.read()
        if b"\x00" in data:
            raise forms.ValidationError("This is not a CSV text file (is it an Excel workbook?): save it as CSV UTF-8.")
        try:
            text, self.cleaned_data["encoding"] = read_text(data)
        except UnreadableText as exc:
            raise forms.ValidationError(str(exc)) from None
        self.cleaned_data["file_name"] = upload.name
        return text


class BrandingForm(forms.Form):
    """The trust's colours and logo; governance.branding decides what is readable enough."""

    colour = forms.CharField(
        label="Main colour",
        max_length=20,
        help_text="Headings and table headers in the PDFs, with white text on it. As # and six "
        "hexadecimal digits, like #1d3557; white text on it needs a contrast of at least 4.5:1.",
        error_messages={"required": "Give the main colour, like #1d3557."},
    )
    accent_colour = forms.CharField(
        label="Accent colour",
        max_length=20,
        help_text="Strand names and rules in the PDFs, on white. Like #0f5e63; at least 4.5:1 against white.",
        error_messages={"required": "Give the accent colour, like #0f5e63."},
    )
    logo = forms.FileField(
        label="New logo (optional)",
        required=False,
        help_text="PNG, JPEG or SVG, at most 1 MB. Leave empty to keep the logo you have.",
        widget=forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,.svg,image/png,image/jpeg,image/svg+xml"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    def __init__(self, *args, has_logo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("colour", "accent_colour"):
            self.fields[name].widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})
        if not has_logo:
            del self.fields["remove_logo"]

    def clean_colour(self):
        colour = branding.normalise_hex(self.cleaned_data["colour"])
        branding.check_main_colour(colour)
        return colour

    def clean_accent_colour(self):
        colour = branding.normalise_hex(self.cleaned_data["accent_colour"])
        branding.check_accent_colour(colour)
        return colour

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo:
            branding.check_logo(logo)
        return logo or None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error("remove_logo", "Choose a new logo or remove the logo, not both.")
        return cleaned
