"""Python package sources in a scenario (PyPI pin, sdist, source directory, patches): checked
when the scenario loads, wrapped into an RPM with upstream's name, cached by content."""

import importlib.util
import io
import marshal
import shutil
import subprocess
import sys
import tarfile

import pytest

from harness.artifacts import packages, pyrpm, wheelhouse
from harness.errors import InputError
from harness.model.scenario import load_scenario
from harness.upgrade import plan
from tests.support import pyprojects

needs_rpm = pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild is not installed")

FRONTEND = """\
  copr-frontend:
    version: "2.7"
    macros: {copr_common_version: "1.1.2", fe_be_api_version: 9}
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "CACHE", tmp_path / "cache")


@pytest.fixture
def pip_log(tmp_path, monkeypatch):
    """A fake pip serving tinypkg 1.3 from PyPI; returns the log of its calls."""
    served = pyprojects.sdist(tmp_path / "pypi")
    script, log = pyprojects.fake_pip(tmp_path, served)
    monkeypatch.setenv("COPR_HARNESS_PIP", str(script))
    return log


def common(tmp_path, entry: str):
    """Load a scenario whose python3-copr-common is `entry`; return that package."""
    path = tmp_path / "s.yaml"
    path.write_text("components: [database, frontend]\ncandidate:\n"
                    f"  python3-copr-common: {entry}\n" + FRONTEND)
    return load_scenario(path)[1].candidate["python3-copr-common"]


def rpm_query(path, fmt):
    result = subprocess.run(["rpm", "-qp", "--qf", fmt, str(path)], capture_output=True, text=True)
    return result.stdout


def installed_file(rpm_path, tmp_path, member):
    """The text of one file of an RPM's payload."""
    result = subprocess.run(["rpm2archive", "-n", "-"], stdin=open(rpm_path, "rb"),
                            capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        return archive.extractfile("." + member).read().decode()


SITE_FILE = "/usr/lib/python3/dist-packages/tinypkg/__init__.py"


@needs_rpm
def test_source_dir_with_patch_and_version_override(tmp_path):
    tree = pyprojects.source_dir(tmp_path)
    pyprojects.patch(tmp_path)
    package = common(tmp_path, f"{{source: {tree.name}, patches: [fix.patch], version: '2.12~rc1'}}")
    assert package.origin == f"source dir {tree} + patches fix.patch"
    built = packages.build_rpm("python3-copr-common", package)
    assert rpm_query(built, "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}") == \
        "python3-copr-common 2.12~rc1-1 noarch"
    assert 'VALUE = "patched"' in installed_file(built, tmp_path, SITE_FILE)


@needs_rpm
def test_sdist_version_comes_from_its_name(tmp_path):
    package = common(tmp_path, f"{{sdist: {pyprojects.sdist(tmp_path).name}}}")
    assert (package.evr, package.origin) == ("1.3-1", "sdist tinypkg-1.3.tar.gz")
    built = packages.build_rpm("python3-copr-common", package)
    assert 'VALUE = "original"' in installed_file(built, tmp_path, SITE_FILE)
    assert "tinypkg-1.3.dist-info/METADATA" in rpm_query(built, "[%{FILENAMES}\n]")


@needs_rpm
def test_pypi_pin_is_downloaded_once_and_cached_by_content(tmp_path, pip_log):
    package = common(tmp_path, "{pypi: 'tinypkg==1.3', release: '3'}")
    assert (package.evr, package.origin) == ("1.3-3", "PyPI tinypkg==1.3")
    first = packages.build_rpm("python3-copr-common", package)
    downloads = [c for c in pyprojects.calls(pip_log) if c.startswith("--disable-pip-version-check download")]
    assert len(downloads) == 1
    before = len(pyprojects.calls(pip_log))
    assert packages.build_rpm("python3-copr-common", package) == first  # warm: pip not run
    assert len(pyprojects.calls(pip_log)) == before
    pyprojects.patch(tmp_path)
    patched = packages.build_rpm("python3-copr-common",
                                 common(tmp_path, "{pypi: 'tinypkg==1.3', release: '3', patches: [fix.patch]}"))
    assert patched != first  # a patch is part of the key
    assert 'VALUE = "patched"' in installed_file(patched, tmp_path, SITE_FILE)
    assert len([c for c in pyprojects.calls(pip_log) if "--no-binary" in c]) == 1  # sdist cached


@needs_rpm
def test_modules_ship_compiled_for_users_who_cannot_write_pycache(tmp_path):
    """The backend's processes run as copr, who cannot write __pycache__ into dist-packages:
    without compiled modules in the package every worker would compile copr_backend again."""
    tree = pyprojects.source_dir(tmp_path)
    pyprojects.patch(tmp_path)
    built = packages.build_rpm("python3-copr-common", common(
        tmp_path, f"{{source: {tree.name}, patches: [fix.patch]}}"))
    compiled = f"/usr/lib/python3/dist-packages/tinypkg/__pycache__/__init__.{sys.implementation.cache_tag}.pyc"
    assert compiled in rpm_query(built, "[%{FILENAMES}\n]").splitlines()
    result = subprocess.run(["rpm2archive", "-n", "-"], stdin=open(built, "rb"),
                            capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        data = archive.extractfile("." + compiled).read()
    assert data[:4] == importlib.util.MAGIC_NUMBER
    # PEP 552 flags 0b11: checked against the source's hash, whatever the files' times.
    assert int.from_bytes(data[4:8], "little") == 0b11
    code = marshal.loads(data[16:])
    assert code.co_filename == SITE_FILE  # tracebacks name the installed file
    assert "patched" in code.co_consts  # compiled from the patched source


@needs_rpm
def test_upstream_requires_by_default_or_the_scenarios(tmp_path):
    tree = pyprojects.source_dir(tmp_path)
    default = packages.build_rpm("copr-backend", common(tmp_path, f"{{source: {tree.name}}}"))
    requires = rpm_query(default, "[%{REQUIRENEVRS}\n]").splitlines()
    assert set(pyrpm.UPSTREAM_REQUIRES["copr-backend"]) <= set(requires)
    given = packages.build_rpm("copr-backend", common(
        tmp_path, f"{{source: {tree.name}, requires: ['python3-copr-common >= 1.7']}}"))
    assert "python3-copr-common >= 1.7" in rpm_query(given, "[%{REQUIRENEVRS}\n]")


@needs_rpm
def test_debian_dependencies_are_left_to_the_image(tmp_path):
    assert "python3-requests" in wheelhouse.image_packages()
    tree = pyprojects.source_dir(tmp_path, requires=["requests", "PyYAML; python_version < '3'"])
    built = packages.build_rpm("python3-copr-common", common(tmp_path, f"{{source: {tree.name}}}"))
    files = rpm_query(built, "[%{FILENAMES}\n]")
    assert "/requests/" not in files and "dist-packages/tinypkg" in files
    assert "from Debian: python3-requests" in rpm_query(built, "%{DESCRIPTION}")


@needs_rpm
def test_dependency_debian_lacks_is_packed_as_a_wheel(tmp_path):
    assert "python3-six" not in wheelhouse.image_packages()
    tree = pyprojects.source_dir(tmp_path, requires=["six"])
    built = packages.build_rpm("python3-copr-common", common(tmp_path, f"{{source: {tree.name}}}"))
    assert "/usr/lib/python3/dist-packages/six.py" in rpm_query(built, "[%{FILENAMES}\n]")
    assert "Packed wheels: six-" in rpm_query(built, "%{DESCRIPTION}")


@needs_rpm
def test_a_wrapped_package_keeps_its_entry_points_and_needs_the_sets_own_packages(tmp_path):
    """copr-messaging's case: its message classes are fedora-messaging entry points (read
    through importlib.metadata from the installed .dist-info), and its dependencies that the
    harness wraps into RPMs of their own are required, not packed as wheels (no pip runs)."""
    tree = pyprojects.source_dir(tmp_path, requires=["copr-common", "fedora-messaging"])
    setup = (tree / "setup.py").read_text().replace(
        "install_requires=", "entry_points={'fedora.messages': ['tiny.end=tinypkg:VALUE']}, "
                             "install_requires=")
    (tree / "setup.py").write_text(setup)
    built = packages.build_rpm("python3-copr-messaging", common(tmp_path, f"{{source: {tree.name}}}"))
    files = rpm_query(built, "[%{FILENAMES}\n]")
    assert "copr_common" not in files and "fedora_messaging" not in files
    assert {"python3-copr-common", "python3-fedora-messaging"} <= \
        set(rpm_query(built, "[%{REQUIRENEVRS}\n]").splitlines())
    root = tmp_path / "root"
    root.mkdir()
    payload = subprocess.run(["rpm2archive", "-n", "-"], stdin=open(built, "rb"),
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(payload)) as archive:
        archive.extractall(root, filter="data")
    import importlib.metadata
    [dist] = importlib.metadata.distributions(path=[str(root / pyrpm.SITE)])
    assert [(e.group, e.name, e.value) for e in dist.entry_points] == \
        [("fedora.messages", "tiny.end", "tinypkg:VALUE")]


# -- bad input, found when the scenario loads or the package is built ------------------------------


@pytest.mark.parametrize("entry, field, message", [
    ("{pypi: 'copr-common>=1.7'}", "pypi", "'copr-common>=1.7' is not a PyPI pin: write name==version"),
    ("{sdist: missing.tar.gz}", "sdist", "missing.tar.gz does not exist or is not a file"),
    ("{sdist: junk.tar.gz}", "sdist", "junk.tar.gz is not a readable sdist archive"),
    ("{sdist: nopy-1.0.tar.gz}", "sdist", "nopy-1.0.tar.gz is not a Python sdist"),
    ("{source: empty}", "source", "empty is not a Python project: it has no setup.py or pyproject.toml"),
    ("{source: tinypkg-1.3, patches: [nope.patch]}", "patches.0", "patch {tmp}/nope.patch does not exist"),
    ("{pypi: 'a==1', rpm: x.rpm}", "pypi", "give one of rpm, pypi, sdist or source, not rpm and pypi"),
    ("{pypi: 'a==1', macros: {x: 1}}", "macros", "macros apply to packages built from a spec"),
    ("{version: '1.7', patches: [fix.patch]}", "patches", "'patches' goes with a Python source"),
    ("{source: noversion}", "source", "cannot tell the version of noversion: give 'version'"),
], ids=["not-a-pin", "missing-sdist", "unreadable-sdist", "non-python-sdist", "no-setup-py",
        "missing-patch", "two-sources", "macros", "patches-without-source", "no-version"])
def test_bad_python_sources_name_the_field(tmp_path, entry, field, message):
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    (tmp_path / "empty").mkdir()
    pyprojects.source_dir(tmp_path)
    (tmp_path / "noversion").mkdir()
    (tmp_path / "noversion" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    pyprojects.patch(tmp_path)
    with tarfile.open(tmp_path / "nopy-1.0.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "fix.patch", arcname="nopy-1.0/README")
    with pytest.raises(InputError) as error:
        common(tmp_path, entry)
    assert f"candidate.python3-copr-common.{field}: " in error.value.message
    assert message.format(tmp=tmp_path) in error.value.message


@needs_rpm
def test_unknown_pypi_version_lists_the_known_ones(tmp_path, pip_log):
    package = common(tmp_path, "{pypi: 'tinypkg==9.9'}")
    with pytest.raises(InputError, match=r"^PyPI has no tinypkg 9\.9 \(versions there: 1\.2, 1\.3\)$"):
        packages.build_rpm("python3-copr-common", package)


@needs_rpm
def test_patch_that_does_not_apply_names_file_and_hunk(tmp_path):
    tree = pyprojects.source_dir(tmp_path)
    pyprojects.patch(tmp_path, pyprojects.PATCH.replace('-VALUE = "original"', '-VALUE = "other"'),
                     name="stale.patch")
    package = common(tmp_path, f"{{source: {tree.name}, patches: [stale.patch]}}")
    with pytest.raises(InputError) as error:
        packages.build_rpm("python3-copr-common", package)
    assert error.value.message.startswith(f"patch {tmp_path / 'stale.patch'} does not apply to ")
    assert "Hunk #1 FAILED" in error.value.message and "tinypkg/__init__.py" in error.value.message


@needs_rpm
def test_dependency_without_a_wheel_is_named(tmp_path, pip_log):
    tree = pyprojects.source_dir(tmp_path, requires=["no-such-dependency-xyz"])
    package = common(tmp_path, f"{{source: {tree.name}}}")
    with pytest.raises(InputError, match=r"^dependency no-such-dependency-xyz has no pure-Python wheel"):
        packages.build_rpm("python3-copr-common", package)


# -- per-component versions and provenance ---------------------------------------------------------


def test_by_component_gives_one_component_another_version(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("""\
components: [database, frontend, keygen]
candidate:
  python3-copr-common:
    pypi: copr-common==1.7
    by_component:
      keygen: {pypi: copr-common==1.8}
  copr-keygen: {version: "2.2", macros: {copr_common_version: "1.7"}}
""" + FRONTEND)
    _, loaded = load_scenario(path)
    assert loaded.component_set("candidate", "frontend")["python3-copr-common"].evr == "1.7-1"
    keygen = loaded.component_set("candidate", "keygen")["python3-copr-common"]
    assert (keygen.evr, keygen.origin) == ("1.8-1", "PyPI copr-common==1.8")


def test_by_component_must_name_a_component_that_installs_the_package(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("components: [database, frontend]\ncandidate:\n  python3-copr-common:\n"
                    "    pypi: copr-common==1.7\n    by_component: {database: {pypi: copr-common==1.8}}\n"
                    + FRONTEND)
    with pytest.raises(InputError, match="by_component.database: component 'database' does not "
                                         "install 'python3-copr-common'"):
        load_scenario(path)


def test_plan_names_where_an_upgraded_package_comes_from(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("components: [database, frontend]\nproduction:\n"
                    "  python3-copr-common: {pypi: copr-common==1.7}\n" + FRONTEND +
                    "candidate:\n  python3-copr-common: {pypi: copr-common==1.8}\n" + FRONTEND)
    made = plan.make(load_scenario(path)[1])
    frontend = next(s for s in made.steps if s.component == "frontend")
    assert "python3-copr-common 1.7-1 -> 1.8-1 [PyPI copr-common==1.8]" in frontend.describe()


def test_run_record_names_each_components_package_origin():
    from harness.paths import ROOT
    from harness.reports import run_record

    _, loaded = load_scenario(ROOT / "scenarios" / "mixed-common.yaml")
    found = run_record.components(loaded, "candidate")
    common = {c: next(p for p in found[c]["packages"] if p["name"] == "python3-copr-common")
              for c in ("frontend", "builder")}
    assert common["builder"] == {"name": "python3-copr-common", "nvr": "python3-copr-common-1.8-1",
                                 "source": "PyPI copr-common==1.8"}
    assert common["frontend"]["source"] == "PyPI copr-common==1.7"
    assert {"name": "copr-backend", "nvr": "copr-backend-2.11-1",
            "source": "PyPI copr-backend==2.11 + patches copr-backend-min-fe-be-api-9.patch, "
                      "copr-backend-min-builder-1.6.1.patch"} in found["backend"]["packages"]


def test_mixed_common_scenario_gives_the_builders_1_8():
    """Only the builders: the backend's copr-backend 2.11 imports the lock() that 1.8 dropped."""
    from harness.paths import ROOT

    _, loaded = load_scenario(ROOT / "scenarios" / "mixed-common.yaml")
    versions = {c: loaded.component_set("candidate", c)["python3-copr-common"].version
                for c in ("frontend", "backend", "distgit", "keygen", "builder")}
    assert versions == {"frontend": "1.7", "backend": "1.7", "distgit": "1.7", "keygen": "1.7",
                        "builder": "1.8"}
