"""What each component.yaml says about a component's role, and the checks on it."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.model.components import Component, Instance, all_components
from harness.model.config import load_model
from harness.model.scenario import load_scenario
from harness.paths import ROOT
from harness.upgrade import plan


def test_the_window_roles_come_from_component_yaml():
    defined = all_components()
    roles = {name: c.upgrade for name, c in defined.items() if not c.library}
    assert roles == {"backend": "restart", "broker": "none", "builder": "replace", "database": "none",
                     "distgit": "restart", "frontend": "migrate", "keygen": "restart"}
    assert defined["frontend"].database == "database"
    assert [name for name, c in defined.items() if c.users] == ["frontend"]
    # What a dependant waits for where a component publishes no port (kube init containers).
    assert {n: c.service_port for n, c in defined.items() if c.service_port} == {
        "builder": 22, "database": 5432, "keygen": 5003}


def test_the_plan_follows_the_roles():
    _, scenario = load_scenario(ROOT / "scenarios" / "release-good.yaml")
    steps = {s.component: s for s in plan.make(scenario).steps}
    assert steps["frontend"].migrate and not steps["frontend"].replace
    assert steps["builder"].replace and not steps["builder"].migrate
    assert not steps["backend"].migrate and not steps["backend"].replace
    assert "database" not in steps


def test_migrate_needs_the_database_it_migrates(tmp_path):
    path = tmp_path / "component.yaml"
    path.write_text("packages: [copr-frontend]\nupgrade: migrate\nprobe:\n  exec: [\"true\"]\n")
    with pytest.raises(InputError, match="'upgrade: migrate' and 'database' go together"):
        load_model(path, Component)
    path.write_text("upgrade: upgrade-in-place\nprobe:\n  exec: [\"true\"]\n")
    with pytest.raises(InputError, match="upgrade"):
        load_model(path, Component)


def test_instances_are_named_once_with_their_short_name_and_aliases():
    defined = all_components()
    assert defined["frontend"].instances("r1") == [Instance("r1-frontend", "frontend", ["frontend", "copr-fe"])]
    assert defined["builder"].instances("r1") == [
        Instance("r1-builder-1", "builder-1", ["builder-1"]),
        Instance("r1-builder-2", "builder-2", ["builder-2"])]


def test_upgrade_restarts_defaults_to_every_service_and_is_checked(tmp_path):
    """component.yaml's upgrade_restarts: absent means every service; a bad value is one line
    naming the file and the field. Only the backend's step restarts a part of its services
    (copr-backend's dispatchers and log drain; its redis, allocator and results server stay up)."""
    restarts = {name: c.upgrade_restarts for name, c in all_components().items()
                if c.upgrade_restarts is not None}
    assert restarts == {"backend": ["copr-backend-build", "copr-backend-action", "copr-backend-log"]}
    path = tmp_path / "component.yaml"
    probe = "probe:\n  exec: [\"true\"]\n"
    path.write_text(f"upgrade_restarts: [copr-backend-build, copr-backend-log]\n{probe}")
    assert load_model(path, Component).upgrade_restarts == ["copr-backend-build", "copr-backend-log"]
    for value, why in [("[]", "lists no service"),
                       ("[a, a]", "service 'a' is listed twice"),
                       ("['../x']", "'../x' is not a service name"),
                       ("[a]\nupgrade: replace", "this one's upgrade is 'replace'")]:
        path.write_text(f"upgrade_restarts: {value}\n{probe}")
        with pytest.raises(InputError) as error:
            load_model(path, Component)
        assert str(error.value).startswith(f"{path}:1: upgrade_restarts: ")
        assert why in str(error.value) and error.value.exit_code == 2
