"""The alerts pages (owners and admins): alerts, budgets with their burn-down, channels.

Views are adapters over `selectors` and `services`. Each goes through the tenancy chokepoint
with the `can_see_member_spend` capability (alerts and budgets name people and amounts); an
object of another organization answers 404.
"""

from datetime import UTC

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koalr.accounts.tenancy import org_required

from . import charts, digest, selectors, services
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


@require_GET
@org_required(capability=CAPABILITY)
def index(request):
    org = request.organization
    form = AlertFilterForm(request.GET or None, organization=org)
    filters = form.cleaned_data if form.is_valid() else {}
    # A deep link (?alert=ID, from an email or Slack) shows its alert whatever its status.
    linked = request.GET.get("alert", "")
    status = filters.get("status") or ("all" if linked.isdigit() else "")
    rows = selectors.alerts(org, status=status, kind=filters.get("kind", ""), person=filters.get("person"))
    return render(
        request,
        "alerts/index.html",
        {
            "alerts": rows,
            "filter_form": form,
            "counts": selectors.status_counts(org),
            "ack_form": AcknowledgeForm(),
            "nav_section": "alerts",
        },
    )


def _back_to_alerts(request):
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/alerts/") else reverse("alerts:index"))


@require_POST
@org_required(capability=CAPABILITY)
def acknowledge(request, alert_id):
    alert = _or_404(selectors.get_alert(request.organization, alert_id))
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
@org_required(capability=CAPABILITY)
def resolve(request, alert_id):
    alert = _or_404(selectors.get_alert(request.organization, alert_id))
    form = AcknowledgeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.resolve(alert, user=request.user, note=note)
    messages.success(request, "Alert resolved.")
    return _back_to_alerts(request)


def _budgets_page(request, form, status=200):
    statuses = budget_statuses(request.organization, today=_today())
    rows = [
        {
            "status": s,
            "figure_id": f"fig-budget-{s.budget.pk}",
            "script": charts.to_script(charts.burn_down_figure(s), f"fig-budget-{s.budget.pk}"),
        }
        for s in statuses
    ]
    return render(
        request, "alerts/budgets.html", {"rows": rows, "form": form, "nav_section": "alerts"}, status=status
    )


@require_GET
@org_required(capability=CAPABILITY)
def budgets(request):
    return _budgets_page(request, BudgetForm(organization=request.organization))


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
