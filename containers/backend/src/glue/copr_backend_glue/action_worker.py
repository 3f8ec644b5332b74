"""The action worker copr-backend 2.11 spawns as `copr-backend-process-action --daemon
--task-id N --worker-id W`. Upstream defines its class in the launcher script itself (the
sdist has neither), so it is written here from the contract: fetch `action/<id>/` from the
frontend, run it with copr_backend.actions.Action, and leave the result in the worker's redis
flag `status`, where the action dispatcher reads it and reports it to the frontend."""

from __future__ import annotations

from copr_backend.actions import Action
from copr_backend.background_worker import BackendBackgroundWorker
from copr_common.enums import BackendResultEnum


class ActionBackgroundWorker(BackendBackgroundWorker):
    """Runs one action of the frontend's queue."""

    # Its log lines go to /var/log/copr-backend/actions.log (the log drain's file name).
    redis_logger_id = "actions"

    @classmethod
    def adjust_arg_parser(cls, parser):
        parser.add_argument("--task-id", type=int, required=True, help="the action's id")

    def _run(self, action_id: int) -> int:
        response = self.frontend_client.get(f"action/{action_id}")
        if response.status_code != 200:
            self.log.error("action %s: the frontend answered %s", action_id, response.status_code)
            return BackendResultEnum("failure")
        action = Action.create_from(self.opts, response.json(), log=self.log)
        self.log.info("action %s: running %s", action_id, action)
        try:
            return action.run()
        except Exception:  # noqa: BLE001 - any crash is the action's failure, not the worker's
            self.log.exception("action %s crashed", action_id)
            return BackendResultEnum("failure")

    def handle_task(self):
        action_id = self.args.task_id
        result = BackendResultEnum("failure")
        try:
            result = self._run(action_id)
        finally:
            self.log.info("action %s ended: %s", action_id, BackendResultEnum(int(result)))
            self.redis_set_worker_flag("status", str(result))
