"""Settings → Integrations pages. Thin adapters over `services` and `selectors`.

Access: every member sees the integrations index (read-only); every other page needs
`can_manage_integrations` (403 otherwise). The organization always comes from the tenancy
chokepoint, so another organization's connection is simply not found (404).
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koalr.accounts.tenancy import org_required

from . import selectors, services
from .forms import ConnectCursorForm, DisconnectForm, ReplaceKeyForm
from .quality import data_quality_section

MANAGE = "can_manage_integrations"


def _connection_or_404(request):
    connection = selectors.cursor_connection(request.organization)
    if connection is None:
        raise Http404("Cursor is not connected.")
    return connection


@require_GET
@org_required
def index(request):
    return render(
        request,
        "integrations/index.html",
        {
            "ai_tools": selectors.ai_tools(request.organization),
            "can_manage": request.membership.can_manage_integrations,
        },
    )


@require_GET
@org_required(capability=MANAGE)
def cursor_detail(request):
    page = selectors.connection_page(request.organization)
    if page is None:
        return redirect("integrations:cursor_connect")
    quality = data_quality_section(
        request.organization, can_see_people=request.membership.can_see_member_spend
    )
    return render(request, "integrations/cursor_detail.html", {"page": page, "quality": quality})


def _posted(request):
    # Not `request.POST or None`: an empty POST must still be bound, so it shows "required".
    return request.POST if request.method == "POST" else None


def _key_error(form, error: services.IntegrationError) -> str:
    """Show a validation failure on the form; return the hint to display under it."""
    form.add_error(
        "api_key" if isinstance(error, (services.KeyRejected, services.MalformedKey)) else None,
        error.user_message,
    )
    return error.hint


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def cursor_connect(request):
    if selectors.cursor_connection(request.organization) is not None:
        return redirect("integrations:cursor_detail")
    form = ConnectCursorForm(_posted(request))
    hint = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = services.connect_cursor(
                request.organization,
                request.user,
                form.cleaned_data["api_key"],
                team_id=form.cleaned_data["team_id"],
            )
        except services.AlreadyConnected as exc:
            messages.info(request, exc.user_message)
            return redirect("integrations:cursor_detail")
        except services.IntegrationError as exc:
            hint = _key_error(form, exc)
        else:
            days = settings.CURSOR_BACKFILL_DAYS
            messages.success(request, f"Cursor is connected. The last {days} days are syncing now.")
            if result.enterprise_note:
                messages.warning(request, result.enterprise_note)
            return redirect("integrations:cursor_detail")
    return render(request, "integrations/cursor_connect.html", {"form": form, "hint": hint})


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def cursor_replace_key(request):
    connection = _connection_or_404(request)
    form = ReplaceKeyForm(_posted(request), initial={"team_id": connection.team_id})
    hint = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = services.replace_key(
                connection, request.user, form.cleaned_data["api_key"], team_id=form.cleaned_data["team_id"]
            )
        except services.IntegrationError as exc:
            hint = _key_error(form, exc)
        else:
            messages.success(request, "The new key is saved and syncing has resumed.")
            if result.enterprise_note:
                messages.warning(request, result.enterprise_note)
            return redirect("integrations:cursor_detail")
    return render(
        request,
        "integrations/cursor_replace_key.html",
        {"form": form, "hint": hint, "connection": connection},
    )


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def cursor_disconnect(request):
    connection = _connection_or_404(request)
    form = DisconnectForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        deleted = services.disconnect(connection, request.user, keep_history=form.keep_history)
        if form.keep_history:
            messages.success(request, "Cursor is disconnected. The synced history was kept.")
        else:
            messages.success(request, f"Cursor is disconnected and {deleted} synced rows were deleted.")
        return redirect("integrations:index")
    return render(
        request,
        "integrations/cursor_disconnect.html",
        {"form": form, "connection": connection, "coverage": selectors.data_coverage(request.organization)},
    )


@require_POST
@org_required(capability=MANAGE)
def cursor_sync(request):
    connection = _connection_or_404(request)
    try:
        services.trigger_sync(connection, request.user)
    except services.SyncNotAllowed as exc:
        messages.warning(request, exc.user_message)
    else:
        messages.success(request, "Sync started.")
    return redirect("integrations:cursor_detail")


@require_GET
@org_required(capability=MANAGE)
def audit(request):
    return render(request, "integrations/audit.html", {"entries": selectors.audit_log(request.organization)})


@never_cache
@require_GET
@org_required(capability=MANAGE)
def cursor_progress(request):
    payload = selectors.progress_payload(request.organization)
    if payload is None:
        return JsonResponse({"detail": "Cursor is not connected."}, status=404)
    return JsonResponse(payload)
