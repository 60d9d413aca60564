"""Alerts once teams exist: team budgets, the share-of-team rule, and who receives what, with
the five personas (owner, admin, team lead, member, outsider from another organization).

Acme's tree: Engineering ⊃ Platform (led by lead@acme.test); Sales. Every date is fixed.
"""

from datetime import date, timedelta
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse

from alerts.anomalies import detect_anomalies
from alerts.budgets import budget_status, evaluate_budgets
from alerts.models import Alert, Budget, Channel
from alerts.records import Finding, raise_alert
from alerts.services import create_channel
from analytics.services.tool_days import refresh_team_days
from koalr.accounts.models import Membership
from people.models import Person
from people.teams import add_membership, create_team
from tests.factories import MembershipFactory

from .conftest import add_spend, member, refresh

TODAY = date(2026, 11, 20)
MONTH_START = date(2026, 11, 1)


@pytest.fixture
def lead_user(org):
    return MembershipFactory(organization=org, role=Membership.Role.MEMBER, user__email="lead@acme.test").user


@pytest.fixture
def lead_client(lead_user):
    from django.test import Client

    c = Client()
    c.force_login(lead_user)
    return c


@pytest.fixture
def teams(org, lead_user):
    eng = create_team(org.pk, name="Engineering")
    platform = create_team(org.pk, name="Platform", parent=eng, lead=lead_user)
    sales = create_team(org.pk, name="Sales")
    return {"eng": eng, "platform": platform, "sales": sales}


# ---------------------------------------------------------------- team budgets


def _seed_month(org, teams):
    """Nov 1–20, a fixed amount a day each. Platform: Dana and Eli all month, Fay from 11 Nov,
    Hal until 5 Nov; Gus in Sales. Platform's spend is theirs on their days only."""
    daily = {"Dana": 1_000, "Eli": 2_000, "Fay": 500, "Hal": 300, "Gus": 4_000}
    members = {n: member(org, f"{n} Test", f"{n.lower()}@acme.test") for n in daily}
    for offset in range(TODAY.day):
        for name, cents in daily.items():
            add_spend(org, members[name], MONTH_START + timedelta(days=offset), cents)
    refresh(org, MONTH_START, TODAY)
    people = {n: Person.objects.get(organization=org, primary_email=f"{n.lower()}@acme.test") for n in daily}
    add_membership(people["Dana"], teams["platform"], start=date(2026, 10, 1))
    add_membership(people["Eli"], teams["platform"], start=date(2026, 10, 1))
    add_membership(people["Fay"], teams["platform"], start=date(2026, 11, 11))
    add_membership(people["Hal"], teams["platform"], start=date(2026, 10, 1), end=date(2026, 11, 5))
    add_membership(people["Gus"], teams["sales"], start=date(2026, 10, 1))
    refresh_team_days(org.pk)
    return people


@pytest.mark.django_db
def test_a_team_budget_counts_its_people_on_the_days_they_were_in_it(org, teams, frozen):
    _seed_month(org, teams)
    frozen(TODAY)
    platform = Budget.objects.create(
        organization=org, scope=Budget.Scope.TEAM, team=teams["platform"], period=Budget.Period.MONTH,
        amount_cents=120_000,
    )  # fmt: skip
    parent = Budget.objects.create(
        organization=org, scope=Budget.Scope.TEAM, team=teams["eng"], period=Budget.Period.MONTH,
        amount_cents=50_000,
    )  # fmt: skip
    # Dana 20×$10 + Eli 20×$20 + Fay 10×$5 (from 11 Nov) + Hal 5×$3 (until 5 Nov); never Gus.
    expected = 20 * 1_000 + 20 * 2_000 + 10 * 500 + 5 * 300
    status = budget_status(platform, today=TODAY)
    assert status.actual_cents == expected == 66_500
    assert status.daily[0] == (MONTH_START, 1_000 + 2_000 + 300)
    assert status.daily[-1] == (TODAY, 1_000 + 2_000 + 500)
    # Projection extends the period's average day: 66,500 / 20 × 30.
    assert status.projected_cents == pytest.approx(66_500 / 20 * 30)
    # A parent team's budget counts its sub-teams' people.
    assert budget_status(parent, today=TODAY).actual_cents == expected

    first = evaluate_budgets(org, today=TODAY)
    again = evaluate_budgets(org, today=TODAY)
    assert again == []
    by_rule = {a.rule: a for a in first}
    # Platform at 55 % (projected 83 %); Engineering at 133 %, already over (so no "projected").
    assert set(by_rule) == {
        f"budget:{platform.pk}:t50",
        f"budget:{parent.pk}:t50",
        f"budget:{parent.pk}:t80",
        f"budget:{parent.pk}:t100",
    }
    t50 = by_rule[f"budget:{platform.pk}:t50"]
    assert t50.team_id == teams["platform"].pk and t50.person_id is None
    assert (
        t50.reason
        == "Team Platform's monthly budget has reached 50%: $665 of $1,200 spent with 10 days left."
    )
    assert t50.summary == "Team Platform's monthly budget has reached 50%. $665 of $1,200 spent."


@pytest.mark.django_db
def test_budget_form_takes_a_team_and_refuses_a_missing_or_foreign_one(admin_client, org, other_org, teams):
    url = reverse("alerts:budget_create")
    base = {"scope": "team", "period": "month", "amount": "900", "thresholds": "50, 80, 100"}
    response = admin_client.post(url, base)
    assert response.status_code == 400 and b"Choose the team this budget is for." in response.content
    foreign = create_team(other_org.pk, name="Globex ops")
    assert admin_client.post(url, {**base, "team": foreign.pk}).status_code == 400
    assert not Budget.objects.exists()
    assert admin_client.post(url, {**base, "team": teams["platform"].pk}).status_code == 302
    budget = Budget.objects.get()
    assert (budget.scope, budget.team_id, budget.person_id) == ("team", teams["platform"].pk, None)
    duplicate = admin_client.post(url, {**base, "team": teams["platform"].pk})
    assert (
        duplicate.status_code == 400 and b"already a calendar month budget for this team" in duplicate.content
    )
    page = admin_client.get(reverse("alerts:budgets")).content.decode()
    assert "Team Platform · Calendar month" in page
    edit = admin_client.get(reverse("alerts:budget_edit", args=[budget.pk]))
    assert edit.status_code == 200


# ---------------------------------------------------------------- share of a team's day

SPIKE_DAY = date(2026, 11, 30)
START = SPIKE_DAY - timedelta(days=29)


def _seed_team_month(org, teams, *, dana_spike=9_000, fay_leaves=None):
    """30 days: Dana $10, Eli $15, Fay $15 a day in Platform; Gus $80 a day in Sales (alone,
    so never a share of a team). On SPIKE_DAY Dana spends `dana_spike`."""
    daily = {"Dana": 1_000, "Eli": 1_500, "Fay": 1_500, "Gus": 8_000}
    members = {n: member(org, f"{n} Lee", f"{n.lower()}@acme.test") for n in daily}
    for offset in range(30):
        day = START + timedelta(days=offset)
        for name, cents in daily.items():
            spend = dana_spike if (name == "Dana" and day == SPIKE_DAY) else cents
            add_spend(org, members[name], day, spend)
    refresh(org, START, SPIKE_DAY)
    people = {n: Person.objects.get(organization=org, primary_email=f"{n.lower()}@acme.test") for n in daily}
    for name in ("Dana", "Eli", "Fay"):
        end = fay_leaves if name == "Fay" else None
        add_membership(people[name], teams["platform"], start=START - timedelta(days=30), end=end)
    add_membership(people["Gus"], teams["sales"], start=START - timedelta(days=30))
    refresh_team_days(org.pk)
    return people


@pytest.mark.django_db
def test_a_person_over_half_of_their_teams_day_is_an_anomaly_in_plain_words(org, teams, frozen):
    people = _seed_team_month(org, teams)
    for offset in range(14, 29):  # ordinary days: no one makes over half of a team's day
        day = START + timedelta(days=offset)
        frozen(day)
        detect_anomalies(org, today=day)
    assert not Alert.objects.filter(organization=org, rule="share_of_team").exists()
    frozen(SPIKE_DAY)
    raised = [a for a in detect_anomalies(org, today=SPIKE_DAY) if a.rule == "share_of_team"]
    # $90 of Platform's $120 (Dana $90 + Eli $15 + Fay $15); Engineering holds Platform.
    assert sorted((a.team.name, a.reason) for a in raised) == [
        ("Engineering", "Dana Lee spent $90 on 30 Nov, 75% of Engineering's $120 that day."),
        ("Platform", "Dana Lee spent $90 on 30 Nov, 75% of Platform's $120 that day."),
    ]
    platform = next(a for a in raised if a.team_id == teams["platform"].pk)
    assert platform.person_id == people["Dana"].pk
    assert platform.kind == Alert.Kind.SHARE_OF_TEAM
    assert platform.title == "Dana Lee made 75% of Platform's spend on 30 Nov"
    assert platform.summary == "One person made more than 50% of Platform's spend on 30 Nov."
    assert "Dana" not in platform.summary and "$" not in platform.summary
    # Re-evaluating the day raises nothing new.
    assert [a for a in detect_anomalies(org, today=SPIKE_DAY) if a.rule == "share_of_team"] == []
    assert Alert.objects.filter(organization=org, rule="share_of_team").count() == 2


@pytest.mark.django_db
def test_the_team_is_the_membership_valid_that_day(org, teams, frozen):
    """Fay left Platform the day before: that day Platform is Dana and Eli only, too few
    spenders for the rule, so nothing fires (the same spend fired with Fay in it above)."""
    _seed_team_month(org, teams, fay_leaves=SPIKE_DAY - timedelta(days=1))
    frozen(SPIKE_DAY)
    raised = detect_anomalies(org, today=SPIKE_DAY)
    assert [a for a in raised if a.rule == "share_of_team"] == []


# ---------------------------------------------------------------- personas on every page


@pytest.fixture
def scene(org, teams):
    """People, memberships and one alert of each audience, on 19 Nov."""
    day = date(2026, 11, 19)
    mk = lambda name: Person.objects.create(  # noqa: E731
        organization=org, name=name, primary_email=f"{name.split()[0].lower()}@acme.test"
    )
    dana, hal, gus = mk("Dana Lee"), mk("Hal Moss"), mk("Gus Ray")
    add_membership(dana, teams["platform"], start=date(2026, 10, 1))
    add_membership(hal, teams["platform"], start=date(2026, 10, 1), end=date(2026, 11, 5))
    add_membership(gus, teams["sales"], start=date(2026, 10, 1))

    def alert(
        rule, subject, *, person=None, team=None, on=day, title, reason, summary, kind=Alert.Kind.SPEND_SPIKE
    ):
        finding = Finding(
            kind=kind,
            rule=rule,
            subject=subject,
            period=on.isoformat(),
            title=title,
            reason=reason,
            summary=summary,
            day=on,
            person_id=person.pk if person else None,
            team_id=team.pk if team else None,
        )
        return raise_alert(org.pk, finding)[0]

    platform = teams["platform"]
    alerts = {
        "dana_team": alert("share_of_team", f"person:{dana.pk}:team:{platform.pk}", person=dana, team=platform,
                           kind=Alert.Kind.SHARE_OF_TEAM, title="Dana Lee made 75% of Platform's spend",
                           reason="Dana Lee spent $90, 75% of Platform's $120.",
                           summary="One person made more than 50% of Platform's spend."),
        "dana_spike": alert("spend_spike", f"person:{dana.pk}", person=dana, title="Unusual spend by Dana Lee",
                            reason="Dana Lee spent $182, 9× her usual.", summary="One person's spend was high."),
        # Hal left Platform on 5 Nov: his 19 Nov alert about Platform must not name him to the lead.
        "hal_team": alert("share_of_team", f"person:{hal.pk}:team:{platform.pk}", person=hal, team=platform,
                          kind=Alert.Kind.SHARE_OF_TEAM, title="Hal Moss made 80% of Platform's spend",
                          reason="Hal Moss spent $77, 80% of Platform's $96.",
                          summary="One person made more than 50% of Platform's spend (left the team)."),
        # ... but on 3 Nov he was in it: the lead may see that day's figures.
        "hal_old": alert("spend_spike", f"person:{hal.pk}", person=hal, on=date(2026, 11, 3),
                         title="Unusual spend by Hal Moss on 3 Nov", reason="Hal Moss spent $55 on 3 Nov.",
                         summary="One person's spend was high on 3 Nov."),
        "gus": alert("spend_spike", f"person:{gus.pk}", person=gus, title="Unusual spend by Gus Ray",
                     reason="Gus Ray spent $400, 5× his usual.", summary="One person's spend was high."),
        "org": alert("org_jump", "org", kind=Alert.Kind.ORG_JUMP, title="Organization spend jumped",
                     reason="The organization spent $2,000.", summary="The organization spent $2,000."),
    }  # fmt: skip
    budgets = {
        "platform": Budget.objects.create(organization=org, scope=Budget.Scope.TEAM, team=platform,
                                          period=Budget.Period.MONTH, amount_cents=100_000),
        "sales": Budget.objects.create(organization=org, scope=Budget.Scope.TEAM, team=teams["sales"],
                                       period=Budget.Period.MONTH, amount_cents=70_000),
        "dana": Budget.objects.create(organization=org, scope=Budget.Scope.PERSON, person=dana,
                                      period=Budget.Period.MONTH, amount_cents=9_000),
        "gus": Budget.objects.create(organization=org, scope=Budget.Scope.PERSON, person=gus,
                                     period=Budget.Period.MONTH, amount_cents=8_000),
        "org": Budget.objects.create(organization=org, period=Budget.Period.MONTH, amount_cents=500_000),
    }  # fmt: skip
    channel = create_channel(
        org, {"kind": "slack", "name": "Ops Slack", "url": "https://hooks.slack.test/T/B/xyz"}, user=None
    )
    return {"alerts": alerts, "budgets": budgets, "channel": channel, "dana": dana, "gus": gus, "hal": hal}


def _block(body: str, alert: Alert) -> str:
    """The alert's list item, unescaped (the page escapes apostrophes)."""
    return unescape(body.split(f'id="alert-{alert.pk}"', 1)[1].split("</li>", 1)[0])


def _admin_only_urls(scene):
    b, c = scene["budgets"]["platform"], scene["channel"]
    gets = [
        reverse("alerts:channels"),
        reverse("alerts:digest"),
        reverse("alerts:spend_limits"),
        reverse("alerts:budget_edit", args=[b.pk]),
    ]
    posts = [
        reverse("alerts:budget_create"),
        reverse("alerts:budget_edit", args=[b.pk]),
        reverse("alerts:budget_delete", args=[b.pk]),
        reverse("alerts:channel_create"),
        reverse("alerts:channel_test", args=[c.pk]),
        reverse("alerts:channel_toggle", args=[c.pk]),
        reverse("alerts:channel_delete", args=[c.pk]),
        reverse("alerts:spend_limits_review"),
        reverse("alerts:spend_limits_apply"),
    ]
    return gets, posts


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["owner_client", "admin_client"])
def test_owners_and_admins_see_every_alert_and_budget_with_names(request, persona, scene, frozen):
    frozen(TODAY)
    client = request.getfixturevalue(persona)
    body = client.get(reverse("alerts:index")).content.decode()
    for alert in scene["alerts"].values():
        assert alert.reason in _block(body, alert)
    budgets = client.get(reverse("alerts:budgets")).content.decode()
    for budget in scene["budgets"].values():
        assert f'id="budget-{budget.pk}"' in budgets
    assert "Add a budget" in budgets
    gets, _ = _admin_only_urls(scene)
    for url in gets:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_a_lead_sees_their_teams_alerts_only_worded_as_the_privacy_rule_allows(lead_client, scene, frozen):
    frozen(TODAY)
    a = scene["alerts"]
    response = lead_client.get(reverse("alerts:index"))
    assert response.status_code == 200
    body = response.content.decode()
    shown = {key for key, alert in a.items() if f'id="alert-{alert.pk}"' in body}
    assert shown == {"dana_team", "dana_spike", "hal_team", "hal_old"}
    assert a["dana_team"].reason in _block(body, a["dana_team"])
    assert a["dana_spike"].reason in _block(body, a["dana_spike"])
    assert a["hal_old"].reason in _block(body, a["hal_old"])
    hal_now = _block(body, a["hal_team"])
    assert a["hal_team"].summary in hal_now and "Hal" not in hal_now and "$" not in hal_now
    assert "Gus" not in body and "organization spent" not in body
    assert "4 open" in body  # the counts are the lead's alerts too
    # The deep link of an alert of another team shows nothing of it.
    linked = lead_client.get(reverse("alerts:index"), {"alert": a["gus"].pk}).content.decode()
    assert "Gus" not in linked
    # A filter by another team's person is refused as an invalid choice, showing nothing extra.
    filtered = lead_client.get(reverse("alerts:index"), {"person": scene["gus"].pk}).content.decode()
    assert "Gus Ray spent" not in filtered


@pytest.mark.django_db
def test_a_lead_acts_on_their_teams_alerts_and_gets_404_for_the_others(lead_client, lead_user, scene):
    a = scene["alerts"]
    ok = lead_client.post(reverse("alerts:acknowledge", args=[a["dana_team"].pk]), {"note": "talked to Dana"})
    assert ok.status_code == 302
    a["dana_team"].refresh_from_db()
    assert a["dana_team"].status == Alert.Status.ACKNOWLEDGED and a["dana_team"].acknowledged_by == lead_user
    assert lead_client.post(reverse("alerts:resolve", args=[a["hal_team"].pk])).status_code == 302
    for key in ("gus", "org"):
        for name in ("alerts:acknowledge", "alerts:resolve"):
            assert lead_client.post(reverse(name, args=[a[key].pk]), {"note": "x"}).status_code == 404
        a[key].refresh_from_db()
        assert a[key].status == Alert.Status.OPEN


@pytest.mark.django_db
def test_a_lead_sees_their_teams_and_peoples_budgets_read_only(lead_client, scene, frozen):
    frozen(TODAY)
    b = scene["budgets"]
    body = lead_client.get(reverse("alerts:budgets")).content.decode()
    shown = {key for key, budget in b.items() if f'id="budget-{budget.pk}"' in body}
    assert shown == {"platform", "dana"}
    assert "Team Platform · Calendar month" in body and "Gus" not in body and "Sales" not in body
    assert "Add a budget" not in body and "/edit" not in body
    gets, posts = _admin_only_urls(scene)
    for url in gets:
        assert lead_client.get(url).status_code == 403, url
    for url in posts:
        assert lead_client.post(url, {"scope": "organization", "amount": "1"}).status_code == 403, url
    assert Budget.objects.count() == 5 and Channel.objects.count() == 1


@pytest.mark.django_db
def test_a_member_is_refused_every_page_and_action(member_client, scene):
    a = scene["alerts"]
    gets, posts = _admin_only_urls(scene)
    for url in [reverse("alerts:index"), reverse("alerts:budgets"), *gets]:
        assert member_client.get(url).status_code == 403, url
    for url in [*posts, reverse("alerts:acknowledge", args=[a["dana_team"].pk]),
                reverse("alerts:resolve", args=[a["dana_team"].pk])]:  # fmt: skip
        assert member_client.post(url, {"note": "x"}).status_code == 403, url
    assert Alert.objects.filter(status=Alert.Status.OPEN).count() == len(a)


@pytest.mark.django_db
def test_an_outsider_gets_404_for_every_object_and_sees_none_of_it(outsider_client, scene):
    a, b, c = scene["alerts"], scene["budgets"], scene["channel"]
    for url in (reverse("alerts:index"), reverse("alerts:budgets")):
        body = outsider_client.get(url).content.decode()
        assert "Dana" not in body and "Platform" not in body
    assert outsider_client.get(reverse("alerts:budget_edit", args=[b["platform"].pk])).status_code == 404
    urls = [reverse("alerts:acknowledge", args=[a["dana_team"].pk]), reverse("alerts:resolve", args=[a["org"].pk]),
            reverse("alerts:budget_edit", args=[b["platform"].pk]),
            reverse("alerts:budget_delete", args=[b["platform"].pk]),
            reverse("alerts:channel_test", args=[c.pk]), reverse("alerts:channel_delete", args=[c.pk])]  # fmt: skip
    for url in urls:
        assert outsider_client.post(url, {"note": "mine"}).status_code == 404, url
    assert Budget.objects.count() == 5 and Alert.objects.filter(status=Alert.Status.OPEN).count() == len(a)


# ---------------------------------------------------------------- who is emailed what


@pytest.mark.django_db
def test_email_reaches_the_lead_of_the_team_in_the_words_they_may_read(
    org, owner, admin_user, member_user, lead_user, teams, django_capture_on_commit_callbacks
):
    create_channel(org, {"kind": "email", "name": "Mail"}, user=None)
    dana = Person.objects.create(organization=org, name="Dana Lee", primary_email="dana@acme.test")
    hal = Person.objects.create(organization=org, name="Hal Moss", primary_email="hal@acme.test")
    gus = Person.objects.create(organization=org, name="Gus Ray", primary_email="gus@acme.test")
    add_membership(dana, teams["platform"], start=date(2026, 10, 1))
    add_membership(hal, teams["platform"], start=date(2026, 10, 1), end=date(2026, 11, 5))
    add_membership(gus, teams["sales"], start=date(2026, 10, 1))
    platform, day = teams["platform"], date(2026, 11, 19)

    def send(person, team, reason, summary):
        finding = Finding(kind=Alert.Kind.SHARE_OF_TEAM, rule="share_of_team",
                          subject=f"person:{person.pk}:team:{team.pk if team else 0}", period=day.isoformat(),
                          title=f"{person.name} alert", reason=reason, summary=summary, day=day,
                          person_id=person.pk, team_id=team.pk if team else None)  # fmt: skip
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, finding)
        return {tuple(sorted(m.to)): m for m in mail.outbox}

    sent = send(dana, platform, "Dana Lee spent $90, 75% of Platform's $120.", "One person made most of it.")
    assert set(sent) == {("admin@acme.test", "owner@acme.test"), ("lead@acme.test",)}
    assert "Dana Lee spent $90" in sent[("lead@acme.test",)].body
    assert sent[("lead@acme.test",)].subject == "[Koalr] Dana Lee alert"

    sent = send(
        hal, platform, "Hal Moss spent $77, 80% of Platform's $96.", "One person made most of Platform's."
    )
    lead_mail = sent[("lead@acme.test",)]
    assert "Hal" not in lead_mail.body + lead_mail.subject and "$77" not in lead_mail.body
    assert "One person made most of Platform's." in lead_mail.body
    html, _ = lead_mail.alternatives[0]
    assert "Hal" not in html
    assert "Hal Moss spent $77" in sent[("admin@acme.test", "owner@acme.test")].body

    sent = send(gus, teams["sales"], "Gus Ray spent $400.", "One person made most of Sales'.")
    assert set(sent) == {("admin@acme.test", "owner@acme.test")}  # no lead for Sales; never the member
    assert not any("member@acme.test" in m.to for m in mail.outbox)


@pytest.mark.django_db
def test_a_lead_filtering_by_team_sees_that_teams_alerts_and_bad_filters_do_not_500(
    lead_client, scene, teams
):
    a = scene["alerts"]
    body = lead_client.get(reverse("alerts:index"), {"team": teams["platform"].pk}).content.decode()
    assert f'id="alert-{a["dana_team"].pk}"' in body and f'id="alert-{a["gus"].pk}"' not in body
    for bad in ({"person": "x"}, {"kind": "nope"}, {"team": teams["sales"].pk}):
        response = lead_client.get(reverse("alerts:index"), bad)
        assert response.status_code == 200 and "Gus" not in response.content.decode(), bad
    for nul in ({"team": "\x00"}, {"kind": "nope", "status": "\x00"}):  # koalr.middleware: a clear 400
        response = lead_client.get(reverse("alerts:index"), nul)
        assert response.status_code == 400 and "Gus" not in response.content.decode(), nul


def test_the_alerts_link_shows_for_owners_admins_and_team_leads_only(org, owner, admin_user, member_user):
    from django.test import Client

    from people.models import Team

    lead = member_user
    Team.objects.create(organization=org, name="Platform", slug="platform-nav", lead=lead)
    for user, expected in ((owner, True), (admin_user, True), (lead, True)):
        c = Client()
        c.force_login(user)
        assert ('href="/alerts/"' in c.get("/ai-analytics/").content.decode()) is expected
    Team.objects.filter(slug="platform-nav").update(lead=None)
    c = Client()
    c.force_login(member_user)
    assert 'href="/alerts/"' not in c.get("/ai-analytics/").content.decode()
