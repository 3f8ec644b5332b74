"""Detection of the host quirks, from given inputs."""

from harness.podman.quirks import HostFacts, PODMAN_DEFAULT_RLIMIT, cgroup_mode, detect

HYBRID = """tmpfs /sys/fs/cgroup tmpfs rw 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0
"""
V2 = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"
V1 = "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"


def facts(mounts=V2, runtimes=None, nofile=PODMAN_DEFAULT_RLIMIT, nproc=PODMAN_DEFAULT_RLIMIT,
          pid_max=4194304, systemd=True):
    return HostFacts(mounts, runtimes if runtimes is not None else {"crun": "/usr/bin/crun"},
                     nofile, nproc, pid_max, systemd)


def test_cgroup_modes():
    assert cgroup_mode(HYBRID) == "hybrid"
    assert cgroup_mode(V2) == "v2"
    assert cgroup_mode(V1) == "v1"


def test_hybrid_with_crun_and_runc_uses_runc_and_says_why():
    config = detect(facts(HYBRID, {"crun": "/usr/bin/crun", "runc": "/usr/bin/runc"}))
    assert config.runtime == "runc"
    assert any("hybrid" in reason for reason in config.reasons)
    assert 'runtime = "runc"' in config.containers_conf()


def test_hybrid_with_only_crun_is_a_problem_with_the_fix():
    config = detect(facts(HYBRID, {"crun": "/usr/bin/crun"}))
    assert config.problems and "apt-get install -y runc" in config.problems[0]


def test_v2_with_crun_keeps_crun():
    config = detect(facts(V2, {"crun": "/usr/bin/crun"}))
    assert config.runtime == "crun" and not config.problems


def test_no_runtime_at_all_is_a_problem():
    assert detect(facts(V2, {})).problems


def test_low_hard_limits_set_ulimits_within_them():
    config = detect(facts(nofile=20000, nproc=96365, pid_max=32768))
    assert config.ulimits == {"nofile": 20000, "nproc": 32768}
    assert '"nofile=20000:20000", "nproc=32768:32768"' in config.containers_conf()


def test_generous_limits_leave_podman_defaults():
    config = detect(facts())
    assert config.ulimits == {}
    assert "default_ulimits" not in config.containers_conf()


def test_no_systemd_is_reported():
    assert any("no systemd" in r for r in detect(facts(systemd=False)).reasons)


def test_no_catatonit_gives_pods_the_harness_pause_image():
    from dataclasses import replace

    from harness.podman.quirks import PAUSE_IMAGE

    config = detect(replace(facts(), has_catatonit=False))
    assert config.infra_image == PAUSE_IMAGE
    assert f'infra_image = "{PAUSE_IMAGE}"' in config.containers_conf()
    assert "infra_image" not in detect(facts()).containers_conf()


FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n'
CENTOS = 'NAME="CentOS Stream"\nID="centos"\nID_LIKE="rhel fedora"\n'


def test_a_fedora_host_cgroup_v2_crun_and_systemd_socket_keeps_crun_and_uses_the_socket():
    from dataclasses import replace

    both = {"crun": "/usr/bin/crun", "runc": "/usr/bin/runc"}
    config = detect(replace(facts(V2, both, systemd=True), os_release=FEDORA))
    assert config.runtime == "crun" and not config.problems
    assert 'runtime = "crun"' in config.containers_conf()
    assert any("podman.socket" in r and "systemctl enable --now" in r for r in config.reasons)


def test_fixes_name_the_hosts_package_manager():
    from dataclasses import replace

    assert "dnf install -y crun" in detect(replace(facts(V2, {}), os_release=CENTOS)).problems[0]
    assert "dnf install -y runc" in detect(
        replace(facts(HYBRID, {"crun": "/usr/bin/crun"}), os_release=FEDORA)).problems[0]
    assert "apt-get install -y runc" in detect(facts(V1, {})).problems[0]
