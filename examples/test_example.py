"""A test against a Copr stack, written as another project would with the copr_harness plugin.

    pytest examples/test_example.py --copr-up            # a stack of its own, removed afterwards
    pytest examples/test_example.py --copr-up -n 2       # one stack shared by two workers
    pytest examples/test_example.py --copr-stack "$COPR_STACK"   # a stack that is already up
"""

from harness.artifacts.srpms import make_srpm

CHROOT = "fedora-44-x86_64"


def test_a_tiny_package_builds(copr_project, copr_cli, copr_client, copr_stack, tmp_path):
    project = copr_project(CHROOT)  # uniquely named, deleted after the test
    srpm = make_srpm(tmp_path, "tiny", version="1.2")  # rpmbuild -bs of a one-file spec

    built = copr_cli("build", project, str(srpm))  # the real copr-cli; waits for the build
    assert built.returncode == 0, built.stdout + built.stderr

    [build] = copr_client.build_proxy.get_list(copr_stack["default_user"], project)
    assert build.state == "succeeded"
    packages = copr_client.build_chroot_proxy.get_built_packages(build.id, CHROOT)["packages"]
    assert ("tiny", "1.2", "noarch") in {(p["name"], p["version"], p["arch"]) for p in packages}


def test_each_builder_runs_the_expected_copr_rpmbuild(copr_stack, stack_host):
    builders = [host for host in copr_stack["hosts"] if host.startswith("builder")]
    assert builders
    for host in builders:
        installed = stack_host(host).check_output(
            "rpm -q --qf '%{NAME}-%{VERSION}-%{RELEASE}' copr-rpmbuild")
        assert installed in copr_stack["expected_packages"][host]
