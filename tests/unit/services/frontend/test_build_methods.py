"""/api_3/build/create/{scm,distgit,pypi,rubygems,custom}: fields, defaults, stored source_json
and form messages as upstream's forms and BuildsLogic.create_new_from_* have them."""

import pytest


def create(client, method: str, **fields):
    return client.post(f"/build/create/{method}", json={"ownername": "alice", "projectname": "bm",
                                                        **fields})


def source_of(api, build: dict) -> dict:
    config = api().get(f"/build/source-build-config/{build['id']}").get_json()
    return config["source_type"], config["source_dict"]


def test_scm_build_stores_upstreams_source_json(project, alice, api):
    project("bm")
    response = create(alice, "scm", clone_url="http://distgit:5001/git/fixtures/scm/hello.git",
                      committish="v1", subdirectory="pkg", spec="hello.spec", scm_type="git",
                      source_build_method="make_srpm")
    assert response.status_code == 200, response.get_json()
    assert source_of(api, response.get_json()) == ("scm", {
        "type": "git", "clone_url": "http://distgit:5001/git/fixtures/scm/hello.git",
        "committish": "v1", "subdirectory": "pkg", "spec": "hello.spec",
        "srpm_build_method": "make_srpm"})


def test_scm_defaults(project, alice, api):
    project("bm")
    build = create(alice, "scm", clone_url="https://example.org/hello.git").get_json()
    assert source_of(api, build)[1] == {"type": "git", "clone_url": "https://example.org/hello.git",
                                        "committish": "", "subdirectory": "", "spec": "",
                                        "srpm_build_method": "rpkg"}


@pytest.mark.parametrize(("fields", "errors"), [
    ({}, {"clone_url": ["This field is required."]}),
    ({"clone_url": "not a url"}, {"clone_url": ["Invalid URL."]}),
    ({"clone_url": "http://x/y.git", "spec": "hello.txt"}, {"spec": ["RPM spec file must end with .spec"]}),
    ({"clone_url": "http://x/y.git", "source_build_method": "bogus"},
     {"srpm_build_method": ["Not a valid choice."]}),
])
def test_scm_form_errors(project, alice, fields, errors):
    project("bm")
    response = create(alice, "scm", **fields)
    assert response.status_code == 400
    assert response.get_json()["error"] == f"Bad request parameters: {errors}"


def test_distgit_build_clones_from_the_stacks_dist_git(project, alice, api, app):
    project("bm")
    app.config["DIST_GIT_CLONE_URL"] = "http://distgit:5001/git"
    build = create(alice, "distgit", package_name="hello", namespace="alice/other",
                   committish="fedora-44").get_json()
    assert source_of(api, build) == ("distgit", {
        "clone_url": "http://distgit:5001/git/alice/other/hello", "distgit": "copr",
        "namespace": "alice/other", "committish": "fedora-44"})
    response = create(alice, "distgit", package_name="hello", distgit="fedora")
    assert response.get_json()["error"] == "Bad request parameters: {'distgit': ['DistGit ID must be one of: copr']}"
    assert create(alice, "distgit").get_json()["error"] == \
        "Bad request parameters: {'package_name': ['This field is required.']}"


def test_pypi_and_rubygems_builds_are_stored_as_upstream(project, alice, api):
    project("bm")
    pypi = create(alice, "pypi", pypi_package_name="hello", pypi_package_version="1.0",
                  spec_generator="pyp2rpm", spec_template="", python_versions=[3]).get_json()
    assert source_of(api, pypi) == ("pypi", {
        "pypi_package_name": "hello", "pypi_package_version": "1.0", "spec_generator": "pyp2rpm",
        "spec_template": "", "python_versions": ["3"]})
    gem = create(alice, "rubygems", gem_name="hello").get_json()
    assert source_of(api, gem) == ("rubygems", {"gem_name": "hello"})
    assert create(alice, "rubygems").get_json()["error"] == \
        "Bad request parameters: {'gem_name': ['This field is required.']}"
    assert create(alice, "pypi", pypi_package_name="x", spec_generator="nope").get_json()["error"] == \
        "Bad request parameters: {'spec_generator': ['Not a valid choice.']}"


def test_custom_build(project, alice, api):
    project("bm")
    build = create(alice, "custom", script="#!/bin/sh\r\necho hi\r\n", chroot="fedora-44-x86_64",
                   builddeps="git", resultdir="out").get_json()
    assert source_of(api, build) == ("custom", {
        "script": "#!/bin/sh\necho hi\n", "chroot": "fedora-44-x86_64", "builddeps": "git",
        "resultdir": "out", "repos": ""})
    default = create(alice, "custom", script="#!/bin/sh\n").get_json()
    assert source_of(api, default)[1]["chroot"] == "fedora-latest-x86_64"
    assert create(alice, "custom", script="x" * 5000).get_json()["error"] == \
        "Bad request parameters: {'script': ['Maximum script size is 4kB']}"
    assert create(alice, "custom", script="#!/bin/sh\n", chroot="nope-1-x").get_json()["error"] == \
        "Bad request parameters: {'chroot': ['Not a valid choice.']}"
