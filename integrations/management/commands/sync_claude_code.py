"""Run a Claude Code sync for one organization in the foreground, with a progress display."""

from django.core.management.base import BaseCommand, CommandError

from integrations.claude_code import services
from integrations.claude_code.progress import STREAM_LABELS
from integrations.models import SyncRun
from koalr.accounts.models import Organization

from .sync_cursor import ProgressPrinter


class ClaudeCodeProgressPrinter(ProgressPrinter):
    @staticmethod
    def line(stream: str, state: dict) -> str:
        text = ProgressPrinter.line(stream, state)
        return STREAM_LABELS.get(stream, stream)[:18].ljust(18) + text[18:]


class Command(BaseCommand):
    help = "Sync an organization's Claude Code data now, in the foreground, and print rows stored."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument(
            "--days", type=int, default=None, help="Days to (re)check (default: CLAUDE_CODE_BACKFILL_DAYS)"
        )

    def handle(self, *args, org, days, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        connection = services.claude_code_connection(organization)
        if connection is None:
            raise CommandError(
                f"Claude Code is not connected for {organization.name}; run connect_claude_code first."
            )
        try:
            run = services.create_foreground_run(connection, days=days)
        except services.SyncNotAllowed as exc:
            raise CommandError(exc.user_message) from None

        from integrations.claude_code.sync import (
            run_claude_code_sync,
        )  # late: loads the client only when syncing

        printer = ClaudeCodeProgressPrinter(self.stdout, self.stdout.isatty())
        self.stdout.write(f"Syncing Claude Code for {organization.name} (run #{run.pk})…")
        run = run_claude_code_sync(run.pk, progress=printer)
        printer.finish()
        run.refresh_from_db()
        self.stdout.write("Rows stored per stream:")
        for stream, rows in run.rows_stored.items():
            self.stdout.write(f"  {STREAM_LABELS.get(stream, stream):<36} {rows:>8}")
        self.stdout.write(f"  {'Total':<36} {sum(run.rows_stored.values()):>8}")
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(run.message or "The sync failed.")
        style = self.style.SUCCESS if run.status == SyncRun.Status.SUCCEEDED else self.style.WARNING
        self.stdout.write(style(f"Sync {run.get_status_display().lower()}. {run.message}".strip()))
