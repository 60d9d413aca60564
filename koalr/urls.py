from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(url="/ai-analytics/", permanent=False), name="home"),
    path("accounts/", include("koalr.accounts.urls")),
    path("settings/integrations/", include("integrations.urls")),
    path("settings/api-tokens/", include("api.tokens.urls")),
    path("ai-analytics/", include("web.urls")),
    path("api/v1/", include("api.urls")),
    path("alerts/", include("alerts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
