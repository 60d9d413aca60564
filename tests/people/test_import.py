"""CSV import: all or nothing, row-level errors with line numbers, a preview, the command."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from analytics.models import ToolTeamDay
from analytics.services.teams import apply_team_import
from people import imports
from people.models import DirectoryAuditEntry, Person, Team, TeamMembership
from people.teams import create_team

from .conftest import person

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 1)


def test_a_good_file_previews_then_applies(org, tree, admin_user):
    csv = (
        "Email,Team,cost_centre,parent_team,lead_email,github_login\n"
        "DEV5@acme.test,Data,CC-300,Engineering,admin@acme.test,dev-five\n"
        "dev6@acme.test,Data,,,,\n"
        "dev0@acme.test,Platform,,,,\n"  # already in Platform: unchanged
        "new.hire@acme.test,Sales,CC-201,,,\n"
    )
    plan = imports.parse(org.pk, csv.encode())
    assert plan.errors == []
    assert [t.name for t in plan.new_teams] == ["Data"]
    assert [(t.existing.slug, c) for t, c in plan.changed_teams] == [
        ("sales", ["cost centre “CC-200” → “CC-201”"])
    ]
    assert plan.new_people == ["new.hire@acme.test"]
    assert plan.preview_memberships() == [
        ("dev5@acme.test", "Data"),
        ("dev6@acme.test", "Data"),
        ("new.hire@acme.test", "Sales"),
    ]
    assert plan.unchanged_rows == 1
    assert not Team.objects.filter(organization=org, slug="data").exists()  # parse changes nothing

    counts = apply_team_import(plan, today=TODAY, actor=admin_user)
    assert counts == {"teams_created": 1, "teams_changed": 1, "people_created": 1, "memberships_added": 3}
    data = Team.objects.get(organization=org, slug="data")
    assert (data.parent, data.cost_centre, data.lead) == (tree["eng"], "CC-300", admin_user)
    assert person(org, "dev5@acme.test").github_login == "dev-five"
    dev5 = TeamMembership.objects.get(person=person(org, "dev5@acme.test"))
    assert (dev5.team, dev5.start, dev5.end) == (data, TODAY, None)
    assert DirectoryAuditEntry.objects.filter(
        organization=org, action="teams_imported", actor=admin_user
    ).exists()
    # The rollups were rebuilt: Data has dev5's and dev6's facts from the start day on.
    assert ToolTeamDay.objects.filter(organization=org, team=data, day__gte=TODAY).exists()
    assert not ToolTeamDay.objects.filter(organization=org, team=data, day__lt=TODAY).exists()


def test_people_seen_only_in_usage_are_matched_case_insensitively(org, tree):
    before = Person.objects.filter(organization=org).count()
    plan = imports.parse(org.pk, b"email,team\nDev7@ACME.test,Sales\n")
    assert plan.new_people == [] and plan.people == {"dev7@acme.test": person(org, "dev7@acme.test").pk}
    apply_team_import(plan, today=TODAY)
    assert Person.objects.filter(organization=org).count() == before


BAD = (
    "email,team,parent_team,lead_email,github_login\n"
    "ok@acme.test,Data,,,\n"  # line 2: fine
    "not-an-email,Data,,,\n"  # 3
    "x@acme.test,,,,\n"  # 4
    "y@acme.test,Data,Nowhere,,\n"  # 5
    "z@acme.test,Data,,stranger@globex.test,\n"  # 6
    "w@acme.test,Data,,,-bad-\n"  # 7
    "v@acme.test,Loop,Loop,,\n"  # 8
    "u@acme.test,Data,Sales,,\n"  # 9
    "t@acme.test,Data,Platform,,\n"  # 10: yet another parent for Data
)


def test_a_bad_file_is_rejected_whole_naming_each_bad_line(org, tree, outsider):
    plan = imports.parse(org.pk, BAD.encode())
    lines = [line for line, _ in plan.errors]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10]
    messages = dict(plan.errors)
    assert "not a valid email" in messages[3]
    assert "team is empty" in messages[4]
    assert "Nowhere" in messages[5] and "neither in this file" in messages[5]
    assert "not a Koalr user" in messages[6]
    assert "GitHub login" in messages[7]
    assert "its own parent" in messages[8]
    # Line 5 named Data's parent first; each later different parent is named with it.
    assert "two different parent teams" in messages[9] and "line 5" in messages[9]
    assert "two different parent teams" in messages[10] and "line 5" in messages[10]
    with pytest.raises(ValueError):
        apply_team_import(plan, today=TODAY)
    assert not Team.objects.filter(organization=org, slug__in=["data", "loop"]).exists()
    assert not Person.objects.filter(organization=org, primary_email="ok@acme.test").exists()


def test_a_cycle_through_existing_teams_is_refused(org, tree):
    plan = imports.parse(org.pk, b"email,team,parent_team\ndev0@acme.test,Engineering,Platform\n")
    assert [line for line, _ in plan.errors] == [2]
    assert "cycle" in plan.errors[0][1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"mail,group\na@b.test,x\n", "Missing column(s): email, team"),
        (b"email,team\n", "no rows"),
        ("email,team\nä@b.test,x\n".encode("latin-1"), "not UTF-8"),
        (b"email,team\na@acme.test,T,extra\n", "3 values for 2 columns"),
        (b'email,team\n"a@acme.test,T\n', "CSV"),
    ],
)
def test_unusable_files_get_a_clear_message(org, data, message):
    plan = imports.parse(org.pk, data)
    assert plan.errors and message in " ".join(m for _, m in plan.errors)
    assert not plan.ok


def test_teams_are_matched_by_name_or_slug_only_in_this_organization(org, other_org):
    create_team(other_org.pk, name="Data")
    mine = create_team(org.pk, name="Data Science", slug="ds")
    plan = imports.parse(org.pk, b"email,team\na@acme.test,ds\nb@acme.test,data science\n")
    assert plan.errors == [] and plan.new_teams == []
    apply_team_import(plan, today=TODAY)
    assert TeamMembership.objects.filter(team=mine).count() == 2
    assert not TeamMembership.objects.filter(organization=other_org).exists()


def test_the_command_previews_with_dry_run_then_imports(org, tree, tmp_path, capsys):
    path = tmp_path / "teams.csv"
    path.write_text("email,team,parent_team\ndev5@acme.test,Data,Engineering\n")
    call_command("import_teams", "--org", "acme", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "1 new teams" in out and "add dev5@acme.test to Data" in out and "Dry run" in out
    assert not Team.objects.filter(organization=org, slug="data").exists()
    call_command("import_teams", "--org", "acme", str(path))
    assert "1 teams created" in capsys.readouterr().out
    assert Team.objects.get(organization=org, slug="data").parent == tree["eng"]


def test_the_command_reports_bad_lines_and_bad_arguments(org, tree, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    with pytest.raises(CommandError, match="8 error"):
        call_command("import_teams", "--org", "acme", str(path))
    assert "line 3:" in capsys.readouterr().err
    with pytest.raises(CommandError, match="No organization"):
        call_command("import_teams", "--org", "nope", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_teams", "--org", "acme", str(tmp_path / "missing.csv"))
