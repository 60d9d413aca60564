"""Settings → API tokens: list, create (shown once) and revoke personal API tokens.

Pages act on the session's active organization (the tenancy chokepoint). Every member
manages their own tokens; admins also see and revoke everyone's in the organization.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from koalr.accounts import services
from koalr.accounts.models import ApiToken
from koalr.accounts.selectors import manageable_tokens
from koalr.accounts.tenancy import org_required

from .forms import NewTokenForm


def _render(request, *, form, new_token=None, status=200):
    return render(
        request,
        "api_tokens/list.html",
        {
            "form": form,
            "tokens": manageable_tokens(request.membership),
            "new_token": new_token,
            "sees_everyones": request.membership.is_admin,
            "nav_section": "api_tokens",
        },
        status=status,
    )


@never_cache  # the page that shows a new token must never be cached by a browser or proxy
@require_http_methods(["GET", "POST"])
@org_required(capability="can_manage_api_tokens")
def token_list(request):
    if request.method == "GET":
        return _render(request, form=NewTokenForm())
    form = NewTokenForm(request.POST)
    if not form.is_valid():
        return _render(request, form=form, status=400)
    token, raw = services.create_api_token(
        organization=request.organization, user=request.user, name=form.cleaned_data["name"]
    )
    # Rendered, not redirected: the clear token lives only in this one response.
    return _render(request, form=NewTokenForm(), new_token={"row": token, "value": raw})


@require_POST
@org_required(capability="can_manage_api_tokens")
def token_revoke(request, pk):
    try:
        token = services.revoke_api_token(membership=request.membership, token_id=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404("No such token.") from exc
    messages.success(request, f"Revoked {token.name or 'the token'} ({token.prefix}…).")
    return redirect("api_tokens:list")
