"""Malformed input answers 400 with upstream's message shape, never 500 (issue 18, item 13).

Upstream's forms word the messages (wtforms' IntegerField/NumberRange/Length texts, its
PaginationForm errors dict, "Bad request parameters: {...}" for builds, "Cannot order by ...").
Upstream itself answers some of these with 500 (its pagination errors are a plain
CoprHttpException, a negative offset reaches the database); the stand-in answers 400.
"""

import pytest

URL = "http://example.org/hello-1-1.src.rpm"
LONG = "x" * 101


@pytest.mark.parametrize("params, message", [
    ({"limit": "abc"}, "{'limit': ['Not a valid integer value.']}"),
    ({"offset": "-1"}, "{'offset': ['Number must be at least 0.']}"),
    ({"limit": "-5"}, "{'limit': ['Number must be at least 0.']}"),
    ({"order_type": "sideways"}, "{'order_type': ['Not a valid choice.']}"),
    ({"order": "__class__"}, "Cannot order by __class__"),
    ({"order": "owner_name"}, "Cannot order by owner_name"),
    ({"order": "nothing"}, "Cannot order by nothing, copr doesn't have such property"),
])
def test_bad_pagination_is_400(api, project, params, message):
    project("pg")
    for path, extra in (("/project/list", {}),
                        ("/build/list", {"ownername": "alice", "projectname": "pg"}),
                        ("/package/list", {"ownername": "alice", "projectname": "pg"})):
        response = api().get(path, **extra, **params)
        if params.get("order") in ("nothing", "owner_name") and path != "/project/list":
            continue  # the answer depends on the table: only Copr has that property
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json() == {"error": message}, path


def test_order_by_a_real_column_works(api, project):
    project("a1")
    project("a2")
    page = api().get("/project/list", order="name", order_type="DESC").get_json()
    assert [item["name"] for item in page["items"]] == ["a2", "a1"]


@pytest.mark.parametrize("timeout, message", [
    ("abc", "Bad request parameters: {'timeout': ['Not a valid integer value.']}"),
    ("-1", "Bad request parameters: {'timeout': ['Number must be between 0 and 108000.']}"),
    ("108001", "Bad request parameters: {'timeout': ['Number must be between 0 and 108000.']}"),
])
def test_bad_build_timeout_is_400(project, alice, timeout, message):
    project("bt")
    response = alice.post("/build/create/url", json={
        "ownername": "alice", "projectname": "bt", "pkgs": [URL], "timeout": timeout})
    assert response.status_code == 400
    assert response.get_json() == {"error": message}


def test_build_form_errors_come_before_the_permission_check(project, bob):
    project("bt")
    response = bob.post("/build/create/url", json={
        "ownername": "alice", "projectname": "bt", "pkgs": [URL], "chroots": ["nope-1-x"]})
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request parameters: {'chroots': "
                                            "[\"'nope-1-x' is not a valid choice for this "
                                            "field.\"]}"}


def test_names_over_100_characters_are_400(project, alice):
    response = alice.post("/project/add/alice", json={"name": LONG})
    assert response.status_code == 400
    assert response.get_json() == {"error": "name: Field cannot be longer than 100 characters."}
    fork_source = project("src")
    assert fork_source["name"] == "src"
    fork = alice.post("/project/fork/alice/src", json={"name": LONG})
    assert fork.status_code == 400
    package = alice.post(f"/package/add/alice/src/{LONG}/pypi", json={"pypi_package_name": "x"})
    assert package.status_code == 400
    assert package.get_json() == {
        "error": "package_name: Field cannot be longer than 100 characters."}


def test_numbers_of_projects_and_packages_are_checked(project, alice):
    refused = alice.post("/project/add/alice", json={"name": "n", "repo_priority": "abc"})
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "repo_priority: Not a valid integer value."}
    project("n2")
    edited = alice.post("/project/edit/alice/n2", method="PUT",
                        json={"delete_after_days": "1000"})
    assert edited.status_code == 400
    assert edited.get_json() == {"error": "delete_after_days: Number must be between -1 and 720."}
    package = alice.post("/package/add/alice/n2/p/pypi", json={"max_builds": "x"})
    assert package.status_code == 400
    assert package.get_json() == {"error": "max_builds: Not a valid integer value."}


def test_non_ascii_text_round_trips(project, api):
    created = project("utf", description="café ☕")
    assert created["description"] == "café ☕"
    missing = api().get("/project", ownername="alice", projectname="café")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "Project alice/café does not exist."}
