"""Account pages: sign-up, organization switch, members and invites.

Views are adapters: parse the form, call one service, render or redirect. Every target
object is fetched with organization=request.organization, so another organization's id
answers 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from . import selectors, services, throttling
from .forms import (
    AcceptInviteForm,
    BoundedPasswordResetForm,
    InviteForm,
    LoginForm,
    OrganizationForm,
    RoleForm,
    SignupForm,
    apply_service_error,
)
from .models import Invite, Membership
from .tenancy import SESSION_KEY, active_membership, org_required
from .verification import mark_verified

MANAGE = "can_manage_members"
SIGNUP_EMAIL_KEY = "signup_email"
# Logging someone in after they proved themselves another way (an invite link) names the backend.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _enter(request, membership):
    """Make the membership's organization the active one for this session."""
    request.session[SESSION_KEY] = membership.organization_id


@login_required
def no_organization(request):
    if active_membership(request) is not None:
        return redirect("home")
    return render(request, "accounts/no_organization.html", {"org_form": OrganizationForm()})


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if throttling.over_limit(request, group="signup", rate=settings.SIGNUP_RATE):
            context = {
                "form": SignupForm(initial=_without_password(request.POST)),
                "refusal": throttling.RATE_LIMITED,
            }
            return render(request, "registration/signup.html", context, status=429)
        if form.is_valid():
            try:
                services.signup(build_absolute_uri=request.build_absolute_uri, **form.cleaned_data)
            except services.AccountsError as error:
                apply_service_error(form, error)
            else:
                # The same page whether or not the address already had an account.
                request.session[SIGNUP_EMAIL_KEY] = form.cleaned_data["email"].strip().lower()
                return redirect("accounts:signup_sent")
    return render(request, "registration/signup.html", {"form": form})


def _without_password(data):
    return {k: v for k, v in data.items() if k not in ("password", "csrfmiddlewaretoken")}


def signup_sent(request):
    return render(request, "registration/signup_sent.html", {"email": request.session.get(SIGNUP_EMAIL_KEY)})


def verify_email(request, token):
    """The link from the verification email. GET asks to confirm (mail scanners follow GET links)."""
    try:
        found = services.verification.read_link_token(token)
    except services.LinkInvalid as error:
        return render(request, "accounts/verify_invalid.html", {"reason": error.message}, status=400)
    if request.method != "POST":
        return render(request, "accounts/verify_confirm.html", {"found": found})
    try:
        user, membership = services.confirm_email(token=token)
    except services.LinkInvalid as error:
        return render(request, "accounts/verify_invalid.html", {"reason": error.message}, status=400)
    if request.user.is_authenticated and request.user.pk == user.pk:
        if membership is not None:
            _enter(request, membership)
        messages.success(request, "Your email address is verified.")
        return redirect("home")
    # Not logged in as this account: the link proves the address, the password proves the person.
    messages.success(request, f"Your email address is verified. Log in as {user.email} to continue.")
    return redirect_to_login("/")


@require_POST
@login_required
def create_organization(request):
    """The no-organization page's form: a verified account gets its organization at once; an
    unverified one gets a (new) verification link that creates it when followed."""
    form = OrganizationForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/no_organization.html", {"org_form": form}, status=400)
    name = form.cleaned_data["name"]
    if not request.user.email_verified:
        if throttling.over_limit(request, group="verify-resend", rate=settings.SIGNUP_RATE):
            context = {"org_form": form, "refusal": throttling.RATE_LIMITED}
            return render(request, "accounts/no_organization.html", context, status=429)
        services.verification.send_verification(request.user, name, request.build_absolute_uri)
        messages.info(
            request,
            f"We sent a link to {request.user.email}. Follow it to verify your address and create {name}.",
        )
        return redirect("accounts:no_organization")
    try:
        membership = services.create_organization(user=request.user, name=name)
    except services.AccountsError as error:
        apply_service_error(form, error)
        return render(request, "accounts/no_organization.html", {"org_form": form}, status=400)
    _enter(request, membership)
    messages.success(request, f"{membership.organization.name} is ready.")
    return redirect("home")


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

    if services.has_verified_account(found.email):
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
            login(request, membership.user, backend=MODEL_BACKEND)
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


# ---------- Log-in and password reset ----------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (which never says whether the address has an account), rate-limited."""

    form_class = BoundedPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        if throttling.over_limit(request, group="password-reset", rate=settings.PASSWORD_RESET_RATE):
            form = self.get_form_class()(initial={"email": request.POST.get("email", "")[:254]})
            context = self.get_context_data(form=form, refusal=throttling.RATE_LIMITED)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        # The reset link was mailed to the address: following it proves the address.
        response = super().form_valid(form)
        mark_verified(form.user)
        return response
