"""People and Teams pages: admins manage; leads, members and outsiders cannot."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analytics.models import ToolDay, ToolTeamDay
from people.models import DirectoryAuditEntry, Person, Team, TeamMembership
from tests.people.conftest import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client(lead_user):
    c = Client()
    c.force_login(lead_user)
    return c


def test_the_people_page_lists_tools_teams_and_last_activity(admin_client, org, tree):
    response = admin_client.get(reverse("analytics:people"))
    assert response.status_code == 200
    html = response.content.decode()
    dev1 = person(org, "dev1@acme.test")
    last = ToolDay.objects.filter(person=dev1, active=True).order_by("-day").first().day
    row = html.split('data-person="dev1@acme.test"')[1].split("</tr>")[0]
    assert "Cursor" in row and "Apps" in row and "Platform" in row and f"{last:%-d %b %Y}" in row
    assert "globex" not in html  # another organization's people never show


def test_unmatched_lists_the_people_in_no_team(admin_client, org, tree):
    html = admin_client.get(reverse("analytics:people"), {"view": "unmatched"}).content.decode()
    assert 'data-person="dev5@acme.test"' in html and 'data-person="dev0@acme.test"' not in html


@pytest.mark.parametrize("name", ["people", "teams", "team_import"])
def test_only_owners_and_admins_manage_the_directory(
    name, owner_client, admin_client, member_client, lead_client, outsider_client, tree
):
    url = reverse(f"analytics:{name}")
    assert owner_client.get(url).status_code == 200
    assert admin_client.get(url).status_code == 200
    assert member_client.get(url).status_code == 403
    assert lead_client.get(url).status_code == 403
    # An outsider is in another organization: this page shows theirs, never Acme's.
    response = outsider_client.get(url)
    assert response.status_code == 200 and "Engineering" not in response.content.decode()


def test_another_organizations_team_and_person_answer_404(outsider_client, org, tree):
    assert outsider_client.get(reverse("analytics:team", args=["platform"])).status_code == 404
    dev0 = person(org, "dev0@acme.test")
    response = outsider_client.post(
        reverse("analytics:person_merge", args=[dev0.pk]), {"into": "dev1@acme.test"}
    )
    assert response.status_code == 404
    assert Person.objects.filter(pk=dev0.pk).exists()


def test_create_edit_and_refuse_a_cycle(admin_client, org, tree, lead_user):
    response = admin_client.post(
        reverse("analytics:teams"), {"name": "Data", "parent": tree["eng"].pk, "cost_centre": "CC-9"}
    )
    data = Team.objects.get(organization=org, slug="data")
    assert response.status_code == 302 and data.parent == tree["eng"]
    lead_membership = org.memberships.get(user=lead_user)
    response = admin_client.post(
        reverse("analytics:team", args=["engineering"]),
        {"name": "Engineering", "slug": "engineering", "parent": data.pk, "lead": lead_membership.pk},
    )
    assert response.status_code == 400
    assert "cannot be its own ancestor" in response.content.decode()
    assert Team.objects.get(pk=tree["eng"].pk).parent is None
    response = admin_client.post(
        reverse("analytics:team", args=["engineering"]),
        {"name": "Eng", "slug": "eng", "lead": lead_membership.pk},
    )
    assert response.status_code == 302
    eng = Team.objects.get(pk=tree["eng"].pk)
    assert (eng.name, eng.slug, eng.lead) == ("Eng", "eng", lead_user)


def test_add_and_end_a_membership_rebuilds_the_team_rollup(admin_client, org, tree):
    url = reverse("analytics:team_add_member", args=["sales"])
    response = admin_client.post(url, {"email": "DEV5@acme.test", "start": "2026-03-20"})
    assert response.status_code == 302
    dev5 = person(org, "dev5@acme.test")
    assert TeamMembership.objects.get(person=dev5).team == tree["sales"]
    sales_people = ToolTeamDay.objects.get(organization=org, team=tree["sales"], day=date(2026, 3, 25)).people
    assert sales_people == 2
    m = TeamMembership.objects.get(person=dev5)
    admin_client.post(reverse("analytics:membership_end", args=["sales", m.pk]), {"end": "2026-03-22"})
    assert ToolTeamDay.objects.get(organization=org, team=tree["sales"], day=date(2026, 3, 25)).people == 1
    bad = admin_client.post(url, {"email": "not-an-email", "start": "2026-03-20"}, follow=True)
    assert "valid email" in bad.content.decode()


def test_merge_from_the_people_page(admin_client, org, tree, admin_user):
    dev6 = person(org, "dev6@acme.test")
    response = admin_client.post(
        reverse("analytics:person_merge", args=[dev6.pk]),
        {"into": "Dev5@acme.test", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("analytics:people")
    assert not Person.objects.filter(pk=dev6.pk).exists()
    assert DirectoryAuditEntry.objects.filter(
        organization=org, action="people_merged", actor=admin_user
    ).exists()
    unknown = admin_client.post(
        reverse("analytics:person_merge", args=[person(org, "dev7@acme.test").pk]),
        {"into": "who@x.test"},
        follow=True,
    )
    assert "Enter the email of a person of this organization" in unknown.content.decode()


def test_import_previews_then_applies_and_rejects_a_bad_file_whole(admin_client, org, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("analytics:team_import")
    good = SimpleUploadedFile("t.csv", b"email,team,parent_team\ndev5@acme.test,Data,Engineering\n")
    preview = admin_client.post(url, {"file": good})
    html = preview.content.decode()
    assert (
        preview.status_code == 200
        and "Preview: nothing has changed yet" in html
        and "dev5@acme.test → Data" in html
    )
    assert not Team.objects.filter(organization=org, slug="data").exists()
    payload = preview.context["confirm"].initial["payload"]
    assert admin_client.post(url, {"payload": payload}).status_code == 302
    assert Team.objects.get(organization=org, slug="data").parent == tree["eng"]

    bad = SimpleUploadedFile("b.csv", b"email,team\nok@acme.test,X\nnope,X\n")
    response = admin_client.post(url, {"file": bad})
    assert response.status_code == 400
    assert "Line 3:" in response.content.decode() and "Nothing was imported" in response.content.decode()
    assert not Team.objects.filter(organization=org, slug="x").exists()
    assert admin_client.post(url, {}).status_code == 400


def test_github_logins_from_copilot_are_listed_to_map_and_seats_count_as_tools(
    admin_client, org, other_org, tree
):
    from analytics.models import CopilotSeat
    from people.services import people_for_github_logins

    login_only = people_for_github_logins(org.pk, ["octo-dana"])["octo-dana"]
    people_for_github_logins(other_org.pk, ["octo-globex"])
    dev1 = person(org, "dev1@acme.test")
    CopilotSeat.objects.create(organization=org, login="dev1-gh", person=dev1, synced_at=timezone.now())
    page = admin_client.get(reverse("analytics:people")).content.decode()
    assert "1 GitHub login from Copilot with no email yet" in page
    listed = admin_client.get(reverse("analytics:people"), {"view": "logins"}).content.decode()
    assert "octo-dana" in listed and "octo-globex" not in listed
    assert 'data-person="dev1@acme.test"' not in listed
    # A seat never used is still a Copilot identity: the tools column says so.
    row = page.split('data-person="dev1@acme.test"')[1].split("</tr>")[0]
    assert "GitHub Copilot" in row
    assert Person.objects.get(pk=login_only).primary_email == ""
