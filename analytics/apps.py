from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_partitions(sender, using="default", plan=None, **kwargs):
    # After `migrate` only: `flush` (between transactional tests) sends post_migrate without a plan.
    if plan is None:
        return
    from django.db import connections

    if connections[using].vendor != "postgresql":
        return
    from .services.partitions import ensure_partitions

    ensure_partitions()


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "AI usage analytics"

    def ready(self):
        # The monthly partitions around today exist as soon as the schema does.
        post_migrate.connect(_create_partitions, sender=self, dispatch_uid="analytics-partitions")
