"""Create a personal API token for automation; prints the token (and only the token) once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from koalr.accounts import services
from koalr.accounts.models import Organization


class Command(BaseCommand):
    help = "Create an API token for a member of an organization and print it (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--user", required=True, help="Email of a member of that organization")
        parser.add_argument("--name", default="", help="What the token is for")

    def handle(self, *args, org, user, name, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        person = get_user_model().objects.filter(email__iexact=user.strip()).first()
        if person is None:
            raise CommandError(f"No user with email {user!r}.")
        try:
            _, raw = services.create_api_token(organization=organization, user=person, name=name)
        except services.NotAMember as exc:
            raise CommandError(f"{person.email} is not a member of {organization.slug}.") from exc
        # stdout carries the token alone so scripts can capture it: TOKEN=$(manage.py create_api_token …)
        self.stdout.write(raw)
        self.stderr.write(
            f"Created an API token for {person.email} in {organization.slug}; it is not shown again."
        )
