"""Account pages: sign-up, organization switch, members and invites.

Views are adapters: parse the form, call one service, render or redirect. Every target
object is fetched with organization=request.organization, so another organization's id
answers 404.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import AcceptInviteForm, InviteForm, RoleForm, SignupForm, apply_service_error
from .models import Invite, Membership, User
from .tenancy import SESSION_KEY, active_membership, org_required

MANAGE = "can_manage_members"


def _enter(request, membership):
    """Make the membership's organization the active one for this session."""
    request.session[SESSION_KEY] = membership.organization_id


@login_required
def no_organization(request):
    if active_membership(request) is not None:
        return redirect("home")
    return render(request, "accounts/no_organization.html")


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.signup(**form.cleaned_data)
        except services.AccountsError as error:
            apply_service_error(form, error)
        else:
            login(request, membership.user)
            _enter(request, membership)
            messages.success(request, f"Welcome to Koalr! {membership.organization.name} is ready.")
            return redirect("/ai-analytics/")
    return render(request, "registration/signup.html", {"form": form})


@require_POST
@login_required
def switch_organization(request):
    try:
        membership = services.switch_organization(
            request=request, organization_id=request.POST.get("organization")
        )
    except Membership.DoesNotExist:
        raise Http404("No such organization.") from None
    messages.success(request, f"Switched to {membership.organization.name}.")
    return redirect("home")


# ---------- Members ----------


def _members_page(request, invite_form=None, status=200):
    actor = request.membership
    organization = request.organization
    owners = selectors.owner_count(organization)
    rows = [
        {
            "membership": m,
            "is_you": m.user_id == request.user.pk,
            "can_edit": services.may_manage(actor, m),
            "is_last_owner": m.is_owner and owners <= 1,
        }
        for m in selectors.member_list(organization)
    ]
    roles = services.grantable_roles(actor)
    context = {
        "rows": rows,
        "invites": selectors.pending_invites(organization) if actor.can_manage_members else [],
        "can_manage": actor.can_manage_members,
        "roles": roles,
        "invite_form": invite_form or InviteForm(roles=roles),
    }
    return render(request, "accounts/members.html", context, status=status)


@org_required
def members(request):
    return _members_page(request)


@require_POST
@org_required(capability=MANAGE)
def invite(request):
    form = InviteForm(request.POST, roles=services.grantable_roles(request.membership))
    if form.is_valid():
        try:
            new_invite = services.invite(
                actor=request.membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                build_absolute_uri=request.build_absolute_uri,
            )
        except services.AccountsError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {new_invite.email}.")
            return redirect("accounts:members")
    return _members_page(request, invite_form=form)


@require_POST
@org_required(capability=MANAGE)
def revoke_invite(request, pk):
    target = get_object_or_404(Invite, organization=request.organization, pk=pk)
    try:
        services.revoke_invite(actor=request.membership, invite=target)
    except services.AccountsError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The invitation to {target.email} was revoked.")
    return redirect("accounts:members")


@require_POST
@org_required(capability=MANAGE)
def change_role(request, pk):
    target = get_object_or_404(Membership, organization=request.organization, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect("accounts:members")
    try:
        updated = services.change_role(
            actor=request.membership, target=target, role=form.cleaned_data["role"]
        )
    except services.AccountsError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{updated.user.email} is now {updated.get_role_display().lower()}.")
    return redirect("accounts:members")


@require_POST
@org_required(capability=MANAGE)
def remove_member(request, pk):
    target = get_object_or_404(Membership, organization=request.organization, pk=pk)
    try:
        services.remove_member(actor=request.membership, target=target)
    except services.AccountsError as error:
        messages.error(request, error.message)
        return redirect("accounts:members")
    if target.user_id == request.user.pk:
        messages.success(request, f"You left {request.organization.name}.")
        return redirect("home")
    messages.success(request, f"{target.user.email} was removed from {request.organization.name}.")
    return redirect("accounts:members")


# ---------- Accepting an invite ----------


def _invite_invalid(request, reason, status):
    return render(request, "accounts/invite_invalid.html", {"reason": reason}, status=status)


def accept_invite(request, token):
    found = selectors.invite_for_token(token)
    reason = services.unusable_reason(found)
    if reason:
        return _invite_invalid(request, reason, status=404 if found is None else 410)

    if request.user.is_authenticated:
        return _accept_as_user(request, token, found)

    if User.objects.filter(email__iexact=found.email).exists():
        # The link survives the login through `next`.
        messages.info(request, f"Log in as {found.email} to join {found.organization.name}.")
        return redirect_to_login(request.get_full_path())

    form = AcceptInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.accept_invite_as_new_user(token=token, **form.cleaned_data)
        except services.InviteUnusable as error:
            return _invite_invalid(request, error.message, status=410)
        except services.AccountsError as error:
            apply_service_error(form, error)
        else:
            login(request, membership.user)
            return _joined(request, membership)
    return render(request, "accounts/invite_accept.html", {"invite": found, "form": form})


def _accept_as_user(request, token, found):
    wrong_account = request.user.email.lower() != found.email.lower()
    if request.method == "POST":
        try:
            membership = services.accept_invite(token=token, user=request.user)
        except services.InviteUnusable as error:
            return _invite_invalid(request, error.message, status=410)
        except services.AccountsError as error:
            messages.error(request, error.message)
        else:
            return _joined(request, membership)
    # A 200 even for the wrong account: a 4xx would make django.request log the live token.
    return render(request, "accounts/invite_accept.html", {"invite": found, "wrong_account": wrong_account})


def _joined(request, membership):
    _enter(request, membership)
    messages.success(request, f"You joined {membership.organization.name}.")
    return redirect("home")
