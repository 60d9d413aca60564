"""Who a synced row belongs to: Cursor emails (or user ids) to CursorMember ids, per organization."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from ..models import CursorMember
from .bulk import upsert

# Columns of a CursorMember upsert row, in order (the roster sync and the not-in-roster path).
MEMBER_COLUMNS = [
    "organization_id",
    "email",
    "cursor_user_id",
    "name",
    "role",
    "is_removed",
    "not_in_roster",
    "created_at",
    "updated_at",
]


def clip(value: str, limit: int) -> str:
    """Fit Cursor's free text into our column; Cursor documents no maximum lengths."""
    return value[:limit] if value and len(value) > limit else (value or "")


class MemberDirectory:
    """Email → CursorMember id for one organization, loaded once per sync.

    Usage rows can name people who are no longer (or never were) on /teams/members; those get
    a member row flagged ``not_in_roster`` the first time they are seen, created in one batch.
    """

    def __init__(self, organization_id: int):
        self.organization_id = organization_id
        self._ids: dict[str, int] = {}
        self._emails_by_user_id: dict[str, str] = {}
        self.refresh()

    def __contains__(self, email: str) -> bool:
        return email in self._ids

    def get(self, email: str) -> int | None:
        return self._ids.get(email)

    def ensure(self, emails: Iterable[str]) -> dict[str, int]:
        """Ids for ``emails``, creating not-in-roster members for the unknown ones."""
        missing = {e for e in emails if e and e not in self._ids}
        if missing:
            now = timezone.now()
            upsert(
                CursorMember,
                MEMBER_COLUMNS,
                [(self.organization_id, e, "", "", "", False, True, now, now) for e in sorted(missing)],
                conflict=["organization_id", "email"],
            )
            self.refresh(missing)
        return self._ids

    def email_for_user_id(self, user_id: str | None) -> str:
        """The email of the roster member with this Cursor user id ("" if unknown)."""
        return self._emails_by_user_id.get(user_id, "") if user_id else ""

    def refresh(self, emails: Iterable[str] | None = None) -> None:
        qs = CursorMember.objects.filter(organization_id=self.organization_id)
        if emails is not None:
            qs = qs.filter(email__in=list(emails))
        for pk, email, user_id in qs.values_list("id", "email", "cursor_user_id"):
            self._ids[email] = pk
            if user_id:
                self._emails_by_user_id[user_id] = email
