"""/api_3/project/: shapes, status codes and messages."""

PROJECT_KEYS = {"id", "name", "ownername", "full_name", "homepage", "contact", "description",
                "instructions", "devel_mode", "persistent", "unlisted_on_hp", "auto_prune",
                "chroot_repos", "additional_repos", "enable_net", "bootstrap", "isolation",
                "module_hotfixes", "appstream", "packit_forge_projects_allowed",
                "follow_fedora_branching", "repo_priority", "storage"}


def test_add_answers_the_project_with_upstreams_keys(project, api):
    created = project("one", chroots=("fedora-44-x86_64", "epel-9-x86_64"), description="d",
                      additional_repos=["http://example.org/repo"])
    assert set(created) == PROJECT_KEYS
    assert created["full_name"] == "alice/one" and created["description"] == "d"
    assert created["chroot_repos"] == {
        "epel-9-x86_64": "http://backend.test/results/alice/one/epel-9-x86_64/",
        "fedora-44-x86_64": "http://backend.test/results/alice/one/fedora-44-x86_64/"}
    assert created["additional_repos"] == ["http://example.org/repo"]
    got = api().get("/project", ownername="alice", projectname="one")
    assert got.status_code == 200 and got.get_json() == created


def test_add_refuses_a_duplicate_and_unknown_chroots_with_form_errors(project, alice):
    project("dup")
    again = alice.post("/project/add/alice", json={"name": "dup", "chroots": ["nope-1-x"]})
    assert again.status_code == 400
    assert again.get_json()["error"].splitlines() == [
        "name: You already have a project named 'dup'.",
        "chroots: 'nope-1-x' is not a valid choice for this field"]


def test_add_with_exist_ok_answers_the_existing_project(project, alice):
    first = project("same")
    again = alice.post("/project/add/alice?exist_ok=True", json={"name": "same"})
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]


def test_name_rules(alice):
    for name, message in (("", "name: This field is required."),
                          ("a/b", "name: Name must contain only letters, digits, underscores, "
                                  "dashes and dots."),
                          ("123", "name: Project's name can not be just number.")):
        response = alice.post("/project/add/alice", json={"name": name})
        assert response.status_code == 400 and response.get_json()["error"] == message, name


def test_group_project_needs_membership(api, alice, bob):
    assert alice.post("/project/add/@copr", json={"name": "g"}).status_code == 200
    refused = bob.post("/project/add/@copr", json={"name": "g2"})
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "User 'bob' doesn't have access to the copr group 'copr'."
    listed = api().get("/project/list", ownername="@copr").get_json()
    assert [item["full_name"] for item in listed["items"]] == ["@copr/g"]


def test_missing_project_is_404_and_missing_argument_400(api):
    missing = api().get("/project", ownername="alice", projectname="nothing")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "Project alice/nothing does not exist."}
    assert api().get("/project", ownername="alice").status_code == 400


def test_writes_need_a_token_with_upstreams_401_body(api):
    response = api().post("/project/add/alice", json={"name": "x"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["output"] == "notok" and body["error"].startswith("Login invalid/expired.")


def test_edit_by_owner_and_refused_to_others(project, alice, bob):
    project("ed", chroots=("fedora-44-x86_64", "epel-9-x86_64"))
    edited = alice.post("/project/edit/alice/ed", method="PUT",
                        json={"description": "new", "chroots": ["fedora-44-x86_64"]})
    assert edited.status_code == 200
    assert edited.get_json()["description"] == "new"
    assert list(edited.get_json()["chroot_repos"]) == ["fedora-44-x86_64"]
    refused = bob.post("/project/edit/alice/ed", method="PUT", json={"description": "bob"})
    assert refused.status_code == 403 and "error" in refused.get_json()


def test_list_is_paginated_with_integer_meta(project, api):
    for name in ("l1", "l2", "l3"):
        project(name)
    page = api().get("/project/list", ownername="alice", limit=2, offset=1).get_json()
    assert [item["name"] for item in page["items"]] == ["l2", "l3"]
    assert page["meta"] == {"limit": 2, "offset": 1, "order": "id", "order_type": "ASC"}


def test_regenerate_repos_queues_createrepo(project, alice, bob):
    project("re")
    assert alice.post("/project/regenerate-repos/alice/re", method="PUT").status_code == 200
    assert bob.post("/project/regenerate-repos/alice/re", method="PUT").status_code == 403


def test_fork_into_an_existing_project_needs_confirm(project, alice):
    project("src")
    assert alice.post("/project/fork/alice/src", json={"name": "dst"}).status_code == 200
    again = alice.post("/project/fork/alice/src", json={"name": "dst"})
    assert again.status_code == 400
    assert again.get_json()["error"] == ("You are about to fork into existing project: alice/dst\n"
                                        "Please use --confirm if you really want to do this")
    assert alice.post("/project/fork/alice/src",
                      json={"name": "dst", "confirm": True}).status_code == 200
