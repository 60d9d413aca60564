import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from koalr.accounts.models import Membership, Organization, User
from tests.factories import DEFAULT_PASSWORD, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-uncommon-passphrase"


def _run(*args):
    out = StringIO()
    call_command("createorg", *args, stdout=out)
    return out.getvalue()


def _state():
    return (
        sorted(Organization.objects.values_list("slug", flat=True)),
        sorted(User.objects.values_list("email", flat=True)),
        Membership.objects.count(),
    )


def test_creates_org_and_new_owner_with_the_given_password():
    out = _run("initech", "--name", "Initech", "--owner", "Bill@Initech.test", "--password", PASSWORD)

    org = Organization.objects.get(slug="initech")
    assert org.name == "Initech"
    membership = Membership.objects.get(organization=org)
    assert membership.role == Membership.Role.OWNER
    assert membership.user.email == "bill@initech.test"
    assert membership.user.check_password(PASSWORD)
    assert "Created organization Initech (initech)" in out
    assert PASSWORD not in out


def test_prints_a_generated_password_that_works():
    out = _run("initech", "--name", "Initech", "--owner", "bill@initech.test")
    generated = re.search(r"Generated password for bill@initech.test: (\S+)", out).group(1)
    assert len(generated) >= 12
    assert User.objects.get(email="bill@initech.test").check_password(generated)


def test_attaches_an_existing_user_without_touching_their_password():
    user = UserFactory(email="bill@initech.test")
    out = _run("initech", "--name", "Initech", "--owner", "bill@initech.test", "--password", PASSWORD)
    assert Membership.objects.get(organization__slug="initech").user == user
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert "password was left unchanged" in out
    assert "Generated password" not in out


def test_slug_taken_fails_cleanly_and_creates_nothing():
    OrganizationFactory(slug="initech")
    before = _state()
    with pytest.raises(CommandError, match='The slug "initech" is already taken.'):
        _run("initech", "--name", "Initech", "--owner", "bill@initech.test")
    assert _state() == before


def test_a_second_run_fails_cleanly():
    _run("initech", "--name", "Initech", "--owner", "bill@initech.test")
    before = _state()
    with pytest.raises(CommandError, match="already taken"):
        _run("initech", "--name", "Initech", "--owner", "bill@initech.test")
    assert _state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["initech", "--name", "Initech", "--owner", "not-an-email"], "Enter a valid email address."),
        (["init tech", "--name", "Initech", "--owner", "b@i.test"], "A slug may only contain"),
        (["initech", "--name", "  ", "--owner", "b@i.test"], "Enter your organization's name."),
        (["initech", "--name", "Initech", "--owner", "b@i.test", "--password", "123"], "too short"),
    ],
)
def test_bad_input_fails_with_a_clear_message_and_creates_nothing(args, message):
    before = _state()
    with pytest.raises(CommandError, match=re.escape(message)):
        _run(*args)
    assert _state() == before


def test_missing_required_options_fail():
    with pytest.raises(CommandError):
        _run("initech")
