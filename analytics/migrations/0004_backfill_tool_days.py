"""Fill the directory and the ToolDay facts for the Cursor history synced before they existed.

Self-contained (historical models only): one Person per Cursor member email, then one ToolDay
row per person and day from MemberDailyRollup with the Cursor mapping of
analytics.services.tool_days, and their per-organization rollup. Re-running is harmless.
"""

from django.db import migrations
from django.db.models import Count, Q, Sum

BATCH = 5000


def forwards(apps, schema_editor):
    CursorMember = apps.get_model("analytics", "CursorMember")
    MemberDailyRollup = apps.get_model("analytics", "MemberDailyRollup")
    ToolDay = apps.get_model("analytics", "ToolDay")
    ToolOrgDay = apps.get_model("analytics", "ToolOrgDay")
    Person = apps.get_model("people", "Person")
    PersonEmail = apps.get_model("people", "PersonEmail")

    org_ids = CursorMember.objects.values_list("organization_id", flat=True).distinct().order_by()
    for org_id in list(org_ids):
        for member in CursorMember.objects.filter(organization_id=org_id, person__isnull=True).order_by("pk"):
            email = member.email.strip().lower()
            alias = PersonEmail.objects.filter(organization_id=org_id, email=email).first()
            if alias is None:
                person = Person.objects.create(organization_id=org_id, primary_email=email, name=member.name)
                alias = PersonEmail.objects.create(organization_id=org_id, person=person, email=email)
            CursorMember.objects.filter(pk=member.pk).update(person_id=alias.person_id)

        ToolDay.objects.filter(organization_id=org_id, tool="cursor").delete()
        ToolOrgDay.objects.filter(organization_id=org_id, tool="cursor").delete()
        facts = (
            MemberDailyRollup.objects.filter(organization_id=org_id, member__person__isnull=False)
            .values("member__person_id", "day")
            .annotate(
                active=Count("id", filter=Q(is_active=True)),
                agent=Sum("agent_requests"),
                chat=Sum("chat_requests"),
                composer=Sum("composer_requests"),
                cmdk=Sum("cmdk_usages"),
                accepts_=Sum("accepts"),
                tabs=Sum("tabs_accepted"),
                lines=Sum("total_lines_added"),
                accepted=Sum("accepted_lines_added"),
                events=Sum("usage_events"),
                units=Sum("request_cost_units"),
                input_=Sum("input_tokens"),
                output_=Sum("output_tokens"),
                cache_read=Sum("cache_read_tokens"),
                cache_write=Sum("cache_write_tokens"),
                cost=Sum("spend_cents"),
            )
            .order_by()
        )
        batch = []
        for f in facts.iterator():
            batch.append(
                ToolDay(
                    organization_id=org_id,
                    tool="cursor",
                    person_id=f["member__person_id"],
                    day=f["day"],
                    active=bool(f["active"]),
                    requests=f["agent"] + f["chat"] + f["composer"] + f["cmdk"],
                    accepted_suggestions=f["accepts_"] + f["tabs"],
                    suggested_lines=f["lines"],
                    accepted_lines=f["accepted"],
                    billed_requests=f["events"],
                    request_units=f["units"],
                    input_tokens=f["input_"],
                    output_tokens=f["output_"],
                    cache_read_tokens=f["cache_read"],
                    cache_write_tokens=f["cache_write"],
                    cost_cents=f["cost"],
                )
            )
            if len(batch) >= BATCH:
                ToolDay.objects.bulk_create(batch)
                batch = []
        ToolDay.objects.bulk_create(batch)

        metrics = [
            "requests", "accepted_suggestions", "suggested_lines", "accepted_lines", "billed_requests",
            "request_units", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
            "cost_cents",
        ]  # fmt: skip
        days = (
            ToolDay.objects.filter(organization_id=org_id, tool="cursor")
            .values("day")
            .annotate(active_people=Count("id", filter=Q(active=True)), people=Count("id"))
            .annotate(**{m: Sum(m) for m in metrics})
            .order_by()
        )
        ToolOrgDay.objects.bulk_create(
            [ToolOrgDay(organization_id=org_id, tool="cursor", **row) for row in days], batch_size=BATCH
        )


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_tool_day_facts"), ("people", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
