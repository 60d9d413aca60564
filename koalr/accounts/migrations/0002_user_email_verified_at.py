from django.db import migrations, models
from django.db.models import Min


def verify_invited_users(apps, schema_editor):
    """Accounts that joined through an invite link proved their address at that moment.

    Others (sign-ups, operator-created owners) stay unverified: nothing tells them apart, and
    an unverified account only has to follow a link before creating another organization.
    """
    User = apps.get_model("accounts", "User")
    Invite = apps.get_model("accounts", "Invite")
    first_accepts = (
        Invite.objects.filter(accepted_by__isnull=False)
        .values("accepted_by")
        .annotate(at=Min("accepted_at"))
    )
    for row in first_accepts:
        User.objects.filter(pk=row["accepted_by"], email_verified_at__isnull=True).update(
            email_verified_at=row["at"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(verify_invited_users, migrations.RunPython.noop),
    ]
