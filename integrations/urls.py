from django.urls import path

from . import views
from .claude_code import views as claude_code_views
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
    path("claude-code/", claude_code_views.detail, name="claude_code_detail"),
    path("claude-code/connect/", claude_code_views.connect, name="claude_code_connect"),
    path("claude-code/replace-key/", claude_code_views.replace_key, name="claude_code_replace_key"),
    path("claude-code/disconnect/", claude_code_views.disconnect, name="claude_code_disconnect"),
    path("claude-code/sync/", claude_code_views.sync_now, name="claude_code_sync"),
    path("claude-code/progress.json", claude_code_views.progress, name="claude_code_progress"),
]
