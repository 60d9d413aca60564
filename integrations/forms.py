from django import forms

from .key_check import MAX_KEY_LENGTH
from .services import key_format_problem


class ApiKeyField(forms.CharField):
    """A password input that is never rendered back with its value."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "API key")
        kwargs.setdefault(
            "widget",
            forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}
            ),
        )
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        # The browser refuses to take more; the server check is key_format_problem's message.
        self.widget.attrs["maxlength"] = MAX_KEY_LENGTH

    def validate(self, value):
        super().validate(value)
        if problem := key_format_problem(value):
            raise forms.ValidationError(problem)


class ConnectCursorForm(forms.Form):
    api_key = ApiKeyField(
        help_text="An Admin API key with the admin scope, from Cursor's dashboard → API Keys.",
        error_messages={"required": "Paste your Cursor Admin API key."},
    )
    team_id = forms.CharField(
        label="Cursor team id (optional)",
        max_length=64,
        required=False,
        help_text="Optional. Cursor finds the team from the key; this helps you recognise it.",
    )


class ReplaceKeyForm(ConnectCursorForm):
    api_key = ApiKeyField(
        label="New API key",
        help_text="The current key stays in place unless Cursor accepts the new one.",
        error_messages={"required": "Paste the new Cursor Admin API key."},
    )


class DisconnectForm(forms.Form):
    KEEP, DELETE = "keep", "delete"
    history = forms.ChoiceField(
        label="Synced history",
        choices=[
            (KEEP, "Keep the synced history (the dashboard keeps showing past data)"),
            (DELETE, "Delete all synced Cursor data for this organization"),
        ],
        widget=forms.RadioSelect,
        initial=KEEP,
    )

    @property
    def keep_history(self) -> bool:
        return self.cleaned_data["history"] == self.KEEP
