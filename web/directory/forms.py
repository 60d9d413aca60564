"""Forms of the People and Teams pages. Choices are always scoped to the organization."""

from django import forms

from koalr.accounts.models import Membership
from people.imports import MAX_BYTES
from people.models import Team


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=80, required=False, help_text="Used in links and the API; left empty, made from the name."
    )
    parent = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="— none (top level) —"
    )
    cost_centre = forms.CharField(max_length=80, required=False, label="Cost centre")
    lead = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        empty_label="— no lead —",
        help_text="A Koalr user of the organization; sees per-person figures of this team and its sub-teams.",
    )

    def __init__(self, organization, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Team.objects.filter(organization=organization)
        if team is not None:
            parents = parents.exclude(pk=team.pk)
        self.fields["parent"].queryset = parents.order_by("name")
        self.fields["lead"].queryset = (
            Membership.objects.filter(organization=organization)
            .select_related("user")
            .order_by("user__email")
        )
        self.fields["lead"].label_from_instance = lambda m: f"{m.user.display_name} ({m.user.email})"


class AddMemberForm(forms.Form):
    email = forms.EmailField(
        label="Email of the person", help_text="Any of their addresses; a new one adds a person."
    )
    start = forms.DateField(label="In the team from", widget=forms.DateInput(attrs={"type": "date"}))


class EndMembershipForm(forms.Form):
    end = forms.DateField(label="Last day in the team", widget=forms.DateInput(attrs={"type": "date"}))


class MergeForm(forms.Form):
    into = forms.EmailField(label="Merge into (email of the person to keep)")


class LeftForm(forms.Form):
    left_on = forms.DateField(
        required=False,
        label="Left on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: active.",
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns email,team (required); cost_centre, parent_team, lead_email, github_login (optional).",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        return upload.read()


class ConfirmImportForm(forms.Form):
    """The checked file travels back with the confirmation and is checked again."""

    payload = forms.CharField(widget=forms.HiddenInput, max_length=MAX_BYTES)
