"""A partial index for the dashboard's distinct-active-members read (WAU, MAU, active
share): an index-only scan over active member-days of one organization and day range.

RunSQL rather than Meta.indexes so the model state (owned by the rollups) is unchanged;
the syntax is shared by PostgreSQL and SQLite.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS analytics_mdr_active_day_member "
                "ON analytics_memberdailyrollup (organization_id, day, member_id) WHERE is_active"
            ),
            reverse_sql="DROP INDEX IF EXISTS analytics_mdr_active_day_member",
        ),
    ]
