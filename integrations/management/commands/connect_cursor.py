"""Connect an organization to Cursor from the command line, validated exactly like the UI."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from integrations import selectors, services
from koalr.accounts.models import Organization


class Command(BaseCommand):
    help = "Validate a Cursor Admin API key with Cursor and connect it to an organization."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument(
            "--api-key", required=True, help="Cursor Admin API key, or '-' to read it from stdin"
        )
        parser.add_argument("--team-id", default="", help="Cursor team id (optional)")
        parser.add_argument("--base-url", default="", help="Cursor API base URL (default: settings)")
        parser.add_argument(
            "--no-sync", action="store_true", help="Do not enqueue the 30-day backfill after connecting"
        )

    def handle(self, *args, org, api_key, team_id, base_url, no_sync, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        if base_url:
            try:
                URLValidator(schemes=["http", "https"])(base_url)
            except ValidationError:
                raise CommandError(f"--base-url {base_url!r} is not an http(s) URL.") from None
        if api_key == "-":  # keeps the key out of shell history and `ps`
            api_key = sys.stdin.readline()
        try:
            result = services.connect_cursor(
                organization, None, api_key, team_id=team_id, base_url=base_url, start_backfill=not no_sync
            )
        except services.IntegrationError as exc:
            raise CommandError(" ".join(filter(None, [exc.user_message, exc.hint]))) from None

        connection = result.connection
        self.stdout.write(
            self.style.SUCCESS(
                f"Connected Cursor for {organization.name} (key ••••{connection.api_key_last4})."
            )
        )
        for cap in selectors.capabilities_of(connection):
            mark = "yes" if cap.available else f"no ({cap.missing_note or 'not available'})"
            self.stdout.write(f"  {cap.label}: {mark}")
        if result.enterprise_note:
            self.stdout.write(self.style.WARNING(result.enterprise_note))
        if result.sync_run is not None:
            self.stdout.write(f"Backfill enqueued as sync run #{result.sync_run.pk}.")
        else:
            self.stdout.write(f"No sync enqueued; run `manage.py sync_cursor --org {org}` to sync now.")
