"""Scenario and component validation: every error names the file, line and field."""

import textwrap

import pytest

from harness.errors import InputError
from harness.model.components import Component, start_order
from harness.model.config import load_model
from harness.model.scenario import DEFAULT_SCENARIO, load_scenario
from tests.support.scenarios import SMALL


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


GOOD = SMALL


def test_default_scenario_is_valid():
    path, scenario = load_scenario(None)
    assert path == DEFAULT_SCENARIO
    assert "frontend" in scenario.components
    assert scenario.package_set("candidate")["copr-frontend"].evr == "2.7-1"


def test_good_scenario_loads(tmp_path):
    _, scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.candidate["copr-frontend"].macros["fe_be_api_version"] == 9


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "candidate:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(InputError) as error:
        load_scenario(path)
    assert f"{path}:" in str(error.value) and "malformed YAML" in str(error.value)
    assert error.value.exit_code == 2


def test_unknown_component_names_field_and_line(tmp_path):
    path = write(tmp_path, GOOD.replace("[database, frontend]", "[database, fronted]"))
    with pytest.raises(InputError, match=rf"{path}:1: components: unknown component 'fronted'"):
        load_scenario(path)


def test_bad_version_names_the_package_field(tmp_path):
    path = write(tmp_path, GOOD.replace('version: "2.7"', 'version: "2.7-1"'))
    with pytest.raises(InputError, match=r":5: candidate\.copr-frontend\.version: '2.7-1' is not an RPM version"):
        load_scenario(path)


def test_unquoted_float_version_is_explained(tmp_path):
    path = write(tmp_path, GOOD.replace('version: "2.7"', "version: 2.10"))
    with pytest.raises(InputError, match="write it in quotes"):
        load_scenario(path)


def test_unknown_package_is_named(tmp_path):
    path = write(tmp_path, GOOD + "  copr-nonsense: {version: '1'}\n")
    with pytest.raises(InputError, match="unknown package 'copr-nonsense'"):
        load_scenario(path)


def test_component_package_missing_from_the_set(tmp_path):
    path = write(tmp_path, GOOD.replace('  python3-copr-common: {pypi: "copr-common==1.7"}\n', ""))
    with pytest.raises(InputError, match="installs 'python3-copr-common', which this set does not list"):
        load_scenario(path)


def test_typo_in_a_field_is_caught(tmp_path):
    path = write(tmp_path, GOOD.replace("macros:", "macro:"))
    with pytest.raises(InputError, match=r"candidate\.copr-frontend\.macro: unknown field"):
        load_scenario(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_component_probe_port_must_be_published(tmp_path):
    path = write(tmp_path, "ports: [80]\nprobe: {http: {port: 81}}\n", "component.yaml")
    with pytest.raises(InputError, match=r"component.yaml:1: .*probe port 81 is not among 'ports'"):
        load_model(path, Component)


def test_component_probe_needs_one_kind(tmp_path):
    path = write(tmp_path, "probe: {timeout: 5}\n", "component.yaml")
    with pytest.raises(InputError, match="exactly one of 'http' or 'exec'"):
        load_model(path, Component)


def test_start_order_puts_dependencies_first():
    assert start_order(["frontend", "database"]) == [["database"], ["frontend"]]


def test_upgrade_restarts_replaces_the_components_services_in_one_scenario(tmp_path):
    _, scenario = load_scenario(write(tmp_path, GOOD + "upgrade_restarts: {frontend: [copr-frontend]}\n"))
    assert scenario.restarts_of("frontend") == ["copr-frontend"]
    assert scenario.restarts_of("database") is None  # component.yaml's default: every service


@pytest.mark.parametrize("value, why", [
    ("{fronted: [x]}", "upgrade_restarts: unknown component 'fronted'"),
    ("{frontend: []}", "upgrade_restarts.frontend: lists no service"),
    ("{builder: [sshd]}", "upgrade_restarts.builder: only a component upgraded in place"),
    ("{frontend: ['a b']}", "upgrade_restarts.frontend: 'a b' is not a service name")])
def test_a_bad_upgrade_restarts_names_file_line_and_field(tmp_path, value, why):
    path = write(tmp_path, GOOD + f"upgrade_restarts: {value}\n")
    with pytest.raises(InputError) as error:
        load_scenario(path)
    assert str(error.value).startswith(f"{path}:7: ") and why in str(error.value)
    assert error.value.exit_code == 2


def test_the_broker_is_in_the_default_stack_and_only_in_scenarios_that_list_it(tmp_path):
    text = "\n".join(line for line in DEFAULT_SCENARIO.read_text().splitlines()
                      if not line.startswith("components:"))
    (tmp_path / "patches").symlink_to(DEFAULT_SCENARIO.with_name("patches"))
    _, unlisted = load_scenario(write(tmp_path, text))
    assert "broker" not in unlisted.components and "backend" in unlisted.components
    _, default = load_scenario(DEFAULT_SCENARIO)
    assert "broker" in default.components
    broker = load_model(DEFAULT_SCENARIO.parents[1] / "containers" / "broker" / "component.yaml",
                        Component)
    # Reached by tests on loopback only (the engine publishes on 127.0.0.1), memory bounded.
    assert broker.ports == [5672] and broker.memory_mb and broker.opt_in
