"""The alerts pages: alerts, budgets with their burn-down, channels, the digest preview.

Views are adapters over `selectors` and `services`. Each goes through the tenancy chokepoint;
an object of another organization answers 404. Owners and admins (`can_see_member_spend`) see
and manage everything. A team lead opens the alerts page and the budgets page, which show only
their teams' and their teams' people's alerts and budgets (`alerts.audience`), worded per person
only where `people.access.person_access` allows; they may acknowledge and resolve those alerts
(any other answers 404) but not manage budgets or channels. Members get 403.
"""

from datetime import UTC

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koalr.accounts.tenancy import org_required
from people.access import person_access

from . import audience, charts, digest, selectors, services
from .budgets import budget_status, budget_statuses
from .forms import AcknowledgeForm, AlertFilterForm, BudgetForm, ChannelForm
from .models import DigestSent
from .notify import dispatch

CAPABILITY = "can_see_member_spend"


def _today():
    return timezone.now().astimezone(UTC).date()


def _or_404(obj):
    if obj is None:
        raise Http404("Not found.")
    return obj


def _viewer_access(request):
    """Owners, admins and team leads; members get 403."""
    access = person_access(request.membership)
    if not (access.everyone or access.is_lead):
        raise PermissionDenied("Alerts are for owners, admins and team leads.")
    return access


def _narrow(access):
    return None if access.everyone else (lambda qs: audience.narrow_alerts(qs, access))


@require_GET
@org_required
def index(request):
    org = request.organization
    access = _viewer_access(request)
    narrow = _narrow(access)
    form = AlertFilterForm(request.GET or None, organization=org, access=access)
    filters = form.cleaned_data if form.is_valid() else {}
    # A deep link (?alert=ID, from an email or Slack) shows its alert whatever its status.
    linked = request.GET.get("alert", "")
    status = filters.get("status") or ("all" if linked.isdigit() else "")
    rows = selectors.alerts(
        org,
        status=status,
        kind=filters.get("kind", ""),
        person=filters.get("person"),
        team=filters.get("team"),
        narrow=narrow,
    )
    for alert in rows:
        alert.shown = audience.wording(alert, access)
    return render(
        request,
        "alerts/index.html",
        {
            "alerts": rows,
            "filter_form": form,
            "counts": selectors.status_counts(org, narrow=narrow),
            "is_lead_view": not access.everyone,
            "ack_form": AcknowledgeForm(),
            "nav_section": "alerts",
        },
    )


def _back_to_alerts(request):
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/alerts/") else reverse("alerts:index"))


@require_POST
@org_required
def acknowledge(request, alert_id):
    access = _viewer_access(request)
    alert = _or_404(selectors.get_alert(request.organization, alert_id, narrow=_narrow(access)))
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The note is too long (1,000 characters at most).")
        return _back_to_alerts(request)
    try:
        services.acknowledge(alert, user=request.user, note=form.cleaned_data["note"])
    except services.AlertsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Alert acknowledged.")
    return _back_to_alerts(request)


@require_POST
@org_required
def resolve(request, alert_id):
    access = _viewer_access(request)
    alert = _or_404(selectors.get_alert(request.organization, alert_id, narrow=_narrow(access)))
    form = AcknowledgeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.resolve(alert, user=request.user, note=note)
    messages.success(request, "Alert resolved.")
    return _back_to_alerts(request)


def _budgets_page(request, form, status=200, access=None):
    """`access` (a lead's) narrows the page to their teams' and people's budgets, read only."""
    lead_view = access is not None and not access.everyone
    visible = audience.budget_filter(access) if lead_view else None
    statuses = budget_statuses(request.organization, today=_today(), visible=visible)
    rows = [
        {
            "status": s,
            "figure_id": f"fig-budget-{s.budget.pk}",
            "script": charts.to_script(charts.burn_down_figure(s), f"fig-budget-{s.budget.pk}"),
        }
        for s in statuses
    ]
    context = {"rows": rows, "form": None if lead_view else form, "nav_section": "alerts"}
    return render(request, "alerts/budgets.html", context, status=status)


@require_GET
@org_required
def budgets(request):
    access = _viewer_access(request)
    return _budgets_page(request, BudgetForm(organization=request.organization), access=access)


@require_POST
@org_required(capability=CAPABILITY)
def budget_create(request):
    form = BudgetForm(request.POST, organization=request.organization)
    if not form.is_valid():
        return _budgets_page(request, form, status=400)
    try:
        services.save_budget(request.organization, form.cleaned_data, user=request.user)
    except services.AlertsError as exc:
        form.add_error(None, str(exc))
        return _budgets_page(request, form, status=400)
    messages.success(request, "Budget saved.")
    return redirect("alerts:budgets")


@require_http_methods(["GET", "POST"])
@org_required(capability=CAPABILITY)
def budget_edit(request, budget_id):
    budget = _or_404(selectors.get_budget(request.organization, budget_id))
    if request.method == "POST":
        form = BudgetForm(request.POST, organization=request.organization)
        if form.is_valid():
            try:
                services.save_budget(
                    request.organization, form.cleaned_data, user=request.user, budget=budget
                )
            except services.AlertsError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, "Budget updated. Thresholds that already fired this period stay fired."
                )
                return redirect("alerts:budgets")
        status = 400
    else:
        form = BudgetForm(
            organization=request.organization,
            initial={
                "scope": budget.scope,
                "person": budget.person_id,
                "team": budget.team_id,
                "period": budget.period,
                "amount": f"{budget.amount_cents / 100:.2f}",
                "thresholds": ", ".join(str(t) for t in budget.thresholds),
                "alert_on_projection": budget.alert_on_projection,
            },
        )
        status = 200
    context = {
        "form": form,
        "budget": budget,
        "status": budget_status(budget, today=_today()),
        "nav_section": "alerts",
    }
    return render(request, "alerts/budget_edit.html", context, status=status)


@require_POST
@org_required(capability=CAPABILITY)
def budget_delete(request, budget_id):
    budget = _or_404(selectors.get_budget(request.organization, budget_id))
    services.delete_budget(budget)
    messages.success(request, "Budget deleted.")
    return redirect("alerts:budgets")


def _channels_page(request, form, status=200):
    org = request.organization
    return render(
        request,
        "alerts/channels.html",
        {
            "channels": selectors.channels(org),
            "deliveries": selectors.deliveries(org),
            "form": form,
            "nav_section": "alerts",
        },
        status=status,
    )


@require_GET
@org_required(capability=CAPABILITY)
def channels(request):
    return _channels_page(request, ChannelForm())


@require_POST
@org_required(capability=CAPABILITY)
def channel_create(request):
    form = ChannelForm(request.POST)
    if not form.is_valid():
        return _channels_page(request, form, status=400)
    services.create_channel(request.organization, form.cleaned_data, user=request.user)
    messages.success(request, "Channel added. Send a test message to check it.")
    return redirect("alerts:channels")


@require_POST
@org_required(capability=CAPABILITY)
def channel_test(request, channel_id):
    channel = _or_404(selectors.get_channel(request.organization, channel_id))
    dispatch.send_test(channel)
    messages.info(request, f"Test message queued for {channel.name}; its result appears in the delivery log.")
    return redirect(reverse("alerts:channels") + "#deliveries")


@require_POST
@org_required(capability=CAPABILITY)
def channel_toggle(request, channel_id):
    channel = _or_404(selectors.get_channel(request.organization, channel_id))
    services.set_channel_active(channel, not channel.is_active)
    messages.success(request, f"{channel.name} {'resumed' if channel.is_active else 'paused'}.")
    return redirect("alerts:channels")


@require_POST
@org_required(capability=CAPABILITY)
def channel_delete(request, channel_id):
    channel = _or_404(selectors.get_channel(request.organization, channel_id))
    services.delete_channel(channel)
    messages.success(request, "Channel removed.")
    return redirect("alerts:channels")


@require_GET
@org_required(capability=CAPABILITY)
def digest_preview(request):
    kind = request.GET.get("kind", DigestSent.Kind.WEEKLY)
    if kind not in DigestSent.Kind.values:
        kind = DigestSent.Kind.WEEKLY
    built = digest.build_digest(request.organization, today=_today(), kind=kind)
    text, html = digest.render(built)
    context = {"digest": built, "text": text, "html": html, "kind": kind, "nav_section": "alerts"}
    return render(request, "alerts/digest_preview.html", context)
