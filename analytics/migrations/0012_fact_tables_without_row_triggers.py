"""Usage events and AI Code Tracking rows keep their foreign keys in Django only.

A database FOREIGN KEY checks every inserted row with a trigger (a SELECT … FOR KEY SHARE on the
organization and on the member): measured on a 100,000-event COPY into the partitioned table,
the two checks cost more than the COPY and every index together (PostgreSQL 15, 2 cores:
39,000 rows/s with them, about 100,000 without). Deletes still cascade (Django's collector runs
on_delete), the sync writes member ids from the organization's own directory, and the lone
organization index goes: the tables' composite indexes all lead with the organization.

Schema only, no data moves; backwards re-adds the constraints (checking the rows) and indexes.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_email_verified_at"),
        ("analytics", "0011_tool_day_totals_and_claude_code_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="aichange",
            name="member",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="analytics.cursormember",
            ),
        ),
        migrations.AlterField(
            model_name="aichange",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AlterField(
            model_name="aicommit",
            name="member",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="analytics.cursormember",
            ),
        ),
        migrations.AlterField(
            model_name="aicommit",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AlterField(
            model_name="usageevent",
            name="member",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="usage_events",
                to="analytics.cursormember",
            ),
        ),
        migrations.AlterField(
            model_name="usageevent",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
    ]
