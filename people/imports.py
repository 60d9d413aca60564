"""Teams from a CSV file: parse and check every row, preview the changes, apply all or nothing.

Columns: `email,team` required; `cost_centre,parent_team,lead_email,github_login` optional
(header names case-insensitive, in any order). Emails are matched case-insensitively
through every alias, including people only seen in a tool's usage; an unknown email becomes
a new person. A team is matched by its name (case-insensitive) or slug, else created.
Imports add: a person already in a team stays in it, nobody is removed. If any row is
invalid nothing is applied, and each error names its line (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from koalr.accounts.models import Membership

from .models import Person, PersonEmail, Team, TeamMembership
from .teams import Action, audit, create_team, rebuild_closure

REQUIRED = ("email", "team")
OPTIONAL = ("cost_centre", "parent_team", "lead_email", "github_login")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


@dataclass
class TeamPlan:
    name: str
    key: str  # slugified name: how rows and existing teams are matched
    existing: Team | None = None
    cost_centre: str | None = None  # None: not given (leave as is)
    parent_key: str | None = None
    lead_email: str | None = None
    line: int = 0
    origins: dict = field(default_factory=dict)  # attribute → the line that set it

    def changes(self, teams_by_key) -> list[str]:
        """What applying changes on an existing team, in words (empty: nothing)."""
        if self.existing is None:
            return []
        out = []
        team = self.existing
        if self.cost_centre is not None and self.cost_centre != team.cost_centre:
            out.append(f"cost centre “{team.cost_centre or '—'}” → “{self.cost_centre or '—'}”")
        if self.parent_key is not None:
            current = team.parent.slug if team.parent_id else ""
            wanted = teams_by_key[self.parent_key].slug_for_display if self.parent_key else ""
            if wanted != current:
                out.append(f"parent “{current or '—'}” → “{wanted or '—'}”")
        if self.lead_email is not None:
            current = team.lead.email if team.lead_id else ""
            if self.lead_email != current:
                out.append(f"lead “{current or '—'}” → “{self.lead_email or '—'}”")
        return out

    @property
    def slug_for_display(self) -> str:
        return self.existing.slug if self.existing else self.key


@dataclass
class ImportPlan:
    organization_id: int
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    teams: dict[str, TeamPlan] = field(default_factory=dict)
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # line, email, team key
    people: dict[str, int | None] = field(default_factory=dict)  # email → person id (None: new)
    github_logins: dict[str, str] = field(default_factory=dict)  # email → login
    leads: dict[str, object] = field(default_factory=dict)  # email → User

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def error(self, line: int, message: str):
        self.errors.append((line, message))

    # The preview: what applying would change, in the user's words.
    @property
    def new_teams(self) -> list[TeamPlan]:
        return [t for t in self.teams.values() if t.existing is None]

    @property
    def changed_teams(self) -> list[tuple[TeamPlan, list[str]]]:
        return [(t, c) for t in self.teams.values() if (c := t.changes(self.teams))]

    @property
    def new_people(self) -> list[str]:
        return sorted(e for e, pk in self.people.items() if pk is None)

    def new_memberships(self) -> list[tuple[str, str]]:
        """(email, team key) for each row that puts someone in a team they are not in now."""
        current = set()
        existing_ids = {t.existing.pk: key for key, t in self.teams.items() if t.existing}
        person_ids = {pk: e for e, pk in self.people.items() if pk}
        if existing_ids and person_ids:
            for person_id, team_id in TeamMembership.objects.filter(
                organization_id=self.organization_id,
                team_id__in=existing_ids,
                person_id__in=person_ids,
                end__isnull=True,
            ).values_list("person_id", "team_id"):
                current.add((person_ids[person_id], existing_ids[team_id]))
        seen, out = set(), []
        for _, email, key in self.rows:
            if (email, key) not in current and (email, key) not in seen:
                seen.add((email, key))
                out.append((email, key))
        return out

    def preview_memberships(self) -> list[tuple[str, str]]:
        """(email, team name) of the memberships applying adds."""
        return [(email, self.teams[key].name) for email, key in self.new_memberships()]

    @property
    def unchanged_rows(self) -> int:
        return len({(e, k) for _, e, k in self.rows}) - len(self.new_memberships())

    def summary(self) -> str:
        return (
            f"{len(self.rows)} rows: {len(self.new_teams)} new teams, {len(self.changed_teams)} teams changed, "
            f"{len(self.new_people)} new people, {len(self.new_memberships())} team memberships added"
        )


def _decode(data: bytes | str, plan: ImportPlan) -> str | None:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if len(data) > MAX_BYTES:
        plan.error(0, f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        plan.error(0, "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
        return None


def parse(organization_id: int, data: bytes | str) -> ImportPlan:
    """Check the whole file against the organization's directory; never raises on bad input."""
    plan = ImportPlan(organization_id)
    text = _decode(data, plan)
    if text is None:
        return plan
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            plan.error(1, "The file is empty: the first line must name the columns, e.g. email,team.")
            return plan
        columns = [h.strip().lower().replace(" ", "_") for h in header]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            plan.error(1, f"Missing column(s): {', '.join(missing)}. Required: email, team.")
            return plan
        unknown = [c for c in columns if c and c not in REQUIRED + OPTIONAL]
        if unknown:
            plan.notes.append(f"Ignored column(s): {', '.join(unknown)}.")
        records = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(records) >= MAX_ROWS:
                plan.error(line, f"At most {MAX_ROWS:,} rows can be imported at once.")
                return plan
            if len(row) > len(columns):
                plan.error(line, f"{len(row)} values for {len(columns)} columns.")
                continue
            records.append(
                (line, {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns)})
            )
    except csv.Error as exc:
        plan.error(reader.line_num, f"Not a readable CSV file ({exc}).")
        return plan
    _check_rows(plan, records)
    if not plan.rows and not plan.errors:
        plan.error(2, "The file has a header but no rows.")
    return plan


def _team_key(name: str) -> str:
    return slugify(name)[:80]


def _check_rows(plan: ImportPlan, records) -> None:
    org_id = plan.organization_id
    # An existing team is known by its slug (its key here) and by its name.
    teams = list(Team.objects.filter(organization_id=org_id).select_related("parent", "lead"))
    existing = {team.slug: team for team in teams}
    for team in teams:
        existing.setdefault(_team_key(team.name), team)

    def resolve(name: str) -> str:
        key = _team_key(name)
        return existing[key].slug if key in existing else key

    emails = {r["email"].lower() for _, r in records if r.get("email")}
    leads = {r["lead_email"].lower() for _, r in records if r.get("lead_email")}
    known = dict(
        PersonEmail.objects.filter(organization_id=org_id, email__in=emails).values_list("email", "person_id")
    )
    users = {
        m.user.email.lower(): m.user
        for m in Membership.objects.filter(organization_id=org_id, user__email__in=leads).select_related(
            "user"
        )
    }
    logins_taken = dict(
        Person.objects.filter(organization_id=org_id)
        .exclude(github_login="")
        .values_list("github_login", "primary_email")
    )
    logins_taken = {login.lower(): email for login, email in logins_taken.items()}
    parents_wanted = []
    for line, r in records:
        email, team_name = r["email"].lower(), r["team"]
        bad = False
        try:
            validate_email(email)
        except ValidationError:
            plan.error(line, f"“{r['email'][:100]}” is not a valid email address.")
            bad = True
        key = resolve(team_name)
        if not key:
            plan.error(
                line,
                "The team is empty." if not team_name else f"“{team_name[:100]}” is not a usable team name.",
            )
            bad = True
        elif len(team_name) > 120:
            plan.error(line, "A team name can be at most 120 characters.")
            bad = True
        login = r.get("github_login", "")
        if login:
            if not GITHUB_LOGIN.match(login):
                plan.error(line, f"“{login[:60]}” is not a GitHub login.")
                bad = True
            elif (
                logins_taken.get(login.lower(), email) != email
                or plan.github_logins.get(email, login) != login
            ):
                plan.error(
                    line, f"The GitHub login “{login}” belongs to someone else in this file or directory."
                )
                bad = True
        lead = r.get("lead_email", "").lower()
        if lead and lead not in users:
            plan.error(line, f"The lead “{lead[:100]}” is not a Koalr user of this organization.")
            bad = True
        if bad:
            continue
        team = plan.teams.get(key)
        if team is None:
            team = plan.teams[key] = TeamPlan(name=team_name, key=key, existing=existing.get(key), line=line)
        for attribute, value in (
            ("cost_centre", r.get("cost_centre") if "cost_centre" in r else None),
            ("parent_key", resolve(r["parent_team"]) if r.get("parent_team") else None),
            ("lead_email", lead or None),
        ):
            if not value:  # not given: the team keeps what it has
                continue
            current = getattr(team, attribute)
            if current is not None and current != value:
                what = {"parent_key": "parent team", "cost_centre": "cost centre", "lead_email": "lead"}[
                    attribute
                ]
                plan.error(
                    line,
                    f"Team “{team.name}” is given two different {what}s (see line {team.origins[attribute]}).",
                )
                bad = True
            else:
                setattr(team, attribute, value)
                team.origins.setdefault(attribute, line)
        if bad:
            continue
        if r.get("parent_team"):
            parents_wanted.append((line, key, team.parent_key, r["parent_team"]))
        if login:
            plan.github_logins[email] = login
            logins_taken[login.lower()] = email
        if lead:
            plan.leads[lead] = users[lead]
        plan.people[email] = known.get(email)
        plan.rows.append((line, email, key))
    for line, key, parent_key, raw in parents_wanted:
        if parent_key == key:
            plan.error(line, f"Team “{plan.teams[key].name}” cannot be its own parent.")
        elif parent_key not in plan.teams and parent_key not in existing:
            plan.error(line, f"The parent team “{raw[:100]}” is neither in this file nor in the directory.")
        elif parent_key not in plan.teams:
            plan.teams[parent_key] = TeamPlan(
                name=existing[parent_key].name, key=parent_key, existing=existing[parent_key]
            )
    if not plan.errors:
        _check_cycles(plan, existing)
    plan.errors.sort()


def _check_cycles(plan: ImportPlan, existing: dict) -> None:
    """The tree after the import: every team's parent as the file sets it, else as today."""
    parent_of = {team.slug: team.parent.slug for team in existing.values() if team.parent_id}
    for key, team in plan.teams.items():
        if team.parent_key is not None:
            parent_of[key] = team.parent_key
    for key, team in plan.teams.items():
        if not team.line:  # only named as a parent: its own line, if any, reports the cycle
            continue
        seen, current = {key}, parent_of.get(key)
        while current is not None:
            if current in seen:
                plan.error(
                    team.line, f"Team “{team.name}” would end up inside itself (a cycle of parent teams)."
                )
                break
            seen.add(current)
            current = parent_of.get(current)


@transaction.atomic
def apply(plan: ImportPlan, *, today: date, actor=None) -> dict:
    """Apply a plan without errors (re-checked against the directory by the caller's
    `parse` just before). Memberships start on `today`. Returns the counts applied."""
    if not plan.ok:
        raise ValueError("An import with errors is never applied.")
    org_id = plan.organization_id
    teams: dict[str, Team] = {}
    for key, tp in plan.teams.items():
        if tp.existing is not None:
            teams[key] = tp.existing
        else:
            teams[key] = create_team(org_id, name=tp.name, actor=actor)
    changed = 0
    for key, tp in plan.teams.items():
        team = teams[key]
        before = (team.cost_centre, team.parent_id, team.lead_id)
        if tp.cost_centre is not None:
            team.cost_centre = tp.cost_centre[:80]
        if tp.parent_key is not None:
            team.parent = teams[tp.parent_key]
        if tp.lead_email is not None:
            team.lead = plan.leads.get(tp.lead_email)
        if (team.cost_centre, team.parent_id, team.lead_id) != before:
            team.save()
            changed += tp.existing is not None
    rebuild_closure(org_id)
    from .services import people_for_emails

    person_ids = people_for_emails(org_id, plan.people)
    for email, login in plan.github_logins.items():
        Person.objects.filter(organization_id=org_id, pk=person_ids[email]).update(github_login=login)
    new_memberships = plan.new_memberships()
    TeamMembership.objects.bulk_create(
        TeamMembership(organization_id=org_id, person_id=person_ids[email], team=teams[key], start=today)
        for email, key in new_memberships
    )
    counts = {
        "teams_created": len(plan.new_teams),
        "teams_changed": changed,
        "people_created": len(plan.new_people),
        "memberships_added": len(new_memberships),
    }
    audit(org_id, actor, Action.TEAMS_IMPORTED, plan.summary())
    return counts
