from django.urls import path

from . import views

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
]
