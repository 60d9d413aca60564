"""manage.py create_api_token: prints a working token for automation."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from koalr.accounts.models import ApiToken, hash_token

from .conftest import bearer_client

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_prints_a_token_that_works_and_is_stored_hashed(org, admin_user):
    raw, err = run("--org", "acme", "--user", "ADMIN@acme.test", "--name", "nightly")
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert (token.organization, token.user, token.name) == (org, admin_user, "nightly")
    assert raw not in err
    assert bearer_client(raw).get("/api/v1/orgs/acme/members").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--user", "admin@acme.test"], "No organization"),
        (["--org", "acme", "--user", "nobody@acme.test"], "No user"),
        (["--org", "acme", "--user", "outsider@globex.test"], "not a member"),
    ],
)
def test_refuses_unknown_org_user_or_non_member(org, admin_user, outsider, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()
