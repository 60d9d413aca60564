from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = "Budgets and alerts"

    def ready(self):
        # Register the tasks in every process: the sync hook looks its task up by name
        # (integrations may not import alerts), also in a web process or eager Celery.
        from . import tasks  # noqa: F401
