from django import forms

MIN_KEY_LENGTH = 20  # real keys are a prefix plus 64 characters; this only catches paste slips


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

    def validate(self, value):
        super().validate(value)
        # Messages never echo the value: it is a secret even when it is wrong.
        if any(ch.isspace() for ch in value):
            raise forms.ValidationError("An API key has no spaces inside. Copy it again from Cursor.")
        if len(value) < MIN_KEY_LENGTH:
            raise forms.ValidationError(
                "That is too short to be a Cursor API key. Copy it again from Cursor."
            )


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
