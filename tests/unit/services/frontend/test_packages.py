"""/api_3/package/: shapes, status codes and messages."""

PACKAGE_KEYS = {"id", "name", "ownername", "projectname", "source_type", "source_dict",
                "auto_rebuild", "builds"}
SCM = {"clone_url": "https://example.org/x.git", "committish": "main", "spec": "x.spec",
       "scm_type": "git", "source_build_method": "rpkg"}


def test_add_get_edit_reset_delete(project, alice, api):
    project("pp")
    added = alice.post("/package/add/alice/pp/hello/scm", json=SCM)
    assert added.status_code == 200, added.get_json()
    package = added.get_json()
    assert set(package) == PACKAGE_KEYS and package["source_type"] == "scm"
    assert package["source_dict"] == {"clone_url": "https://example.org/x.git",
                                      "committish": "main", "spec": "x.spec", "type": "git",
                                      "source_build_method": "rpkg"}
    assert package["builds"] == {"latest": None, "latest_succeeded": None}
    got = api().get("/package", ownername="alice", projectname="pp", packagename="hello")
    assert got.get_json() == package
    edited = alice.post("/package/edit/alice/pp/hello/scm", json={"committish": "v2"})
    assert edited.get_json()["source_dict"]["committish"] == "v2"
    assert edited.get_json()["source_dict"]["spec"] == "x.spec"
    reset = alice.post("/package/reset", method="PUT",
                       json={"ownername": "alice", "projectname": "pp", "package_name": "hello"})
    assert reset.get_json()["source_type"] == "unset" and reset.get_json()["source_dict"] == {}
    deleted = alice.post("/package/delete", method="DELETE",
                         json={"ownername": "alice", "projectname": "pp", "package_name": "hello"})
    assert deleted.status_code == 200
    missing = api().get("/package", ownername="alice", projectname="pp", packagename="hello")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "No package with name hello in copr pp"}


def test_list(project, alice, api):
    project("pp")
    for name in ("a", "b"):
        alice.post(f"/package/add/alice/pp/{name}/pypi", json={"pypi_package_name": name})
    page = api().get("/package/list", ownername="alice", projectname="pp").get_json()
    assert [item["name"] for item in page["items"]] == ["a", "b"]
    assert page["items"][0]["source_dict"] == {"pypi_package_name": "a"}


def test_name_rule_and_other_users(project, alice, bob):
    project("pp")
    bad = alice.post("/package/add/alice/pp/x:y/scm", json=SCM)
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "package_name: Please enter a valid package name in " \
                                      "^[-+_.a-zA-Z0-9]+$"
    refused = bob.post("/package/add/alice/pp/hello/scm", json=SCM)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "You are not allowed to add or edit packages in this copr."


def test_build_of_a_package_with_a_source(project, alice):
    project("pp")
    alice.post("/package/add/alice/pp/hello/scm", json=SCM)
    built = alice.post("/package/build", json={"ownername": "alice", "projectname": "pp",
                                               "package_name": "hello"})
    assert built.status_code == 200
    assert built.get_json()["source_package"]["name"] == "hello"
