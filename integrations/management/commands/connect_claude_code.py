"""Connect an organization to Claude Code from the command line, validated like the UI."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from integrations.claude_code import services
from integrations.claude_code.client import SOURCES
from integrations.key_check import IntegrationError
from koalr.accounts.models import Organization


class Command(BaseCommand):
    help = (
        "Validate an Anthropic key (Console Admin key or Enterprise Analytics key) and connect Claude Code."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Koalr organization slug")
        parser.add_argument(
            "--source",
            choices=SOURCES,
            default="console",
            help="console (Admin API key) or enterprise (Analytics API key)",
        )
        parser.add_argument("--api-key", required=True, help="The key, or '-' to read it from stdin")
        parser.add_argument("--base-url", default="", help="Anthropic API base URL (default: settings)")
        parser.add_argument(
            "--no-sync", action="store_true", help="Do not start the backfill after connecting"
        )

    def handle(self, *args, org, source, api_key, base_url, no_sync, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        if base_url:
            try:
                URLValidator(schemes=["http", "https"])(base_url)
            except ValidationError:
                raise CommandError(f"--base-url {base_url!r} is not an http(s) URL.") from None
        if api_key == "-":  # keeps the key out of shell history
            api_key = sys.stdin.readline()
        try:
            result = services.connect_claude_code(
                organization, None, api_key, source=source, base_url=base_url, start_backfill=not no_sync
            )
        except IntegrationError as exc:
            raise CommandError(" ".join(filter(None, [exc.user_message, exc.hint]))) from None
        connection = result.connection
        self.stdout.write(
            self.style.SUCCESS(
                f"Connected Claude Code ({services.SOURCE_LABELS[source]}) for {organization.name} "
                f"(key ••••{connection.api_key_last4})."
            )
        )
        if result.sync_run is not None:
            self.stdout.write(f"Backfill enqueued as sync run #{result.sync_run.pk}.")
        else:
            self.stdout.write(f"No sync enqueued; run `manage.py sync_claude_code --org {org}` to sync now.")
