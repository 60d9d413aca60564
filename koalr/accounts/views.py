from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .tenancy import active_membership


@login_required
def no_organization(request):
    if active_membership(request) is not None:
        return redirect("home")
    return render(request, "accounts/no_organization.html")
