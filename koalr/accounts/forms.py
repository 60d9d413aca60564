"""Input parsing for the accounts pages. Business rules live in services.py."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import MaxLengthValidator

from .models import Membership, Organization, User

# The column's length: a longer address gets a form error, never a database error.
EMAIL_MAX = User._meta.get_field("email").max_length


class LoginForm(AuthenticationForm):
    """Django's log-in form with one message for every failure (unknown email, wrong password,
    inactive account), so the page never tells which it was."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check them, or reset your password.",
        "inactive": "That email and password do not match an account. Check them, or reset your password.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django sets max_length on the field after building it, so nothing checks it: a
        # megabyte "email" then reached authenticate(). Check it, and skip authenticate.
        self.fields["username"].validators.append(MaxLengthValidator(EMAIL_MAX))


class BoundedPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email", max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


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

    email = forms.EmailField(
        label="Work email", max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    organization_name = forms.CharField(
        label="Organization name",
        max_length=Organization._meta.get_field("name").max_length,
        help_text="Usually your company or team. You can invite colleagues next.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class AcceptInviteForm(NewAccountForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = "Choose a password"


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = roles


class OrganizationForm(forms.Form):
    name = forms.CharField(
        label="Organization name",
        max_length=Organization._meta.get_field("name").max_length,
        help_text="Usually your company or team.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


def apply_service_error(form, error):
    """Show an AccountsError on its field when the form has one, else above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
