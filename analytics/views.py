from django.shortcuts import render

from koalr.accounts.tenancy import org_required


@org_required
def dashboard(request):
    # Placeholder until the dashboard lands (issue 6).
    return render(request, "analytics/dashboard.html")
