from django import forms


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        required=False,
        label="Name",
        help_text="What the token is for, e.g. “Looker nightly export”.",
        widget=forms.TextInput(attrs={"aria-describedby": "id_name-help", "autocomplete": "off"}),
    )
