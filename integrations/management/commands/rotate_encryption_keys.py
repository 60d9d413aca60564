"""Re-encrypt every stored API key under the newest FIELD_ENCRYPTION_KEYS entry."""

from django.core.management.base import BaseCommand, CommandError

from integrations import services


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored integration key under the newest key in FIELD_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; then the old key can be removed."
    )

    def handle(self, *args, **options):
        rotated, unreadable = services.rotate_all_keys()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {rotated} key(s) under the newest key."))
        if unreadable:
            ids = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"{len(unreadable)} key(s) could not be decrypted with any configured key "
                f"(connection ids: {ids}); they were left unchanged."
            )
