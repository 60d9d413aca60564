"""Create an organization and its owner from the command line (first install, support)."""

from django.core.management.base import BaseCommand, CommandError

from koalr.accounts import services


class Command(BaseCommand):
    help = "Create an organization owned by EMAIL (a new user, or an existing one is attached)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="URL-safe identifier, e.g. acme")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme Inc.'")
        parser.add_argument("--owner", required=True, metavar="EMAIL", help="Owner's email address")
        parser.add_argument(
            "--password", help="Password for a new owner account; generated and printed when omitted"
        )

    def handle(self, *args, slug, name, owner, password=None, **options):
        try:
            membership, generated = services.create_organization_with_owner(
                slug=slug, name=name, owner_email=owner, password=password
            )
        except services.AccountsError as error:
            raise CommandError(error.message) from None
        org, user = membership.organization, membership.user
        self.stdout.write(
            self.style.SUCCESS(f"Created organization {org.name} ({org.slug}) owned by {user.email}.")
        )
        if generated:
            self.stdout.write(f"Generated password for {user.email}: {generated}")
        elif password and not user.check_password(password):
            self.stdout.write(f"{user.email} already had an account: its password was left unchanged.")
