from django.urls import path

from . import tools_views, views, views_reconciliation, views_teams
from .directory import views as directory

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members.csv", views.members_csv, name="members_csv"),
    path("daily.csv", views.daily_csv, name="daily_csv"),
    path("members/<int:member_id>/", views.member_detail, name="member"),
    path("me/", views.my_usage, name="me"),
    path("spend/", views.spend_review, name="spend"),
    path("spend/export.csv", views.spend_csv, name="spend_csv"),
    path("spend/seat-price/", views.seat_price, name="seat_price"),
    path(
        "spend/reconciliation.csv",
        views_reconciliation.spend_reconciliation_csv,
        name="spend_reconciliation_csv",
    ),
    path("sync-status.json", views.sync_status, name="sync_status"),
    # The team lens (web/views_teams.py)
    path("teams/", views_teams.team_compare, name="team_compare"),
    path("teams/export.csv", views_teams.team_compare_csv, name="team_compare_csv"),
    path("chargeback/", views_teams.chargeback_page, name="chargeback"),
    path("chargeback/export.csv", views_teams.chargeback_csv, name="chargeback_csv"),
    path("chargeback/rerun/", views_teams.chargeback_rerun, name="chargeback_rerun"),
    # People and teams (web/directory/)
    path("people/", directory.people_list, name="people"),
    path("people/<int:person_id>/merge/", directory.person_merge, name="person_merge"),
    path("people/<int:person_id>/left/", directory.person_left, name="person_left"),
    path("people/<int:person_id>/add-to-team/", directory.person_add_to_team, name="person_add_to_team"),
    path("people/import/", directory.team_import, name="team_import"),
    path("teams/manage/", directory.team_list, name="teams"),
    path("teams/manage/<slug:slug>/", directory.team_detail, name="team"),
    path("teams/manage/<slug:slug>/delete/", directory.team_delete, name="team_delete"),
    path("teams/manage/<slug:slug>/members/", directory.team_add_member, name="team_add_member"),
    path(
        "teams/manage/<slug:slug>/members/<int:membership_id>/end/",
        directory.membership_end,
        name="membership_end",
    ),
    path("tools/", tools_views.tools_page, name="tools"),
    path("tools/overlap.csv", tools_views.overlap_csv, name="tools_overlap_csv"),
    path("tools/copilot-seat-price/", tools_views.copilot_seat_price, name="tools_copilot_seat_price"),
]
