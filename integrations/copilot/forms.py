"""The GitHub Copilot connect / replace-token forms. The token is never rendered back."""

from django import forms

from integrations.forms import DisconnectForm as BaseDisconnectForm

from .services import input_problem


class TokenField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "GitHub token")
        kwargs.setdefault(
            "widget",
            forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        )
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)


class ConnectCopilotForm(forms.Form):
    scope = forms.ChoiceField(
        label="Copilot is billed to",
        choices=[("org", "A GitHub organization"), ("enterprise", "A GitHub enterprise")],
        initial="org",
        widget=forms.RadioSelect,
    )
    slug = forms.CharField(
        label="Organization or enterprise slug",
        max_length=100,
        help_text="As in its GitHub URL: github.com/acme-inc → acme-inc.",
        error_messages={"required": "Enter the organization's or enterprise's slug."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    token = TokenField(
        help_text=(
            "A classic token with manage_billing:copilot and read:org (read:enterprise for an enterprise), "
            "or a fine-grained token with “GitHub Copilot Business” and “Organization Copilot metrics” (read), "
            "created by an owner."
        ),
        error_messages={"required": "Paste a GitHub token."},
    )

    def clean(self):
        data = super().clean()
        if "slug" in data and "token" in data and "scope" in data:
            problem = input_problem(data["token"], data["slug"].strip(), data["scope"])
            if problem:
                field = "token" if "token" in problem.lower() else "slug"
                self.add_error(field, problem)
        return data


class ReplaceTokenForm(forms.Form):
    token = TokenField(
        label="New GitHub token",
        help_text="The current token stays in place unless GitHub accepts the new one.",
        error_messages={"required": "Paste the new GitHub token."},
    )


class DisconnectForm(BaseDisconnectForm):
    history = forms.ChoiceField(
        label="Synced history",
        choices=[
            (BaseDisconnectForm.KEEP, "Keep the synced history (pages keep showing past Copilot data)"),
            (BaseDisconnectForm.DELETE, "Delete all synced Copilot data for this organization"),
        ],
        widget=forms.RadioSelect,
        initial=BaseDisconnectForm.KEEP,
    )
