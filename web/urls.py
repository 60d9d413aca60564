from django.urls import path

from . import tools_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members.csv", views.members_csv, name="members_csv"),
    path("members/<int:member_id>/", views.member_detail, name="member"),
    path("me/", views.my_usage, name="me"),
    path("spend/", views.spend_review, name="spend"),
    path("spend/export.csv", views.spend_csv, name="spend_csv"),
    path("spend/seat-price/", views.seat_price, name="seat_price"),
    path("sync-status.json", views.sync_status, name="sync_status"),
    path("tools/", tools_views.tools_page, name="tools"),
    path("tools/overlap.csv", tools_views.overlap_csv, name="tools_overlap_csv"),
    path("tools/copilot-seat-price/", tools_views.copilot_seat_price, name="tools_copilot_seat_price"),
]
