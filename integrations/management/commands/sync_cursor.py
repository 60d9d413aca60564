"""Run a Cursor sync for one organization in the foreground, with a progress display."""

from django.core.management.base import BaseCommand, CommandError

from integrations import selectors, services
from integrations.cursor.errors import CursorError
from integrations.models import SyncRun
from koalr.accounts.models import Organization

BAR_WIDTH = 24


class ProgressPrinter:
    """Draws one text bar per stream.

    On a terminal the current stream's line is redrawn in place with \\r; otherwise (logs,
    pipes, CI) each change is printed as its own line, and repeated lines are skipped.
    Accepts the sync engine's callback in any of its shapes: a SyncRun, the whole progress
    dict, or (stream, state).
    """

    def __init__(self, out, is_tty: bool):
        self.out = out
        self.is_tty = is_tty
        self.state: dict[str, dict] = {}
        self.last_lines: dict[str, str] = {}
        self.current: str | None = None

    def __call__(self, *args, **kwargs):
        self.update(self._progress_from(args, kwargs))

    @staticmethod
    def _progress_from(args, kwargs) -> dict:
        if args and isinstance(getattr(args[0], "progress", None), dict):
            return args[0].progress
        if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], dict):
            return {args[0]: args[1]}
        if args and isinstance(args[0], dict):
            return args[0]
        if "stream" in kwargs:
            return {kwargs["stream"]: {k: v for k, v in kwargs.items() if k != "stream"}}
        return kwargs.get("progress") or {}

    def update(self, progress: dict):
        for stream, state in progress.items():
            if not isinstance(state, dict) or state.get("status") == "pending":
                continue  # streams not started yet add nothing but noise
            merged = {**self.state.get(stream, {}), **state}
            self.state[stream] = merged
            line = self.line(stream, merged)
            if self.last_lines.get(stream) == line:
                continue
            self.last_lines[stream] = line
            if self.is_tty:
                if self.current not in (None, stream):
                    self.out.write("\n")  # leave the previous stream's final line in place
                self.out.write("\r" + line.ljust(78), ending="")
                self.current = stream
            else:
                self.out.write(line)
            self.out.flush()

    def finish(self):
        if self.is_tty and self.current is not None:
            self.out.write("")
            self.current = None

    @staticmethod
    def line(stream: str, state: dict) -> str:
        label = selectors.STREAM_LABELS.get(stream, stream)
        done, total = int(state.get("done") or 0), int(state.get("total") or 0)
        rows = int(state.get("rows") or 0)
        status = state.get("status") or ""
        if total:
            filled = int(BAR_WIDTH * min(done, total) / total)
            bar = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {int(100 * min(done, total) / total):3d}%"
        else:
            bar = f"[{'#' * BAR_WIDTH if status == 'done' else '.' * BAR_WIDTH}]     "
        note = f"  {state['note']}" if state.get("note") else ""
        return f"{label:<18} {bar}  {rows:>7} rows  {status}{note}"


class Command(BaseCommand):
    help = "Sync an organization's Cursor data now, in the foreground, and print rows stored per stream."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument(
            "--days", type=int, default=None, help="Days to (re)fetch (default: the engine's)"
        )

    def handle(self, *args, org, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        organization = Organization.objects.filter(slug=org).first()
        connection = selectors.cursor_connection(organization) if organization else None
        if connection is None:
            raise CommandError(f"Cursor is not connected for an organization with slug {org!r}.")
        try:
            run = services.create_foreground_run(connection, days=days)
        except services.SyncNotAllowed as exc:
            raise CommandError(exc.user_message) from None

        from integrations.cursor.sync import run_sync  # late: loads the client only when syncing

        printer = ProgressPrinter(self.stdout, self.stdout.isatty())
        self.stdout.write(f"Syncing Cursor for {organization.name} (run #{run.pk})…")
        try:
            run = run_sync(run.pk, days=days, progress=printer)
        except CursorError as exc:  # the engine normally records failures on the run itself
            printer.finish()
            raise CommandError(exc.user_message) from None
        printer.finish()
        run.refresh_from_db()

        self.stdout.write("Rows stored per stream:")
        for stream, rows in run.rows_stored.items():
            self.stdout.write(f"  {selectors.STREAM_LABELS.get(stream, stream):<18} {rows:>8}")
        self.stdout.write(f"  {'Total':<18} {sum(run.rows_stored.values()):>8}")
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(run.message or "The sync failed.")
        style = self.style.SUCCESS if run.status == SyncRun.Status.SUCCEEDED else self.style.WARNING
        self.stdout.write(style(f"Sync {run.get_status_display().lower()}. {run.message}".strip()))
