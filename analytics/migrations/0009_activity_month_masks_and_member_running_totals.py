"""The rollups the pages' cold reads use: per-month activity bitmasks (distinct active people
over any window, per organization and per team) and the member rollup's running totals (a
range's per-member sums by index). Fills the bitmasks for the data synced before them; the
running-total columns are not filled any more: 0010 builds MemberRunningTotal from the
rollup's own counters and 0013 drops them.

The backfill runs the services' own statements (raw SQL over table names: the same code a
refresh runs), once per organization and tool; re-running is harmless (rebuild, not add).
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from analytics.services.activity_months import rebuild_activity_months

    ToolDay = apps.get_model("analytics", "ToolDay")
    spans = ToolDay.objects.values("organization_id", "tool").annotate(
        first=models.Min("day"), last=models.Max("day")
    )
    with schema_editor.connection.cursor() as cursor:
        for span in spans.order_by():
            rebuild_activity_months(cursor, span["organization_id"], span["tool"], span["first"], span["last"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_email_verified_at'),
        ('analytics', '0008_partition_events_by_month'),
        ('people', '0003_team_external_id'),
    ]

    operations = [
        migrations.AddField(
            model_name='memberdailyrollup',
            name='last_active_day',
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_accepted_lines_added',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_accepts',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_active_days',
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_agent_requests',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_chat_requests',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_cmdk_usages',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_composer_requests',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_rejects',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_spend_cents',
            field=models.DecimalField(db_default=0, decimal_places=6, default=0, max_digits=20),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_tabs_accepted',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_tabs_shown',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_total_lines_added',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='memberdailyrollup',
            name='running_usage_events',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.CreateModel(
            name='ToolPersonMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tool', models.CharField(choices=[('cursor', 'Cursor'), ('copilot', 'GitHub Copilot'), ('claude_code', 'Claude Code')], max_length=20)),
                ('month', models.DateField()),
                ('active_mask', models.IntegerField(default=0, help_text='Bit d-1: active on day d of the month')),
                ('fact_mask', models.IntegerField(default=0, help_text='Bit d-1: a ToolDay row on day d')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='people.person')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'tool', 'month', 'person'), name='uniq_tool_person_month')],
            },
        ),
        migrations.CreateModel(
            name='ToolTeamPersonMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tool', models.CharField(choices=[('cursor', 'Cursor'), ('copilot', 'GitHub Copilot'), ('claude_code', 'Claude Code')], max_length=20)),
                ('month', models.DateField()),
                ('active_mask', models.IntegerField(default=0)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='people.person')),
                ('team', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='people.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(condition=models.Q(('team__isnull', False)), fields=('organization', 'tool', 'month', 'team', 'person'), name='uniq_tool_team_person_month'), models.UniqueConstraint(condition=models.Q(('team__isnull', True)), fields=('organization', 'tool', 'month', 'person'), name='uniq_tool_no_team_person_month')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
