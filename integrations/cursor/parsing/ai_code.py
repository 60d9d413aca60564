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


def parse_ai_change(r: dict) -> AiChange:
    get = r.get
    change_id = to_str(r["changeId"])
    if not change_id:
        raise KeyError("changeId")
    metadata = get("metadata")
    if metadata is None:
        metadata = []
    elif metadata.__class__ is not list:
        raise TypeError("metadata is not a list")
    return AiChange(
        change_id=change_id,
        user_id=to_user_id(get("userId")),
        email=to_email(get("userEmail")),
        source=to_str(get("source")),
        model=to_str(get("model")),
        total_lines_added=to_int(get("totalLinesAdded")),
        total_lines_deleted=to_int(get("totalLinesDeleted")),
        created_at=to_datetime(r["createdAt"]),
        metadata=metadata,
    )
