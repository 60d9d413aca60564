"""`make demo`: the whole product on one machine, with a simulated Cursor team.

Migrates, starts the Cursor simulator in-process (50 seats, Enterprise plan, 60 days of
history), creates a demo organization with an owner and a member, connects Cursor through
the same service as the Settings page, runs the backfill with a progress bar, then serves
the app until Ctrl-C (which also stops the simulator). A second run reuses the database,
the organization and the connection, and only syncs what is new.
"""

import logging
import socket
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection as db_connection

from integrations import services as integration_services
from integrations.key_check import IntegrationError
from integrations.models import Connection, Provider
from koalr.accounts.models import Membership, Organization, User
from koalr.accounts.services import create_organization_with_owner
from simulators.claude_code import ClaudeCodeSimulator
from simulators.copilot import CopilotSimulator
from simulators.cursor import CursorSimulator

from ...demo_teams import ensure_demo_teams

DEMO_SLUG = "demo"
DEMO_ORG_NAME = "Demo Robotics"
OWNER_EMAIL = "owner@demo.koalr.test"
# Demo-only credentials, printed for the newcomer; never used outside `make demo`.
OWNER_PASSWORD = "demo-owner-2026"  # noqa: S105  # nosec B105  # demo-only, printed on purpose
MEMBER_PASSWORD = "demo-member-2026"  # noqa: S105  # nosec B105  # demo-only, printed on purpose
# A simulator key (the simulator accepts any key it was given); a fixed one lets a second
# run reuse the stored connection.
DEMO_API_KEY = "crsr_" + "demo0koalr0simulator0key0" * 2 + "0123456789abcd"
# GitHub Copilot beside Cursor: a simulated organization whose seats overlap Cursor's people.
DEMO_COPILOT_ORG = "demo-robotics"
DEMO_COPILOT_TOKEN = "ghp_" + "demoKoalrCopilot" * 2 + "0123"  # noqa: S105
# Claude Code beside them: a simulated Console organization sharing the Cursor team's people.
DEMO_CLAUDE_CODE_KEY = "sk-ant-admin01-" + "demoKoalrClaudeCode" * 3  # noqa: S105


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = "Run Koalr with a simulated Cursor team and demo data (used by `make demo`)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help="Port for the web app")
        parser.add_argument("--sim-port", type=int, default=8765, help="Port for the Cursor simulator")
        parser.add_argument("--seats", type=int, default=50)
        parser.add_argument("--days", type=int, default=60, help="Days of simulated history")
        parser.add_argument("--no-serve", action="store_true", help="Set up and sync, then exit")

    def handle(self, *args, host, port, sim_port, seats, days, no_serve, **options):
        if not no_serve and not port_is_free(host, port):
            raise CommandError(f"Port {port} is busy: stop what runs there or pass --port.")
        self.step(f"Database: {db_connection.vendor} ({settings.DATABASES['default']['NAME']})")
        call_command("migrate", interactive=False, verbosity=0)

        # The local simulator enforces no quota, so neither side paces requests: the backfill
        # takes seconds instead of the minutes Cursor's real limits impose (docs/cursor-api.md §1.3).
        settings.CURSOR_RATE_LIMITS = False
        sim = CursorSimulator(rate_limits=False)
        team = sim.add_team(api_key=DEMO_API_KEY, seats=seats, days=days, seed=1, plan="enterprise")
        if not port_is_free("127.0.0.1", sim_port):
            sim_port = 0  # another demo or simulator holds it: take any free port
        base_url = sim.start(host="127.0.0.1", port=sim_port)
        self.step(
            f"Cursor simulator: {base_url} ({seats} seats, {days} days, Enterprise plan, no rate limits)"
        )
        try:
            org, owner, member = self.ensure_people(team)
            first_sync = self.ensure_connection(org, owner, base_url)
            self.step("Syncing Cursor usage" + (f" (backfill of {days} days)" if first_sync else ""))
            # One log line per Cursor call is right for workers, noise under a progress bar.
            logging.getLogger("integrations.cursor").setLevel(logging.WARNING)
            call_command("sync_cursor", org=org.slug, days=days if first_sync else None, stdout=self.stdout)
            self.start_copilot(org, owner, team, seats, days)
            self.start_claude_code(org, owner, seats, days)
            self.ensure_alerts(org, owner)
            if ensure_demo_teams(org, owner=owner, lead=member):  # devtools/demo_teams.py
                self.step("Created demo teams (Engineering, Go-to-market and their sub-teams)")
            self.print_credentials(host, port, member)
            if not no_serve:
                call_command("runserver", f"{host}:{port}", use_reloader=False)
        finally:
            sim.stop()
            if getattr(self, "_copilot_sim", None) is not None:
                self._copilot_sim.stop()
            if getattr(self, "_claude_code_sim", None) is not None:
                self._claude_code_sim.stop()
            self.step("Simulators stopped.")

    def step(self, text: str):
        self.stdout.write(self.style.MIGRATE_HEADING(f"» {text}"))

    def ensure_people(self, team):
        org = Organization.objects.filter(slug=DEMO_SLUG).first()
        if org is None:
            membership, _ = create_organization_with_owner(
                slug=DEMO_SLUG, name=DEMO_ORG_NAME, owner_email=OWNER_EMAIL, password=OWNER_PASSWORD
            )
            org, owner = membership.organization, membership.user
            self.step(f"Created organization {org.name}")
        else:
            owner = User.objects.get(
                memberships__organization=org, memberships__role=Membership.Role.OWNER, email=OWNER_EMAIL
            )
            self.step(f"Reusing organization {org.name}")
        owner.set_password(OWNER_PASSWORD)
        owner.save(update_fields=["password"])

        member_membership = (
            Membership.objects.filter(organization=org, role=Membership.Role.MEMBER)
            .select_related("user")
            .first()
        )
        if member_membership is None:
            # A real person of the simulated team, so "My usage" has data for them.
            roster = [m for m in team.members() if m["role"] == "member" and not m["isRemoved"]]
            email = roster[0]["email"].lower()
            user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(
                email=email, first_name=roster[0]["name"].split(" ")[0]
            )
            member_membership = Membership.objects.create(
                user=user, organization=org, role=Membership.Role.MEMBER
            )
        member = member_membership.user
        member.set_password(MEMBER_PASSWORD)
        member.save(update_fields=["password"])
        return org, owner, member

    def ensure_connection(self, org, owner, base_url) -> bool:
        """Connect Cursor like the Settings page does; True when this is the first sync."""
        connection = Connection.objects.filter(organization=org, provider=Provider.CURSOR).first()
        try:
            if connection is None:
                result = integration_services.connect_cursor(
                    org, owner, DEMO_API_KEY, base_url=base_url, start_backfill=False
                )
                caps = result.connection.capabilities
                self.step(
                    "Connected Cursor (key ••••{}; Analytics API {}, AI Code Tracking {})".format(
                        result.connection.api_key_last4,
                        "yes" if caps.get("analytics") else "no",
                        "yes" if caps.get("ai_code") else "no",
                    )
                )
                return True
        except IntegrationError as exc:
            raise CommandError(str(exc)) from None
        if connection.base_url != base_url:
            connection.base_url = base_url  # the simulator may have moved to another port
            connection.save(update_fields=["base_url", "updated_at"])
        if connection.status == Connection.Status.KEY_REJECTED:
            integration_services.replace_key(connection, owner, DEMO_API_KEY)
        self.step("Reusing the Cursor connection")
        return not connection.last_synced_at

    def ensure_alerts(self, org, owner):
        """A cycle budget just short of its 80 % threshold, and detection replayed over the
        last 30 days as if it had run after every sync (raising is idempotent: a second run
        adds nothing). The digest preview is at /alerts/digest/."""
        from datetime import UTC, timedelta

        from django.utils import timezone

        from alerts.anomalies import detect_anomalies
        from alerts.budgets import budget_status, evaluate_budgets
        from alerts.models import Alert, Budget

        today = timezone.now().astimezone(UTC).date()
        budget = Budget.objects.filter(organization=org, scope=Budget.Scope.ORGANIZATION).first()
        if budget is None:
            probe = Budget(organization=org, amount_cents=1, period=Budget.Period.CYCLE)
            spent = budget_status(probe, today=today).actual_cents
            budget = Budget.objects.create(
                organization=org,
                period=Budget.Period.CYCLE,
                amount_cents=max(100, int(spent / Decimal("0.76")) // 100 * 100),  # about 76 % used
                created_by=owner,
                alert_on_projection=False,
            )
        evaluate_budgets(org, today=today)
        for days_ago in range(30, -1, -1):
            detect_anomalies(org, today=today - timedelta(days=days_ago))
        status = budget_status(budget, today=today)
        alerts = Alert.objects.filter(organization=org).exclude(kind__startswith="budget").count()
        self.step(
            f"Alerts: cycle budget {status.percent_used:.0f}% used (alerts at {budget.thresholds}), "
            f"{alerts} anomal{'y' if alerts == 1 else 'ies'} on /alerts/, digest preview on /alerts/digest/"
        )

    def start_copilot(self, org, owner, team, seats, days) -> None:
        """Start the Copilot simulator (seats overlapping the Cursor team's people), connect
        it like Settings → Integrations does, and sync (the backfill on the first run)."""
        from integrations.copilot import services as copilot_services

        settings.COPILOT_RATE_LIMITS = False  # the local simulator enforces no limits either
        sim = CopilotSimulator(rate_limits=False)
        sim.add_org(
            DEMO_COPILOT_ORG, seats=max(3, seats * 4 // 5), days=days, seed=1, cursor_team=team,
            token=DEMO_COPILOT_TOKEN,
        )  # fmt: skip
        base_url = sim.start()
        self._copilot_sim = sim
        self.step(
            f"Copilot simulator: {base_url} (organization {DEMO_COPILOT_ORG}, seats shared with Cursor's people)"
        )
        connection = copilot_services.copilot_connection(org)
        try:
            if connection is None:
                copilot_services.connect_copilot(
                    org, owner, DEMO_COPILOT_TOKEN, scope="org", slug=DEMO_COPILOT_ORG, base_url=base_url,
                    start_backfill=False,
                )  # fmt: skip
                self.step("Connected GitHub Copilot")
            else:
                if connection.base_url != base_url:
                    connection.base_url = base_url
                    connection.save(update_fields=["base_url", "updated_at"])
                if connection.status == Connection.Status.KEY_REJECTED:
                    copilot_services.replace_token(connection, owner, DEMO_COPILOT_TOKEN)
        except IntegrationError as exc:
            raise CommandError(str(exc)) from None
        logging.getLogger("integrations.copilot").setLevel(logging.WARNING)
        self.step("Syncing GitHub Copilot usage")
        call_command("sync_copilot", org=org.slug, days=days, stdout=self.stdout)

    def start_claude_code(self, org, owner, seats, days) -> None:
        """Start the Claude Code simulator (a Console organization sharing the Cursor team's
        people), connect it like Settings → Integrations does, and sync."""
        from integrations.claude_code import services as claude_code_services

        sim = ClaudeCodeSimulator(rate_limits=False, default_orgs=False)
        sim.add_org(
            "console", seed=1, users=seats, days=days, cursor_seats=seats, admin_key=DEMO_CLAUDE_CODE_KEY
        )
        base_url = sim.start()
        self._claude_code_sim = sim
        self.step(f"Claude Code simulator: {base_url} (a Console organization, people shared with Cursor's)")
        connection = claude_code_services.claude_code_connection(org)
        try:
            if connection is None:
                claude_code_services.connect_claude_code(
                    org,
                    owner,
                    DEMO_CLAUDE_CODE_KEY,
                    source="console",
                    base_url=base_url,
                    start_backfill=False,
                )
                self.step("Connected Claude Code")
            else:
                if connection.base_url != base_url:
                    connection.base_url = base_url
                    connection.save(update_fields=["base_url", "updated_at"])
                if connection.status == Connection.Status.KEY_REJECTED:
                    claude_code_services.replace_key(connection, owner, DEMO_CLAUDE_CODE_KEY)
        except IntegrationError as exc:
            raise CommandError(str(exc)) from None
        logging.getLogger("integrations.claude_code").setLevel(logging.WARNING)
        self.step("Syncing Claude Code usage")
        call_command("sync_claude_code", org=org.slug, days=days, stdout=self.stdout)

    def print_credentials(self, host, port, member):
        url = f"http://{host}:{port}/"
        lines = [
            f"Koalr is ready at {url}",
            f"  Owner:  {OWNER_EMAIL} / {OWNER_PASSWORD}",
            f"  Member: {member.email} / {MEMBER_PASSWORD}",
            f"  Cursor simulator key (for Settings → Integrations): {DEMO_API_KEY}",
            f"  Copilot simulator: organization {DEMO_COPILOT_ORG}, token {DEMO_COPILOT_TOKEN}",
            f"  Claude Code simulator (Console): Admin key {DEMO_CLAUDE_CODE_KEY}",
            "Press Ctrl-C to stop the app and the simulator.",
        ]
        width = max(len(line) for line in lines) + 4
        self.stdout.write("┌" + "─" * width + "┐")
        for line in lines:
            self.stdout.write("│  " + line.ljust(width - 2) + "│")
        self.stdout.write("└" + "─" * width + "┘")
