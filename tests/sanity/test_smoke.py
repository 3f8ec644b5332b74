"""Smoke checks: the frontend answers the APIv3 root and is connected to its database."""

import requests


def test_api_root_answers_version_3(frontend_url):
    response = requests.get(f"{frontend_url}/api_3/", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"version": 3}


def test_every_host_runs_its_expected_packages(copr_stack, stack_host):
    for host, expected in copr_stack["expected_packages"].items():
        if not expected:
            continue
        installed = stack_host(host).run("rpm -q " + " ".join(n.rsplit("-", 2)[0] for n in expected))
        assert installed.rc == 0, f"{host}: {installed.stdout}{installed.stderr}"
        for nvr in expected:
            assert nvr in installed.stdout, f"{host}: expected {nvr}, has {installed.stdout}"
