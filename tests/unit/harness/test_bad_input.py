"""Bad input: each case prints one line naming the culprit, exits 2 (1 for a set rpm would
refuse, 3 for infrastructure) and touches no Podman resource (a fake engine records any use)."""

import shutil
import subprocess
import textwrap

import pytest

from harness import cli, paths
from harness.artifacts import packages
from harness.errors import InputError, PackageError
from harness.model.scenario import PackageVersion, load_scenario
from harness.paths import ROOT
from harness.podman.engine import Engine
from harness.upgrade import plan
from tests.support.fake_engine import FakeEngine
from tests.support.scenarios import SMALL, common_package

needs_rpm = pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild is not installed")

GOOD = SMALL


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def own_cache(module_cache, monkeypatch):
    """RPMs are built into a cache of this module's own, shared by its tests."""
    monkeypatch.setattr(packages, "CACHE", module_cache)


@pytest.fixture
def engine(monkeypatch):
    fake = FakeEngine(strict=True)

    def connect(cls, **kwargs):
        fake.connected = True
        return fake

    monkeypatch.setattr(Engine, "connect", classmethod(connect))
    return fake


def run(capsys, *argv):
    """`copr-harness ARGV`: its exit code and the lines it printed on stderr."""
    code = cli.main(list(argv))
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def culprit(lines):
    """The one error line (progress lines start with '[')."""
    errors = [ln for ln in lines if ln.startswith("copr-harness")]
    assert len(errors) == 1, lines
    return errors[0]


def scenario(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def rpms(tmp_path):
    """Prebuilt RPMs next to the scenario files: python3-copr-common 1.8 and copr-frontend 2.9."""
    made = {}
    for name, version in (("python3-copr-common", common_package("1.8")),
                          ("copr-frontend", PackageVersion(
                              version="2.9", macros={"copr_common_version": "1.8",
                                                     "fe_be_api_version": 9}))):
        built = packages.build_rpm(name, version)
        made[name] = tmp_path / built.name
        shutil.copy(built, made[name])
    return made


# -- scenario files -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, line, message", [
    ("candidate:\n  a: [1, 2\n  b: 3\n", 3, "malformed YAML: expected ',' or ']', but got ':'"),
    (GOOD.replace("[database, frontend]", "[database, fronted]"), 1,
     "components: unknown component 'fronted' (known: backend, broker, builder, database, distgit, "
     "frontend, keygen)"),
    (GOOD + "  copr-nonsense: {version: '1'}\n", 7,
     "candidate.copr-nonsense: unknown package 'copr-nonsense': no containers/*/copr-nonsense.spec"),
    (GOOD.replace('"2.7"', '"2.7-1"'), 5, "candidate.copr-frontend.version: '2.7-1' is not an RPM "
     "version: use letters, digits and . _ + ~ ^ (no '-' or spaces)"),
    (GOOD.replace('"2.7"', "2.10"), 5, "candidate.copr-frontend.version: version 2.1 was read by "
     "YAML as a number: write it in quotes (e.g. '2.10')"),
    (GOOD.replace("components:", "componentz:"), 1, "componentz: unknown field"),
    (GOOD.replace("[database, frontend]", "database"), 1,
     "components: Input should be a valid list (got 'database')"),
    (GOOD + "upgrade: {order: [backend, fronted]}\n", 7, "upgrade.order: unknown upgrade step "
     "'fronted' (steps: backend, builder, distgit, frontend, keygen)"),
    (GOOD + "expect: {failed_rules: [nope]}\n", 7, "expect.failed_rules: unknown rule 'nope'"),
    (GOOD.replace('  python3-copr-common: {pypi: "copr-common==1.7"}\n', ""), 2,
     "candidate: component 'frontend' installs 'python3-copr-common', which this set does not list"),
    (GOOD.replace('{pypi: "copr-common==1.7"}', "{release: '2'}"), 3,
     "candidate.python3-copr-common: give 'version' (built from the spec), 'rpm' (a prebuilt file), "
     "or Python code: 'pypi', 'sdist' or 'source'"),
], ids=["malformed-yaml", "unknown-component", "unknown-package", "dash-in-version",
        "float-version", "unknown-field", "wrong-type", "unknown-step", "unknown-rule",
        "package-missing-from-set", "no-version"])
def test_scenario_errors_name_file_line_and_field(tmp_path, capsys, engine, text, line, message):
    path = scenario(tmp_path, text)
    code, lines = run(capsys, "up", str(path))
    assert code == 2
    assert lines == [lines[0]] and lines[0].startswith(f"copr-harness: {path}:{line}: {message}")
    assert not engine.connected  # found before Podman is asked anything


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "nope.yaml", "no such file"),
    (lambda tmp: tmp, "is a directory, not a YAML file"),
    (lambda tmp: (tmp / "b.yaml").write_bytes(b"\xff\xfe\n") and tmp / "b.yaml",
     "not a text file (byte 0 is not UTF-8)"),
], ids=["missing", "directory", "binary"])
def test_unusable_scenario_path_is_named(tmp_path, capsys, engine, make, message):
    path = make(tmp_path)
    code, lines = run(capsys, "up", str(path))
    assert (code, lines) == (2, [f"copr-harness: {path}: {message}"])
    assert not engine.connected


def test_production_set_missing_names_the_file(tmp_path, capsys, engine):
    path = scenario(tmp_path, GOOD)
    code, lines = run(capsys, "up", "--versions", "production", str(path))
    assert (code, lines) == (2, [f"copr-harness: {path}: production: this scenario has no "
                                 "'production' package set"])
    assert not engine.connected


# -- prebuilt RPMs --------------------------------------------------------------------------------


def prebuilt(tmp_path, common_entry):
    return scenario(tmp_path, GOOD.replace('{pypi: "copr-common==1.7"}', common_entry))


@needs_rpm
def test_prebuilt_rpm_gives_the_version_and_is_used_as_is(tmp_path, rpms):
    _, loaded = load_scenario(prebuilt(tmp_path, f"{{rpm: {rpms['python3-copr-common'].name}}}"))
    common = loaded.candidate["python3-copr-common"]
    assert common.rpm == rpms["python3-copr-common"]
    assert (common.version, common.evr) == ("1.8", "1.8-1")
    assert packages.build_rpm("python3-copr-common", common) == rpms["python3-copr-common"]


@needs_rpm
def test_plan_reads_a_prebuilt_rpms_requires(tmp_path, rpms):
    path = scenario(tmp_path, GOOD.replace("candidate:", "production:") + f"""\
        candidate:
          python3-copr-common: {{pypi: "copr-common==1.7"}}
          copr-frontend: {{rpm: {rpms['copr-frontend'].name}}}
        """.replace("        ", ""))
    made = plan.make(load_scenario(path)[1])
    assert made.steps[0].upgrades == {"copr-frontend": ("2.7-1", "2.9-1")}
    assert [(p.rule, p.step, p.message) for p in made.problems] == [(
        "rpm-transactions", "frontend",
        "copr-frontend-2.9-1 requires python3-copr-common >= 1.8, the set has 1.7")]
    assert any("prebuilt RPM" in note for note in made.notes)


@needs_rpm
def test_prebuilt_rpm_of_the_production_evr_is_no_upgrade(tmp_path):
    """A prebuilt RPM has no macros to compare: the same EVR as production changes nothing."""
    frontend = packages.build_rpm("copr-frontend", PackageVersion(
        version="2.7", macros={"copr_common_version": "1.1.2", "fe_be_api_version": 9}))
    shutil.copy(frontend, tmp_path / frontend.name)
    path = scenario(tmp_path, GOOD.replace("candidate:", "production:") + """\
candidate:
  python3-copr-common: {pypi: "copr-common==1.7"}
  copr-frontend: {rpm: copr-frontend-2.7-1.noarch.rpm}
""")
    assert plan.make(load_scenario(path)[1]).steps[0].upgrades == {}


@needs_rpm
@pytest.mark.parametrize("entry, damage, message", [
    ("{rpm: missing.rpm}", None, "{dir}/missing.rpm: no such file"),
    ("{rpm: broken.rpm}", "flip", "{dir}/broken.rpm: corrupt RPM: rpm -K: Payload SHA256 ALT digest: BAD"),
    ("{rpm: broken.rpm}", "truncate", "{dir}/broken.rpm: corrupt RPM: rpm -K: "),
    ("{rpm: broken.rpm}", "text", "{dir}/broken.rpm: not an RPM file (it does not start with an RPM lead)"),
    ("{rpm: copr-frontend-2.9-1.noarch.rpm}", None, "{dir}/copr-frontend-2.9-1.noarch.rpm is the package "
     "'copr-frontend', not 'python3-copr-common'"),
], ids=["missing", "flipped-byte", "truncated", "not-an-rpm", "wrong-name"])
def test_bad_prebuilt_rpm_is_named(tmp_path, capsys, engine, rpms, entry, damage, message):
    data = rpms["python3-copr-common"].read_bytes()
    broken = tmp_path / "broken.rpm"
    if damage == "flip":
        broken.write_bytes(data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:])
    elif damage == "truncate":
        broken.write_bytes(data[: len(data) // 2])
    elif damage == "text":
        broken.write_text("not a package\n")
    path = prebuilt(tmp_path, entry)
    code, lines = run(capsys, "up", str(path))
    assert code == 2
    expected = f"copr-harness: {path}:3: candidate.python3-copr-common.rpm: " + message.format(dir=tmp_path)
    assert lines == [lines[0]] and lines[0].startswith(expected), lines
    assert not engine.connected


@needs_rpm
def test_prebuilt_rpm_with_a_version_is_refused(tmp_path, rpms):
    path = prebuilt(tmp_path, f"{{rpm: {rpms['python3-copr-common'].name}, version: '1.8'}}")
    with pytest.raises(InputError, match=r"s.yaml:3: candidate\.python3-copr-common\.version: "
                                         "'version' comes from the prebuilt RPM file"):
        load_scenario(path)


# -- package sets rpm would refuse ----------------------------------------------------------------


@needs_rpm
def test_set_rpm_would_refuse_is_refused_before_podman(capsys, engine):
    path = ROOT / "scenarios" / "backend-needs-newer-common.yaml"
    code, lines = run(capsys, "up", str(path))
    assert code == 1
    assert culprit(lines) == (
        f"copr-harness: {path} (candidate set): rpm would refuse component backend's packages "
        "(rpm -Uvh --test): Failed dependencies: python3-copr-common >= 1.8 is needed by "
        "copr-backend-2.12-1.noarch")
    assert engine.touched == []


@needs_rpm
def test_a_gate_on_a_set_rpm_would_refuse_makes_no_reports_folder(capsys, engine, monkeypatch,
                                                                   tmp_path):
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    code, lines = run(capsys, "sanity", str(ROOT / "scenarios" / "backend-needs-newer-common.yaml"))
    assert code == 1 and "rpm would refuse component backend's packages" in culprit(lines)
    assert engine.touched == []
    assert not (tmp_path / "reports").exists()


@needs_rpm
def test_consistent_sets_pass_the_check():
    _, loaded = load_scenario(ROOT / "scenarios" / "release-good.yaml")
    for packages_ in (loaded.candidate, loaded.production):
        packages.check_installable(
            {"all": list(packages.build_set(list(packages_), packages_).values())}, "release-good")


@needs_rpm
def test_the_rehearsal_keeps_its_inconsistent_candidate_set():
    """plan predicts the refusal (exit 1 from `plan`), it does not refuse to load the scenario."""
    _, loaded = load_scenario(ROOT / "scenarios" / "backend-needs-newer-common.yaml")
    assert [p.rule for p in plan.make(loaded).problems] == ["rpm-transactions"]
    with pytest.raises(PackageError):
        packages.check_installable({"backend": list(packages.build_set(
            ["python3-copr-common", "copr-backend", "obs-signd"], loaded.candidate).values())}, "x")


# -- runs, run ids, Podman ------------------------------------------------------------------------


def test_invalid_run_id_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["up", "--run-id", "Bad_Id"])
    assert exit_.value.code == 2
    assert ("copr-harness up: error: argument --run-id: run id 'Bad_Id' is not valid"
            in capsys.readouterr().err)


def test_run_id_in_use_is_refused(tmp_path, capsys, engine):
    engine.runs["ch-taken"] = {}
    code, lines = run(capsys, "up", "--run-id", "ch-taken", "--scenario", str(scenario(tmp_path, GOOD)))
    assert (code, lines) == (2, ["copr-harness: run id 'ch-taken' is already in use: choose another, "
                                 "or remove it with 'copr-harness down --run-id ch-taken'"])


@pytest.mark.parametrize("argv", [["status"], ["down"], ["env"], ["exec", "frontend", "--", "true"]])
def test_run_id_of_no_run(capsys, engine, argv):
    engine.runs["ch-other"] = {}
    code, lines = run(capsys, argv[0], "--run-id", "ch-nope", *argv[1:])
    assert (code, lines) == (2, ["copr-harness: no run 'ch-nope' on this host (runs: ch-other)"])


def test_exec_of_an_unknown_component(capsys, engine):
    engine.runs["ch-one"] = {"copr-harness.components": "database,frontend"}
    code, lines = run(capsys, "exec", "--run-id", "ch-one", "frontnd", "--", "true")
    assert (code, lines) == (2, ["copr-harness: run ch-one has no container 'frontnd' "
                                 "(it has: database, frontend)"])


def test_podman_missing_names_the_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, lines = run(capsys, "status")
    assert code == 3
    assert lines == ["copr-harness: Podman is not installed",
                     "  hint: install Podman and runc: 'apt-get update && apt-get install -y podman runc'"]


@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
def test_unreachable_api_socket_is_infrastructure(capsys, monkeypatch):
    monkeypatch.setenv("CONTAINER_HOST", "unix:///nonexistent")
    code, lines = run(capsys, "status")
    assert code == 3
    assert lines[0] == ("copr-harness: the Podman API at CONTAINER_HOST=unix:///nonexistent "
                        "does not answer within 10s")


@needs_rpm
def test_rpm_query_of_a_valid_file_matches_rpm(rpms):
    """The header the harness reads is what rpm itself says."""
    from harness.model.rpmfile import read
    header = read(rpms["copr-frontend"])
    nvr = subprocess.run(["rpm", "-qp", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}", str(rpms["copr-frontend"])],
                         capture_output=True, text=True).stdout
    assert header.nvr == nvr == "copr-frontend-2.9-1"
    assert "python3-copr-common >= 1.8" in header.requires
