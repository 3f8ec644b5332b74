"""The APIv3 routes the stand-in lacked (issue 14, item 1), with upstream's shapes, codes and
messages: permissions and their effect, project search, the SRPM step of a build, a build
chroot's config, monitor, rpmrepo, webhook secrets and API tokens."""

import base64

URL = "http://example.org/hello-1-1.src.rpm"


def url_build(client, owner="alice", project="np") -> dict:
    response = client.post("/build/create/url", json={
        "ownername": owner, "projectname": project, "pkgs": [URL]})
    return response


# -- permissions ----------------------------------------------------------------------------------


def test_no_permissions_yet_is_404(project, alice):
    project("np")
    response = alice.get("/project/permissions/get/alice/np")
    assert response.status_code == 404
    assert response.get_json() == {"error": "No permissions set on alice/np project"}


def test_request_then_approve_lets_bob_build_and_an_admin_edit(project, alice, bob, api):
    project("np")
    assert url_build(bob).status_code == 403
    can = api().get("/project/permissions/can_build_in/bob/alice/np").get_json()
    assert can == {"who": "bob", "ownername": "alice", "projectname": "np",
                   "can_build_in": False}

    requested = bob.post("/project/permissions/request/alice/np", method="PUT",
                         json={"builder": True})
    assert requested.get_json() == {"updated": True}
    assert alice.get("/project/permissions/get/alice/np").get_json() == {
        "permissions": {"bob": {"admin": "nothing", "builder": "request"}}}
    assert url_build(bob).status_code == 403  # requested is not approved

    approved = alice.post("/project/permissions/set/alice/np", method="PUT",
                          json={"bob": {"builder": "approved"}})
    assert approved.get_json() == {"updated": ["bob"]}
    assert api().get("/project/permissions/can_build_in/bob/alice/np").get_json()[
        "can_build_in"] is True
    build = url_build(bob)
    assert build.status_code == 200
    assert bob.post(f"/build/cancel/{build.get_json()['items'][0]['id']}",
                    method="PUT").status_code == 200
    # A builder may not edit the project; an approved admin may.
    assert bob.post("/project/edit/alice/np", method="PUT",
                    json={"description": "b"}).status_code == 403
    alice.post("/project/permissions/set/alice/np", method="PUT",
               json={"bob": {"admin": "approved"}})
    assert bob.post("/project/edit/alice/np", method="PUT",
                    json={"description": "b"}).status_code == 200
    # ... but only the owner may delete it.
    assert bob.post("/project/delete/alice/np", method="DELETE").status_code == 403
    again = bob.post("/project/permissions/request/alice/np", method="PUT",
                     json={"admin": True})
    assert again.status_code == 400
    assert again.get_json() == {"error": "You already are 'admin' in 'alice/np'"}


def test_permission_refusals_use_upstreams_texts(project, alice, bob):
    project("np")
    others = bob.post("/project/permissions/set/alice/np", method="PUT",
                      json={"bob": {"builder": "approved"}})
    assert others.status_code == 403
    assert others.get_json() == {"error": "User 'bob' can not see permissions for project "
                                          "'alice/np' (missing admin rights)"}
    cases = [
        ([], "request is not a dictionary, expected format: {'username': {'admin': 'nothing', "
             "'builder': 'request'} ...}"),
        ({}, "no permission change requested"),
        ({"nobody": {"builder": "approved"}}, "user 'nobody' doesn't exist in database"),
        ({"bob": {"root": "approved"}}, "invalid permission 'root', allowed admin|builder"),
        ({"bob": {"builder": "yes"}},
         "invalid 'builder' permission state 'yes', use nothing|request|approved"),
        ({"alice": {"builder": "approved"}}, "user 'alice' is owner of the 'alice/np' project"),
    ]
    for body, message in cases:
        response = alice.post("/project/permissions/set/alice/np", method="PUT", json=body)
        assert response.status_code == 400 and response.get_json() == {"error": message}, body
    bad = bob.post("/project/permissions/request/alice/np", method="PUT", json={"builder": 1})
    assert bad.get_json() == {
        "error": "invalid 'builder' permission request '1', expected True or False"}
    assert api_missing_user(alice).status_code == 404


def api_missing_user(client):
    return client.get("/project/permissions/can_build_in/nobody/alice/np")


# -- search ---------------------------------------------------------------------------------------


def test_project_search(project, api):
    project("needle-one", description="")
    project("other", description="has a Needle inside")
    project("unrelated")
    found = api().get("/project/search", query="needle").get_json()
    assert [item["name"] for item in found["items"]] == ["needle-one", "other"]
    by_owner = api().get("/project/search", query="ali/unrel").get_json()
    assert [item["full_name"] for item in by_owner["items"]] == ["alice/unrelated"]
    missing = api().get("/project/search")
    assert missing.status_code == 400
    assert missing.get_json() == {"error": "Missing argument query"}


# -- builds ---------------------------------------------------------------------------------------


def test_source_chroot_and_source_build_config(project, alice, api):
    project("np")
    build = url_build(alice, project="np").get_json()["items"][0]
    chroot = api().get(f"/build/source-chroot/{build['id']}").get_json()
    assert chroot == {"state": "pending", "result_url":
                      f"http://backend.test/results/alice/np/srpm-builds/{build['id']:08d}"}
    config = api().get(f"/build/source-build-config/{build['id']}").get_json()
    assert config == {"source_type": "link", "source_dict": {"url": URL}, "memory_limit": 2048,
                      "timeout": 18000, "is_background": False}
    assert api().get("/build/source-chroot/99999").status_code == 404


def test_build_chroot_build_config(project, alice, api):
    project("np", bootstrap="on")
    alice.post("/project-chroot/edit/alice/np/fedora-44-x86_64", method="PUT",
               json={"additional_packages": ["gcc"]})
    build = url_build(alice, project="np").get_json()["items"][0]
    config = api().get("/build-chroot/build-config", build_id=build["id"],
                       chrootname="fedora-44-x86_64").get_json()
    assert set(config) == {"repos", "additional_repos", "additional_packages", "with_opts",
                           "without_opts", "memory_limit", "timeout", "enable_net",
                           "is_background", "bootstrap", "bootstrap_image"}
    assert config["additional_packages"] == ["gcc"]
    assert config["additional_repos"] == ["copr://alice/np"]
    assert (config["bootstrap"], config["bootstrap_image"]) == ("on", None)
    missing = api().get("/build-chroot/build-config", build_id=build["id"],
                        chrootname="epel-9-x86_64")
    assert missing.status_code == 404


# -- monitor, rpmrepo -----------------------------------------------------------------------------


def test_monitor(project, alice, api):
    project("np")
    alice.post("/package/add/alice/np/hello/pypi", json={"pypi_package_name": "hello"})
    build = alice.post("/package/build", json={"ownername": "alice", "projectname": "np",
                                               "package_name": "hello"}).get_json()
    answer = api().get("/monitor", ownername="alice", projectname="np",
                       **{"additional_fields[]": ["url_build_log"]}).get_json()
    assert answer["output"] == "ok"
    assert answer["message"] == "Project monitor request successful"
    assert answer["packages"] == [{"name": "hello", "chroots": {"fedora-44-x86_64": {
        "state": "waiting", "status": 9, "build_id": build["id"], "url_build_log": None,
        "pkg_version": None}}}]
    bad = api().get("/monitor", ownername="alice", projectname="np",
                    **{"additional_fields[]": ["nope", "url_build"]})
    assert bad.status_code == 400
    assert bad.get_json() == {"error": "Wrong additional_fields argument(s): nope"}


def test_rpmrepo(project, api):
    project("dep")
    project("np", chroots=("fedora-44-x86_64", "fedora-44-aarch64", "epel-9-x86_64"),
            runtime_dependencies="copr://alice/dep http://example.org/$chroot/",
            repo_priority=5, module_hotfixes=True)
    data = api().get("/rpmrepo/alice/np/fedora-44").get_json()
    assert data["results_url"] == "http://backend.test/results"
    opts = {"module_hotfixes": "1", "priority": 5}
    assert data["repos"] == {
        "epel-9": {"arch": {"x86_64": {"opts": opts}}},
        "fedora-44": {"arch": {"x86_64": {"opts": opts}, "aarch64": {"opts": opts}}}}
    assert data["directories"] == {"np": {}}
    assert [dep["type"] for dep in data["dependencies"]] == ["copr", "external_baseurl"]
    assert data["dependencies"][0]["data"] == {"owner": "alice", "projectname": "dep"}
    assert data["dependencies"][0]["opts"]["id"] == "coprdep:frontend.test:alice:dep"
    assert data["dependencies"][1]["data"] == {"pattern": "http://example.org/$chroot/"}
    assert api().get("/rpmrepo/alice/nothing/fedora-44").status_code == 404


# -- webhook, api-token ---------------------------------------------------------------------------


def test_webhook_secret(project, alice, bob):
    created = project("np")
    first = alice.post("/webhook/generate/alice/np").get_json()
    assert set(first) == {"id", "name", "ownername", "full_name", "webhook_secret"}
    assert first["id"] == created["id"] and len(first["webhook_secret"]) == 36
    second = alice.post("/webhook/generate/alice/np").get_json()
    assert second["webhook_secret"] != first["webhook_secret"]
    assert bob.post("/webhook/generate/alice/np").status_code == 403


def test_api_token_replaces_the_old_one(app, api):
    carol = api("carol")
    answer = carol.post("/api-token")
    assert answer.status_code == 200
    token = answer.get_json()
    assert set(token) == {"api_login", "api_token", "expiration"}
    assert len(token["api_token"]) == 30 and len(token["api_login"]) == 20
    assert carol.get("/auth-check").status_code == 401  # the old token is gone
    pair = base64.b64encode(f"{token['api_login']}:{token['api_token']}".encode()).decode()
    fresh = app.test_client().get("/api_3/auth-check", headers={"Authorization": f"Basic {pair}"})
    assert fresh.get_json()["name"] == "carol"
