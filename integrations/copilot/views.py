"""Settings → Integrations → GitHub Copilot: thin adapters over `services` and `selectors`.

Every page needs `can_manage_integrations` (403 otherwise); the organization comes from the
tenancy chokepoint, so another organization's connection is simply not found (404).
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.key_check import IntegrationError
from integrations.models import Provider
from integrations.quality import data_quality_section
from integrations.services import SyncNotAllowed
from koalr.accounts.tenancy import org_required

from . import selectors, services
from .forms import ConnectCopilotForm, DisconnectForm, ReplaceTokenForm

MANAGE = "can_manage_integrations"


def _connection_or_404(request):
    connection = services.copilot_connection(request.organization)
    if connection is None:
        raise Http404("GitHub Copilot is not connected.")
    return connection


def _posted(request):
    return request.POST if request.method == "POST" else None


def _show_error(form, error: IntegrationError, field: str | None = None) -> str:
    form.add_error(field, error.user_message)
    return error.hint


@require_GET
@org_required(capability=MANAGE)
def detail(request):
    page = selectors.connection_page(request.organization)
    if page is None:
        return redirect("integrations:copilot_connect")
    quality = data_quality_section(
        request.organization,
        can_see_people=request.membership.can_see_member_spend,
        provider=Provider.COPILOT,
    )
    return render(request, "integrations/copilot_detail.html", {"page": page, "quality": quality})


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def connect(request):
    if services.copilot_connection(request.organization) is not None:
        return redirect("integrations:copilot_detail")
    form = ConnectCopilotForm(_posted(request))
    hint = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.connect_copilot(
                request.organization, request.user, data["token"], scope=data["scope"], slug=data["slug"]
            )
        except services.AlreadyConnected as exc:
            messages.info(request, exc.user_message)
            return redirect("integrations:copilot_detail")
        except IntegrationError as exc:
            hint = _show_error(form, exc, "token" if isinstance(exc, services.TokenRejected) else None)
        else:
            days = settings.COPILOT_BACKFILL_DAYS
            messages.success(request, f"GitHub Copilot is connected. The last {days} days are syncing now.")
            if result.note:
                messages.warning(request, result.note)
            return redirect("integrations:copilot_detail")
    return render(
        request,
        "integrations/copilot_connect.html",
        {"form": form, "hint": hint, "backfill_days": settings.COPILOT_BACKFILL_DAYS},
    )


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def replace_token(request):
    connection = _connection_or_404(request)
    form = ReplaceTokenForm(_posted(request))
    hint = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = services.replace_token(connection, request.user, form.cleaned_data["token"])
        except IntegrationError as exc:
            hint = _show_error(form, exc, "token" if isinstance(exc, services.TokenRejected) else None)
        else:
            messages.success(request, "The new token is saved and syncing has resumed.")
            if result.note:
                messages.warning(request, result.note)
            return redirect("integrations:copilot_detail")
    return render(
        request,
        "integrations/copilot_replace_token.html",
        {"form": form, "hint": hint, "connection": connection},
    )


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def disconnect(request):
    connection = _connection_or_404(request)
    form = DisconnectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        deleted = services.disconnect_copilot(connection, request.user, keep_history=form.keep_history)
        if form.keep_history:
            messages.success(request, "GitHub Copilot is disconnected. The synced history was kept.")
        else:
            messages.success(
                request, f"GitHub Copilot is disconnected and {deleted} synced rows were deleted."
            )
        return redirect("integrations:index")
    return render(
        request,
        "integrations/copilot_disconnect.html",
        {"form": form, "connection": connection, "coverage": selectors.coverage(request.organization)},
    )


@require_POST
@org_required(capability=MANAGE)
def sync_now(request):
    connection = _connection_or_404(request)
    try:
        services.trigger_sync(connection, request.user)
    except SyncNotAllowed as exc:
        messages.warning(request, exc.user_message)
    else:
        messages.success(request, "Sync started.")
    return redirect("integrations:copilot_detail")


@never_cache
@require_GET
@org_required(capability=MANAGE)
def progress(request):
    payload = selectors.progress_payload(request.organization)
    if payload is None:
        return JsonResponse({"detail": "GitHub Copilot is not connected."}, status=404)
    return JsonResponse(payload)
