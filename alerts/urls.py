from django.urls import path

from . import views, views_limits

app_name = "alerts"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:alert_id>/resolve/", views.resolve, name="resolve"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/new/", views.budget_create, name="budget_create"),
    path("budgets/<int:budget_id>/", views.budget_edit, name="budget_edit"),
    path("budgets/<int:budget_id>/delete/", views.budget_delete, name="budget_delete"),
    path("digest/", views.digest_preview, name="digest"),
    path("spend-limits/", views_limits.choose, name="spend_limits"),
    path("spend-limits/review/", views_limits.review, name="spend_limits_review"),
    path("spend-limits/apply/", views_limits.apply, name="spend_limits_apply"),
    path("channels/", views.channels, name="channels"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
    path("channels/<int:channel_id>/toggle/", views.channel_toggle, name="channel_toggle"),
    path("channels/<int:channel_id>/delete/", views.channel_delete, name="channel_delete"),
]
