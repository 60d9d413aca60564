"""Settings → Integrations → AI Tools → Claude Code: thin adapters over `services` and `selectors`.

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
from integrations.services import SyncNotAllowed
from koalr.accounts.tenancy import org_required

from . import selectors, services
from .forms import ConnectClaudeCodeForm, DisconnectForm, ReplaceKeyForm

MANAGE = "can_manage_integrations"


def _connection_or_404(request):
    connection = services.claude_code_connection(request.organization)
    if connection is None:
        raise Http404("Claude Code is not connected.")
    return connection


def _posted(request):
    return request.POST if request.method == "POST" else None


def _field_for(error: IntegrationError):
    return "api_key" if isinstance(error, services.KeyRejected | services.MalformedInput) else None


@require_GET
@org_required(capability=MANAGE)
def detail(request):
    page = selectors.connection_page(request.organization)
    if page is None:
        return redirect("integrations:claude_code_connect")
    return render(request, "integrations/claude_code_detail.html", {"page": page})


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def connect(request):
    if services.claude_code_connection(request.organization) is not None:
        return redirect("integrations:claude_code_detail")
    form = ConnectClaudeCodeForm(_posted(request))
    hint = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.connect_claude_code(
                request.organization, request.user, data["api_key"], source=data["source"]
            )
        except services.AlreadyConnected as exc:
            messages.info(request, exc.user_message)
            return redirect("integrations:claude_code_detail")
        except IntegrationError as exc:
            form.add_error(_field_for(exc), exc.user_message)
            hint = exc.hint
        else:
            days = settings.CLAUDE_CODE_BACKFILL_DAYS
            messages.success(request, f"Claude Code is connected. The last {days} days are syncing now.")
            return redirect("integrations:claude_code_detail")
    return render(
        request,
        "integrations/claude_code_connect.html",
        {"form": form, "hint": hint, "backfill_days": settings.CLAUDE_CODE_BACKFILL_DAYS},
    )


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def replace_key(request):
    connection = _connection_or_404(request)
    source = (connection.config or {}).get("source", "console")
    form = ReplaceKeyForm(_posted(request), source=source)
    hint = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.replace_key(connection, request.user, form.cleaned_data["api_key"])
        except IntegrationError as exc:
            form.add_error(_field_for(exc), exc.user_message)
            hint = exc.hint
        else:
            messages.success(request, "The new key is saved and syncing has resumed.")
            return redirect("integrations:claude_code_detail")
    return render(
        request,
        "integrations/claude_code_replace_key.html",
        {"form": form, "hint": hint, "connection": connection},
    )


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def disconnect(request):
    connection = _connection_or_404(request)
    form = DisconnectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        deleted = services.disconnect_claude_code(connection, request.user, keep_history=form.keep_history)
        if form.keep_history:
            messages.success(request, "Claude Code is disconnected. The synced history was kept.")
        else:
            messages.success(request, f"Claude Code is disconnected and {deleted} synced rows were deleted.")
        return redirect("integrations:index")
    return render(
        request,
        "integrations/claude_code_disconnect.html",
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
    return redirect("integrations:claude_code_detail")


@never_cache
@require_GET
@org_required(capability=MANAGE)
def progress(request):
    payload = selectors.progress_payload(request.organization)
    if payload is None:
        return JsonResponse({"detail": "Claude Code is not connected."}, status=404)
    return JsonResponse(payload)
