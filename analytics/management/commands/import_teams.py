"""Import teams from a CSV file: `import_teams --org SLUG FILE.csv [--dry-run]`.

Prints the preview (or every bad line) first; applies nothing if any row is invalid.
It lives in analytics because applying rebuilds the team rollups (people/ may not import
analytics).
"""

from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from koalr.accounts.models import Organization
from people import imports

from ...services.teams import apply_team_import


class Command(BaseCommand):
    help = "Import teams from a CSV (email,team[,cost_centre,parent_team,lead_email,github_login])."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug")
        parser.add_argument("file", help="Path of the CSV file (UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; change nothing")

    def handle(self, *args, org, file, dry_run, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {org!r}.")
        try:
            with open(file, "rb") as handle:
                data = handle.read(imports.MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        plan = imports.parse(organization.pk, data)
        for note in plan.notes:
            self.stdout.write(note)
        if plan.errors:
            for line, message in plan.errors:
                self.stderr.write(f"line {line}: {message}" if line else message)
            raise CommandError(f"{len(plan.errors)} error(s): nothing was imported.")
        self.stdout.write(self.preview(plan))
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
            return
        counts = apply_team_import(plan, today=timezone.now().astimezone(UTC).date())
        self.stdout.write(
            self.style.SUCCESS(
                "Imported: {teams_created} teams created, {teams_changed} changed, {people_created} people "
                "created, {memberships_added} team memberships added.".format(**counts)
            )
        )

    @staticmethod
    def preview(plan) -> str:
        lines = [plan.summary() + "."]
        lines += [f"  new team: {t.name}" for t in plan.new_teams]
        lines += [f"  change {t.existing.name}: {'; '.join(c)}" for t, c in plan.changed_teams]
        lines += [f"  new person: {e}" for e in plan.new_people]
        lines += [f"  add {e} to {name}" for e, name in plan.preview_memberships()]
        return "\n".join(lines)
