from django.urls import path

from . import views
from .copilot import views as copilot_views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("audit/", views.audit, name="audit"),
    path("cursor/", views.cursor_detail, name="cursor_detail"),
    path("cursor/connect/", views.cursor_connect, name="cursor_connect"),
    path("cursor/replace-key/", views.cursor_replace_key, name="cursor_replace_key"),
    path("cursor/disconnect/", views.cursor_disconnect, name="cursor_disconnect"),
    path("cursor/sync/", views.cursor_sync, name="cursor_sync"),
    path("cursor/progress.json", views.cursor_progress, name="cursor_progress"),
    path("copilot/", copilot_views.detail, name="copilot_detail"),
    path("copilot/connect/", copilot_views.connect, name="copilot_connect"),
    path("copilot/replace-token/", copilot_views.replace_token, name="copilot_replace_token"),
    path("copilot/disconnect/", copilot_views.disconnect, name="copilot_disconnect"),
    path("copilot/sync/", copilot_views.sync_now, name="copilot_sync"),
    path("copilot/progress.json", copilot_views.progress, name="copilot_progress"),
]
