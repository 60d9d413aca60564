"""The member rollup's running totals carried forward per day (MemberRunningTotal): the
member table reads a range's two ends as two days' rows. Fills it for the data synced
before it with the refresh's own statements, once per organization from its first day."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from analytics.services.rollups import rewrite_running_days

    MemberDailyRollup = apps.get_model("analytics", "MemberDailyRollup")
    firsts = MemberDailyRollup.objects.values("organization_id").annotate(first=models.Min("day"))
    with schema_editor.connection.cursor() as cursor:
        for row in firsts.order_by():
            rewrite_running_days(cursor, row["organization_id"], row["first"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_email_verified_at'),
        ('analytics', '0009_activity_month_masks_and_member_running_totals'),
    ]

    operations = [
        migrations.CreateModel(
            name='MemberRunningTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('last_row_day', models.DateField()),
                ('last_active_day', models.DateField(null=True)),
                ('running_active_days', models.IntegerField(default=0)),
                ('running_agent_requests', models.BigIntegerField(default=0)),
                ('running_chat_requests', models.BigIntegerField(default=0)),
                ('running_composer_requests', models.BigIntegerField(default=0)),
                ('running_cmdk_usages', models.BigIntegerField(default=0)),
                ('running_tabs_shown', models.BigIntegerField(default=0)),
                ('running_tabs_accepted', models.BigIntegerField(default=0)),
                ('running_accepts', models.BigIntegerField(default=0)),
                ('running_rejects', models.BigIntegerField(default=0)),
                ('running_total_lines_added', models.BigIntegerField(default=0)),
                ('running_accepted_lines_added', models.BigIntegerField(default=0)),
                ('running_usage_events', models.BigIntegerField(default=0)),
                ('running_spend_cents', models.DecimalField(decimal_places=6, default=0, max_digits=20)),
                ('member', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='analytics.cursormember')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'day', 'member'), name='uniq_member_running_total')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
