"""Email verification: a signed, expiring link proves a person reads the address they gave.

The link carries the user's id, their email and the organization they asked for, signed
with SECRET_KEY (django.core.signing, timestamped) and valid for `EMAIL_VERIFICATION_MAX_AGE`.
Nothing is stored: a link stops working once the address is verified (so it works once), when
the account's email changes, and when it expires.

Until verified, an account may log in but may not create an organization. Accepting an invite
needs the invite's link, which was mailed to the address, so it verifies the account too.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import User
from .rules import AccountsError, normalize_email, validate_password

SALT = "koalr.accounts.verify-email"


class LinkInvalid(AccountsError):
    """The verification link is malformed, expired, or for an address that changed."""


@dataclass(frozen=True)
class Verification:
    user: User
    organization_name: str
    already_verified: bool


def mark_verified(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
            email_verified_at=user.email_verified_at
        )


def make_link_token(user: User, organization_name: str = "") -> str:
    return signing.dumps({"u": user.pk, "e": user.email, "o": organization_name}, salt=SALT, compress=True)


def read_link_token(token: str) -> Verification:
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise LinkInvalid("This verification link has expired. Log in and ask for a new one.") from None
    except signing.BadSignature:
        raise LinkInvalid(
            "This verification link is not valid. Check that you copied the whole link."
        ) from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first() if isinstance(data, dict) else None
    if user is None or user.email.lower() != str(data.get("e", "")).lower():
        raise LinkInvalid("This verification link is not valid any more.")
    return Verification(
        user=user, organization_name=str(data.get("o") or ""), already_verified=user.email_verified
    )


def _send(template: str, email: str, context: dict) -> None:
    send_mail(
        subject=render_to_string(f"accounts/email/{template}_subject.txt", context).strip(),
        message=render_to_string(f"accounts/email/{template}_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )


def send_verification(user: User, organization_name: str, build_absolute_uri) -> None:
    url = build_absolute_uri(
        reverse("accounts:verify_email", args=[make_link_token(user, organization_name)])
    )
    _send(
        "verify",
        user.email,
        {
            "user": user,
            "organization_name": organization_name,
            "verify_url": url,
            "days": settings.EMAIL_VERIFICATION_MAX_AGE.days,
        },
    )


def signup(*, email, password, organization_name, build_absolute_uri, first_name="", last_name="") -> None:
    """Sign-up without telling whether the address has an account.

    A new address gets an unverified account and a link that creates `organization_name` when
    followed. An address that already has an account gets an email saying so (with the log-in
    and reset links) and nothing changes. The caller shows the same "check your email" page.
    """
    email = normalize_email(email)
    organization_name = (organization_name or "").strip()
    if not organization_name:
        raise AccountsError("Enter your organization's name.", field="organization_name")
    candidate = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    # Checked for every address alike, so a weak-password error cannot reveal anything either.
    validate_password(password, candidate)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        candidate.set_password(password)
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:  # a concurrent sign-up for the same address won
            existing = User.objects.filter(email__iexact=email).first()
        else:
            send_verification(candidate, organization_name, build_absolute_uri)
            return
    make_password(password)  # the same hashing work either way: no timing difference to read
    if existing is not None:
        _send(
            "already_registered",
            existing.email,
            {
                "user": existing,
                "login_url": build_absolute_uri(reverse("accounts:login")),
                "reset_url": build_absolute_uri(reverse("accounts:password_reset")),
            },
        )
