"""Cursor spend limits from Koalr (owners and admins): choose, confirm each change, apply.

Nothing changes in Cursor before the confirmation page's button; the results page lists
each person's outcome (updated / unchanged / failed with Cursor's reason).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from koalr.accounts.tenancy import org_required

from . import spend_limits
from .views import CAPABILITY

MAX_LIMIT_DOLLARS = 1_000_000


def _parse(request) -> tuple[dict[int, int | None], list[str]]:
    """{member id: new limit or None} from the form, and the problems in plain words."""
    wanted, problems = {}, []
    for raw in request.POST.getlist("member"):
        if not raw.isdigit():
            continue
        member_id = int(raw)
        value = request.POST.get(f"limit_{member_id}", "").strip().replace("$", "").replace(",", "")
        if value == "":
            wanted[member_id] = None
        elif value.isdigit() and int(value) <= MAX_LIMIT_DOLLARS:
            wanted[member_id] = int(value)
        else:
            problems.append(f"“{value[:20]}” is not a whole number of dollars (0 to {MAX_LIMIT_DOLLARS:,}).")
    return wanted, problems


@require_GET
@org_required(capability=CAPABILITY)
def choose(request):
    org = request.organization
    single = []
    raw = request.GET.get("member", "")
    if raw.isdigit():
        single = spend_limits.plan_changes(org, {int(raw): None})
    suggested = [c for c in spend_limits.suggested_changes(org) if c.new != c.current]
    context = {"single": single[0] if single else None, "suggested": suggested, "nav_section": "spend"}
    return render(request, "alerts/spend_limits.html", context)


@require_POST
@org_required(capability=CAPABILITY)
def review(request):
    wanted, problems = _parse(request)
    changes = spend_limits.plan_changes(request.organization, wanted)
    if problems or not changes:
        for problem in problems or ["Choose at least one person."]:
            messages.error(request, problem)
        return redirect(
            request.POST.get("back")
            if request.POST.get("back", "").startswith("/alerts/")
            else "alerts:spend_limits"
        )
    return render(request, "alerts/spend_limits_confirm.html", {"changes": changes, "nav_section": "spend"})


@require_POST
@org_required(capability=CAPABILITY)
def apply(request):
    wanted, problems = _parse(request)
    changes = spend_limits.plan_changes(request.organization, wanted)
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect("alerts:spend_limits")
    try:
        results = spend_limits.apply_changes(request.organization, changes, actor=request.user)
    except spend_limits.SpendLimitError as exc:
        return render(
            request,
            "alerts/spend_limits_confirm.html",
            {"changes": changes, "error": str(exc), "nav_section": "spend"},
            status=409 if changes else 400,
        )
    counts = {s: sum(1 for r in results if r.status == s) for s in ("updated", "unchanged", "failed")}
    return render(
        request,
        "alerts/spend_limits_results.html",
        {"results": results, "counts": counts, "nav_section": "spend"},
    )
