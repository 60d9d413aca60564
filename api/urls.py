from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .docs import LocalSwaggerView
from .views import members, metering, sync, teams, usage

app_name = "api"

# ReDoc is not offered: its template loads Google Fonts, and nothing here may use a CDN.
org = "orgs/<slug:org>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", LocalSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(f"{org}members", members.MemberList.as_view(), name="members"),
    path(f"{org}sync-runs", sync.SyncRunList.as_view(), name="sync_runs"),
    path(f"{org}integrations/cursor/sync", sync.CursorSyncTrigger.as_view(), name="cursor_sync"),
    path(f"{org}usage", metering.UsageMetering.as_view(), name="usage"),
    path(f"{org}usage/daily", usage.DailyUsage.as_view(), name="usage_daily"),
    path(f"{org}usage/models", usage.ModelUsage.as_view(), name="usage_models"),
    path(f"{org}usage/members", usage.MemberUsage.as_view(), name="usage_members"),
    path(f"{org}spend", usage.Spend.as_view(), name="spend"),
    path(f"{org}teams", teams.TeamList.as_view(), name="teams"),
    path(f"{org}teams/compare", teams.TeamCompare.as_view(), name="teams_compare"),
    path(f"{org}people", teams.PeopleList.as_view(), name="people"),
    path(f"{org}chargeback", teams.Chargeback.as_view(), name="chargeback"),
]

# Data health and reconciliation (api/views/health.py, api/views/reconciliation.py).
from .views import health, reconciliation  # noqa: E402

urlpatterns += [
    path(f"{org}data-health", health.DataHealth.as_view(), name="data_health"),
    path(
        f"{org}spend/reconciliation",
        reconciliation.SpendReconciliation.as_view(),
        name="spend_reconciliation",
    ),
]
# Every figure the pages show (issue 14): the metric registry and the page-only figures.
from .views import analytics_rows, figures, spend_review, tools  # noqa: E402
from .views import metrics as metric_views  # noqa: E402

urlpatterns += [
    path("metrics", metric_views.MetricList.as_view(), name="metrics"),
    path("metrics/<str:key>", metric_views.MetricDetail.as_view(), name="metric"),
    path(f"{org}usage/headline", figures.Headline.as_view(), name="usage_headline"),
    path(f"{org}usage/ai-code", figures.AiCode.as_view(), name="usage_ai_code"),
    path(f"{org}usage/tools", tools.ToolDaily.as_view(), name="usage_tools"),
    path(f"{org}analytics/team", analytics_rows.AnalyticsRows.as_view(), name="analytics_team"),
    path(f"{org}teams/<str:team>/headline", figures.TeamHeadline.as_view(), name="team_headline"),
    path(f"{org}spend/review", spend_review.SpendReview.as_view(), name="spend_review"),
    path(f"{org}seats/idle", spend_review.IdleSeats.as_view(), name="idle_seats"),
    path(f"{org}tools", tools.Tools.as_view(), name="tools"),
    path(f"{org}tools/overlap", tools.SeatOverlap.as_view(), name="tools_overlap"),
]

from .views import own_teams  # noqa: E402

urlpatterns += [path(f"{org}me/teams", own_teams.OwnTeams.as_view(), name="own_teams")]
