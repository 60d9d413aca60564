"""AI Code Tracking API records: AI-attributed commits and accepted AI changes."""

from __future__ import annotations

from ..records import AiChange, AiCommit
from ..values import (
    to_datetime,
    to_email,
    to_int,
    to_optional_bool,
    to_optional_datetime,
    to_optional_int,
    to_str,
    to_user_id,
)


def parse_ai_commit(r: dict) -> AiCommit:
    get = r.get
    commit_hash = to_str(r["commitHash"])
    if not commit_hash:
        raise KeyError("commitHash")
    return AiCommit(
        commit_hash=commit_hash,
        user_id=to_user_id(get("userId")),
        email=to_email(get("userEmail")),
        repo_name=to_str(get("repoName")),
        branch_name=to_str(get("branchName")),
        is_primary_branch=to_optional_bool(get("isPrimaryBranch")),
        commit_source=to_str(get("commitSource")),
        total_lines_added=to_int(get("totalLinesAdded")),
        total_lines_deleted=to_int(get("totalLinesDeleted")),
        tab_lines_added=to_int(get("tabLinesAdded")),
        tab_lines_deleted=to_int(get("tabLinesDeleted")),
        composer_lines_added=to_int(get("composerLinesAdded")),
        composer_lines_deleted=to_int(get("composerLinesDeleted")),
        non_ai_lines_added=to_optional_int(get("nonAiLinesAdded")),
        non_ai_lines_deleted=to_optional_int(get("nonAiLinesDeleted")),
        message=to_str(get("message")),
        commit_ts=to_optional_datetime(get("commitTs")),
        created_at=to_datetime(r["createdAt"]),
    )


def parse_ai_change(r: dict, *, _str=str, _int=int) -> AiChange:
    """One accepted AI change. Hot path (a backfill reads hundreds of thousands): the usual
    shape (strings, ints, ISO text) is read inline, anything else goes through ``values``."""
    get = r.get
    change_id = r["changeId"]
    if change_id.__class__ is not _str:
        change_id = to_str(change_id)
    if not change_id:
        raise KeyError("changeId")
    metadata = get("metadata")
    if metadata is None:
        metadata = []
    elif metadata.__class__ is not list:
        raise TypeError("metadata is not a list")
    user_id, email, source, model = get("userId"), get("userEmail"), get("source"), get("model")
    added, deleted = get("totalLinesAdded"), get("totalLinesDeleted")
    return AiChange(
        change_id,
        user_id.strip() if user_id.__class__ is _str else to_user_id(user_id),
        email.strip().lower() if email.__class__ is _str else to_email(email),
        source if source.__class__ is _str else to_str(source),
        model if model.__class__ is _str else to_str(model),
        added if added.__class__ is _int else to_int(added),
        deleted if deleted.__class__ is _int else to_int(deleted),
        to_datetime(r["createdAt"]),
        metadata,
    )
