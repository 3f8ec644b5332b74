"""/api_3/project-chroot/ and /api_3/mock-chroots/: shapes, status codes and messages."""

PROJECT_CHROOT_KEYS = {"mock_chroot", "projectname", "ownername", "comps_name",
                       "additional_repos", "additional_packages", "additional_modules",
                       "with_opts", "without_opts", "delete_after_days", "isolation"}


def test_mock_chroots_list(api):
    chroots = api().get("/mock-chroots/list").get_json()
    assert "fedora-44-x86_64" in chroots
    assert chroots["fedora-rawhide-x86_64"] == "the development branch"


def test_get_and_edit(project, alice, api):
    project("pc")
    got = api().get("/project-chroot", ownername="alice", projectname="pc",
                    chrootname="fedora-44-x86_64")
    assert set(got.get_json()) == PROJECT_CHROOT_KEYS
    edited = alice.post("/project-chroot/edit/alice/pc/fedora-44-x86_64", method="PUT",
                        json={"additional_packages": ["gcc", "make"], "with_opts": ["tests"]})
    assert edited.status_code == 200
    assert edited.get_json()["additional_packages"] == ["gcc", "make"]
    assert edited.get_json()["with_opts"] == ["tests"]


def test_reset_of_an_unknown_field_is_refused_with_upstreams_text(project, alice):
    project("pc")
    response = alice.post("/project-chroot/edit/alice/pc/fedora-44-x86_64", method="PUT",
                          json={"reset_fields": ["nonexisting"]})
    assert response.status_code == 400
    assert response.get_json()["error"] == (
        "Trying to reset an invalid attribute: nonexisting\n"
        "See `copr-cli get-chroot alice/pc/fedora-44-x86_64' for all the possible attributes")


def test_missing_chroot_is_404(project, api):
    project("pc")
    response = api().get("/project-chroot", ownername="alice", projectname="pc",
                         chrootname="epel-9-x86_64")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "Chroot name epel-9-x86_64 does not exist in Copr alice/pc."}


def test_build_config_repos(project, alice, api):
    project("pc", additional_repos=["copr://alice/other", "http://example.org/$chroot/"])
    config = api().get("/project-chroot/build-config", ownername="alice", projectname="pc",
                       chrootname="fedora-44-x86_64").get_json()
    base = "http://backend.test/results/alice/pc/fedora-44-x86_64/"
    assert config["chroot"] == "fedora-44-x86_64"
    assert config["repos"][0]["id"] == "copr_base" and config["repos"][0]["baseurl"] == base
    baseurls = [repo["baseurl"] for repo in config["repos"]]
    assert "http://example.org/fedora-44-x86_64/" in baseurls
    assert "http://backend.test/results/alice/other/fedora-44-x86_64/" in baseurls


def test_only_editors_may_edit(project, bob):
    project("pc")
    response = bob.post("/project-chroot/edit/alice/pc/fedora-44-x86_64", method="PUT",
                        json={"with_opts": ["x"]})
    assert response.status_code == 403
