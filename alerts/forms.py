"""Forms of the alerts pages. Bad input answers with a message and keeps what was typed
(secrets excepted: they are never rendered back)."""

import ipaddress
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from people.models import Person, Team

from .models import DEFAULT_THRESHOLDS, Alert, Budget, Channel


class BudgetForm(forms.Form):
    scope = forms.ChoiceField(choices=Budget.Scope.choices, initial=Budget.Scope.ORGANIZATION)
    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, empty_label="—")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="—")
    period = forms.ChoiceField(choices=Budget.Period.choices, initial=Budget.Period.CYCLE)
    amount = forms.CharField(label="Amount (USD)", max_length=14, help_text="e.g. 2500 or 2500.50")
    thresholds = forms.CharField(
        label="Alert at (% of the amount)",
        initial=", ".join(str(t) for t in DEFAULT_THRESHOLDS),
        max_length=60,
        help_text="Comma-separated percentages, each alerting once per period.",
    )
    alert_on_projection = forms.BooleanField(
        label="Also alert when projected to exceed", required=False, initial=True
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        # Only this organization's people can be chosen (tenancy in the WHERE clause).
        self.fields["person"].queryset = Person.objects.filter(organization=organization).order_by(
            "name", "primary_email"
        )
        self.fields["team"].queryset = Team.objects.filter(organization=organization).order_by("name")

    def clean_amount(self):
        raw = self.cleaned_data["amount"].replace(",", "").replace("$", "").strip()
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError("Enter an amount in dollars, like 2500.") from None
        if not value.is_finite() or value <= 0 or value > Decimal("100000000"):
            raise forms.ValidationError("Enter an amount between $0.01 and $100,000,000.")
        return int((value * 100).to_integral_value())

    def clean_thresholds(self):
        raw = self.cleaned_data["thresholds"]
        values = set()
        for part in raw.replace("%", "").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 500:
                raise forms.ValidationError("Use whole percentages between 1 and 500, separated by commas.")
            values.add(int(part))
        if not values or len(values) > 10:
            raise forms.ValidationError("Give between one and ten percentages.")
        return sorted(values)

    def clean(self):
        data = super().clean()
        if data.get("scope") == Budget.Scope.PERSON and not data.get("person"):
            self.add_error("person", "Choose the person this budget is for.")
        if data.get("scope") == Budget.Scope.TEAM and not data.get("team"):
            self.add_error("team", "Choose the team this budget is for.")
        if data.get("scope") != Budget.Scope.PERSON:
            data["person"] = None
        if data.get("scope") != Budget.Scope.TEAM:
            data["team"] = None
        return data


def _internal(host: str) -> bool:
    """A literal private, loopback or link-local address, or localhost: never a webhook target
    (server-side request forgery). Names resolving to such addresses are not caught here."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=Channel.Kind.choices)
    name = forms.CharField(max_length=100)
    url = forms.CharField(
        label="Webhook URL",
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False),
        help_text="Slack: the incoming-webhook URL. Stored encrypted; never shown again.",
    )
    secret = forms.CharField(
        label="Signing secret",
        required=False,
        min_length=16,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="Signed webhooks only: at least 16 characters; see docs/webhooks.md.",
    )
    include_person_details = forms.BooleanField(
        label="Name people and their amounts in messages",
        required=False,
        help_text="Only for a channel that owners and admins alone can read. Email always does.",
    )

    def clean(self):
        data = super().clean()
        kind, url = data.get("kind"), (data.get("url") or "").strip()
        if kind in (Channel.Kind.SLACK, Channel.Kind.WEBHOOK):
            parts = urlsplit(url)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                self.add_error("url", "Enter the full URL, starting with https://.")
            elif kind == Channel.Kind.SLACK and parts.scheme != "https":
                self.add_error("url", "Slack webhook URLs start with https://.")
            elif _internal(parts.hostname) and not settings.ALERTS_ALLOW_PRIVATE_URLS:
                self.add_error("url", "Use a public address: Koalr does not call private or local networks.")
            data["url"] = url
        if kind == Channel.Kind.WEBHOOK and not data.get("secret") and "secret" not in self.errors:
            self.add_error("secret", "A signed webhook needs a signing secret.")
        return data


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Open and acknowledged"), *Alert.Status.choices, ("all", "All")], required=False
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Alert.Kind.choices], required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="Any team")
    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, empty_label="Anyone")

    def __init__(self, *args, organization, access=None, **kwargs):
        """`access` (a lead's `PersonAccess`) narrows the choices to their teams and people."""
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(organization=organization)
        teams = Team.objects.filter(organization=organization)
        if access is not None and not access.everyone:
            people = people.filter(pk__in=access.person_ids - access.own_ids)
            teams = teams.filter(pk__in=access.led_team_ids)
        self.fields["person"].queryset = people.order_by("name", "primary_email")
        self.fields["team"].queryset = teams.order_by("name")


class AcknowledgeForm(forms.Form):
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
