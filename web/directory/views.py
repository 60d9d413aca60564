"""People and Teams pages (owners and admins only), as adapters over people/ and analytics/.

Every lookup is scoped by the request's organization (another organization's person or team
answers 404). A change to memberships or the tree is followed by the rebuild of the team
rollups in the same transaction (`analytics.services.teams`).
"""

from datetime import UTC

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.selectors.people import describe_people, directory_counts, people_queryset, team_tree
from analytics.services.merge import merge_people
from analytics.services.teams import after_directory_change, apply_team_import
from koalr.accounts.tenancy import org_required
from people import imports, teams
from people.models import DirectoryAuditEntry, Person, Team, TeamMembership
from people.selectors import person_for_email
from people.services import people_for_emails

from .forms import (
    AddMemberForm,
    ConfirmImportForm,
    EndMembershipForm,
    ImportForm,
    LeftForm,
    MergeForm,
    TeamForm,
)

MANAGE = "can_manage_members"
PEOPLE_PAGE_SIZE = 100
VIEWS = {
    "all": "Everyone",
    "unmatched": "In no team",
    "logins": "GitHub logins to map",
    "active": "Active",
    "left": "Left",
}


def _today():
    return timezone.now().astimezone(UTC).date()


def _team(request, slug) -> Team:
    team = (
        Team.objects.filter(organization=request.organization, slug=slug)
        .select_related("parent", "lead")
        .first()
    )
    if team is None:
        raise Http404("No such team.")
    return team


def _person(request, person_id) -> Person:
    person = Person.objects.filter(organization=request.organization, pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    return person


def _back(request):
    """Back to the People page the form was on (same-site paths only: never an open redirect)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("analytics:people"))


def _error(request, exc: teams.DirectoryError):
    messages.error(request, exc.message)


@require_GET
@org_required(capability=MANAGE)
def people_list(request):
    org = request.organization
    view = request.GET.get("view", "all")
    view = view if view in VIEWS else "all"
    search = request.GET.get("q", "").replace("\x00", "")[:200]  # PostgreSQL rejects NUL in text
    page = Paginator(people_queryset(org, search=search, view=view), PEOPLE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "people/people.html",
        {
            "rows": describe_people(org, list(page.object_list), today=_today()),
            "page": page,
            "view": view,
            "views": VIEWS,
            "search": search,
            "counts": directory_counts(org),
            "all_teams": Team.objects.filter(organization=org).order_by("name"),
            "audit": DirectoryAuditEntry.objects.filter(organization=org).select_related("actor")[:20],
            "today": _today(),
            "nav_section": "people",
        },
    )


@require_POST
@org_required(capability=MANAGE)
def person_merge(request, person_id):
    drop = _person(request, person_id)
    form = MergeForm(request.POST)
    keep = person_for_email(request.organization, form.cleaned_data["into"]) if form.is_valid() else None
    if keep is None:
        messages.error(request, "Enter the email of a person of this organization to merge into.")
    else:
        try:
            merge_people(request.organization.pk, keep.pk, drop.pk, actor=request.user)
        except teams.DirectoryError as exc:
            _error(request, exc)
        else:
            messages.success(request, f"{drop.primary_email} merged into {keep.display_name}.")
    return _back(request)


@require_POST
@org_required(capability=MANAGE)
def person_left(request, person_id):
    person = _person(request, person_id)
    form = LeftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the day the person left as YYYY-MM-DD, or leave it empty.")
    else:
        with transaction.atomic():
            teams.set_left(person, left_on=form.cleaned_data["left_on"], actor=request.user)
            after_directory_change(request.organization.pk)
        messages.success(
            request, f"{person.display_name} is now {'marked as left' if person.left_on else 'active'}."
        )
    return _back(request)


@require_POST
@org_required(capability=MANAGE)
def person_add_to_team(request, person_id):
    """The "resolve in a click" of the People page: put a person in a team from today."""
    person = _person(request, person_id)
    team_id = request.POST.get("team", "")
    team = (
        Team.objects.filter(organization=request.organization, pk=team_id).first()
        if team_id.isdigit()
        else None
    )
    if team is None:
        messages.error(request, "Choose a team.")
    else:
        with transaction.atomic():
            teams.add_membership(person, team, start=_today(), actor=request.user)
            after_directory_change(request.organization.pk)
        messages.success(request, f"{person.display_name} added to {team.name}.")
    return _back(request)


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def team_list(request):
    org = request.organization
    form = TeamForm(org, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = teams.create_team(
                org.pk,
                name=data["name"],
                slug=data["slug"],
                parent=data["parent"],
                cost_centre=data["cost_centre"],
                lead=data["lead"].user if data["lead"] else None,
                actor=request.user,
            )
        except teams.DirectoryError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("analytics:team", slug=team.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "teams/manage.html",
        {"tree": team_tree(org, today=_today()), "form": form, "nav_section": "people"},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def team_detail(request, slug):
    org = request.organization
    team = _team(request, slug)
    initial = {
        "name": team.name,
        "slug": team.slug,
        "parent": team.parent,
        "cost_centre": team.cost_centre,
        "lead": org.memberships.filter(user=team.lead).first() if team.lead_id else None,
    }
    form = TeamForm(org, request.POST or None, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                teams.update_team(
                    team,
                    actor=request.user,
                    name=data["name"],
                    slug=data["slug"] or team.slug,
                    parent=data["parent"],
                    cost_centre=data["cost_centre"],
                    lead=data["lead"].user if data["lead"] else None,
                )
                after_directory_change(org.pk)
        except teams.DirectoryError as exc:
            team.refresh_from_db()
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("analytics:team", slug=team.slug)
    memberships = (
        TeamMembership.objects.filter(organization=org, team=team)
        .select_related("person")
        .order_by("person__primary_email", "start")
    )
    return render(
        request,
        "teams/team.html",
        {
            "team": team,
            "form": form,
            "add_form": AddMemberForm(initial={"start": _today()}),
            "current": [m for m in memberships if m.end is None or m.end >= _today()],
            "past": [m for m in memberships if m.end is not None and m.end < _today()],
            "children": team.children.order_by("name"),
            "today": _today(),
            "nav_section": "people",
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@org_required(capability=MANAGE)
def team_delete(request, slug):
    team = _team(request, slug)
    with transaction.atomic():
        teams.delete_team(team, actor=request.user)
        after_directory_change(request.organization.pk)
    messages.success(request, f"Team “{team.name}” deleted; its sub-teams moved up.")
    return redirect("analytics:teams")


@require_POST
@org_required(capability=MANAGE)
def team_add_member(request, slug):
    org = request.organization
    team = _team(request, slug)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("analytics:team", slug=team.slug)
    email = form.cleaned_data["email"]
    try:
        with transaction.atomic():
            person_id = people_for_emails(org.pk, [email])[email.strip().lower()]
            teams.add_membership(
                Person.objects.get(organization=org, pk=person_id),
                team,
                start=form.cleaned_data["start"],
                actor=request.user,
            )
            after_directory_change(org.pk)
    except teams.DirectoryError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"{email} added to {team.name}.")
    return redirect("analytics:team", slug=team.slug)


@require_POST
@org_required(capability=MANAGE)
def membership_end(request, slug, membership_id):
    org = request.organization
    team = _team(request, slug)
    membership = (
        TeamMembership.objects.filter(organization=org, team=team, pk=membership_id)
        .select_related("person", "team")
        .first()
    )
    if membership is None:
        raise Http404("No such membership.")
    form = EndMembershipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the last day in the team as YYYY-MM-DD.")
    else:
        with transaction.atomic():
            teams.end_membership(membership, end=form.cleaned_data["end"], actor=request.user)
            after_directory_change(org.pk)
        messages.success(
            request, f"{membership.person.primary_email} leaves {team.name} after {form.cleaned_data['end']}."
        )
    return redirect("analytics:team", slug=team.slug)


@require_http_methods(["GET", "POST"])
@org_required(capability=MANAGE)
def team_import(request):
    """Upload → preview (nothing changed) → confirm (checked again, then applied whole)."""
    org = request.organization
    context = {"nav_section": "people", "form": ImportForm(), "plan": None}
    status = 200
    if request.method == "POST" and "payload" in request.POST:
        confirm = ConfirmImportForm(request.POST)
        if confirm.is_valid():
            plan = imports.parse(org.pk, confirm.cleaned_data["payload"])
            if plan.ok:
                counts = apply_team_import(plan, today=_today(), actor=request.user)
                messages.success(
                    request,
                    "Imported: {teams_created} teams created, {teams_changed} changed, {people_created} people "
                    "created, {memberships_added} team memberships added.".format(**counts),
                )
                return redirect("analytics:teams")
            context.update(plan=plan)
            status = 400
        else:
            messages.error(request, "The import could not be confirmed; upload the file again.")
            status = 400
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            plan = imports.parse(org.pk, form.cleaned_data["file"])
            context.update(plan=plan)
            if plan.ok:
                context["confirm"] = ConfirmImportForm(
                    initial={"payload": form.cleaned_data["file"].decode("utf-8-sig")}
                )
            else:
                status = 400
        else:
            status = 400
    return render(request, "people/import.html", context, status=status)
