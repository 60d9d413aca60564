import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.settings")

app = Celery("koalr")
# Broker, eager mode and the beat schedule all live in Django settings (CELERY_*).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
