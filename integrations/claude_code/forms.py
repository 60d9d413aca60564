"""The Claude Code connect / replace-key forms. The key is never rendered back."""

from django import forms

from integrations.forms import DisconnectForm as BaseDisconnectForm

from .client import CONSOLE, ENTERPRISE
from .services import input_problem

SOURCE_CHOICES = [
    (CONSOLE, "A Claude Console organization (Admin API key, sk-ant-admin01-…)"),
    (ENTERPRISE, "Claude Enterprise (an Analytics API key; only the Primary Owner can create one)"),
]


class KeyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "API key")
        kwargs.setdefault(
            "widget",
            forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        )
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)


class ConnectClaudeCodeForm(forms.Form):
    source = forms.ChoiceField(
        label="Where your Claude Code usage is",
        choices=SOURCE_CHOICES,
        initial=CONSOLE,
        widget=forms.RadioSelect,
    )
    api_key = KeyField(
        help_text=(
            "Console: an Admin API key, created by a member with the admin role under Console → Settings → "
            "Admin keys. Claude Enterprise: an Analytics API key with the read:analytics scope — only the "
            "organization's Primary Owner can create it, under claude.ai → Organization settings → API."
        ),
        error_messages={"required": "Paste the API key."},
    )

    def clean(self):
        data = super().clean()
        if "source" in data and "api_key" in data:
            if problem := input_problem(data["source"], data["api_key"]):
                self.add_error("api_key", problem)
        return data


class ReplaceKeyForm(forms.Form):
    api_key = KeyField(
        label="New API key",
        help_text="The current key stays in place unless Anthropic accepts the new one.",
        error_messages={"required": "Paste the new API key."},
    )

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if "api_key" in data and (problem := input_problem(self.source, data["api_key"])):
            self.add_error("api_key", problem)
        return data


class DisconnectForm(BaseDisconnectForm):
    history = forms.ChoiceField(
        label="Synced history",
        choices=[
            (BaseDisconnectForm.KEEP, "Keep the synced history (pages keep showing past Claude Code data)"),
            (BaseDisconnectForm.DELETE, "Delete all synced Claude Code data for this organization"),
        ],
        widget=forms.RadioSelect,
        initial=BaseDisconnectForm.KEEP,
    )
