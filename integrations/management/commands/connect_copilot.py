"""Connect an organization to GitHub Copilot from the command line, validated like the UI."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from integrations.copilot import services
from integrations.key_check import IntegrationError
from koalr.accounts.models import Organization


class Command(BaseCommand):
    help = "Validate a GitHub token for an organization's (or enterprise's) Copilot and connect it."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Koalr organization slug")
        parser.add_argument("--github-org", default="", help="GitHub organization slug")
        parser.add_argument(
            "--enterprise", default="", help="GitHub enterprise slug (instead of --github-org)"
        )
        parser.add_argument("--token", required=True, help="GitHub token, or '-' to read it from stdin")
        parser.add_argument("--base-url", default="", help="GitHub API base URL (default: settings)")
        parser.add_argument(
            "--no-sync", action="store_true", help="Do not start the backfill after connecting"
        )

    def handle(self, *args, org, github_org, enterprise, token, base_url, no_sync, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        if bool(github_org) == bool(enterprise):
            raise CommandError("Give exactly one of --github-org and --enterprise.")
        if base_url:
            try:
                URLValidator(schemes=["http", "https"])(base_url)
            except ValidationError:
                raise CommandError(f"--base-url {base_url!r} is not an http(s) URL.") from None
        if token == "-":  # noqa: S105  # nosec B105: "-" means read from stdin (keeps the token out of shell history)
            token = sys.stdin.readline()
        scope, slug = ("org", github_org) if github_org else ("enterprise", enterprise)
        try:
            result = services.connect_copilot(
                organization,
                None,
                token,
                scope=scope,
                slug=slug,
                base_url=base_url,
                start_backfill=not no_sync,
            )
        except IntegrationError as exc:
            raise CommandError(" ".join(filter(None, [exc.user_message, exc.hint]))) from None
        connection = result.connection
        caps = connection.capabilities or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"Connected GitHub Copilot ({scope} {slug}) for {organization.name} "
                f"(token ••••{connection.api_key_last4}): {caps.get('seat_count', 0)} seats, "
                f"latest report {caps.get('latest_report_day') or 'none yet'}."
            )
        )
        if result.note:
            self.stdout.write(self.style.WARNING(result.note))
        if result.sync_run is not None:
            self.stdout.write(f"Backfill enqueued as sync run #{result.sync_run.pk}.")
        else:
            self.stdout.write(f"No sync enqueued; run `manage.py sync_copilot --org {org}` to sync now.")
