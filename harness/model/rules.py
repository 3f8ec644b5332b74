"""The rules a rehearsal judges, by name: the one list that scenarios (`expect.failed_rules`), the
plan's predicted problems and the rehearsal's verdict all use."""

from __future__ import annotations

from enum import StrEnum


class RuleName(StrEnum):
    RPM_TRANSACTIONS = "rpm-transactions"
    COMPONENTS_START = "components-start"
    BACKEND_WAITED = "backend-waited"
    NO_NEWER_FRONTEND_JOBS = "no-newer-frontend-jobs"
    BUILDER_VERSION_GATE = "builder-version-gate"
    BUILDS_COMPLETED = "builds-completed"
    FINAL_NVRS = "final-nvrs"
    NO_DATA_LOST = "no-data-lost"
    WINDOW_BUDGET = "window-budget"
    POST_RELEASE_SUITE = "post-release-suite"
    # Judged only when the stack has a broker (harness/upgrade/message_rule.py).
    MESSAGE_SCHEMAS = "message-schemas"


RULES = tuple(rule.value for rule in RuleName)
