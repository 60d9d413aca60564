"""Input parsing for the accounts pages. Business rules live in services.py."""

from django import forms
from django.contrib.auth import password_validation

from .models import Membership


class NewAccountForm(forms.Form):
    """The fields a person fills in to get an account: name and a new password."""

    first_name = forms.CharField(
        label="First name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )


class SignupForm(NewAccountForm):
    field_order = ["email", "first_name", "last_name", "password", "organization_name"]

    email = forms.EmailField(label="Work email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    organization_name = forms.CharField(
        label="Organization name",
        max_length=120,
        help_text="Usually your company or team. You can invite colleagues next.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class AcceptInviteForm(NewAccountForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = "Choose a password"


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = roles


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


def apply_service_error(form, error):
    """Show an AccountsError on its field when the form has one, else above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
