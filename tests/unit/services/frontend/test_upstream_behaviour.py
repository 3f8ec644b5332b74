"""Where the stand-in used to differ from upstream (issue 14, item 3): soft delete, 409s,
build list filtering, build-chroot pagination, package builds without a source, permission
texts, build configs."""

import base64

URL = "http://example.org/hello-1-1.src.rpm"


def url_build(client, project: str) -> int:
    response = client.post("/build/create/url", json={
        "ownername": "alice", "projectname": project, "pkgs": [URL]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"][0]["id"]


def test_a_forked_project_deletes_and_its_name_is_free_again(project, alice, api, frontend):
    source = project("orig")
    assert alice.post("/project/fork/alice/orig", json={"name": "fork"}).status_code == 200
    deleted = alice.post("/project/delete/alice/orig", method="DELETE")
    assert deleted.status_code == 200 and deleted.get_json()["id"] == source["id"]
    assert api().get("/project", ownername="alice", projectname="orig").status_code == 404
    listed = api().get("/project/list", ownername="alice").get_json()["items"]
    assert [item["name"] for item in listed] == ["fork"]
    again = project("orig")
    assert again["id"] != source["id"]
    assert api().get("/project", ownername="alice", projectname="fork").status_code == 200
    # The old row stays (the fork points at it), marked deleted, with a delete action queued.
    from coprs.db import session
    from coprs.models import Action, Copr
    old = session.get(Copr, source["id"])
    assert old.deleted is True and old.name == "orig"
    assert [a.object_type for a in session.query(Action).filter_by(copr_id=old.id)
            if a.action_type == 0] == ["copr"]
    session.remove()


def test_delete_refusals_use_upstreams_texts(project, alice, bob):
    project("keep", persistent=True)
    protected = alice.post("/project/delete/alice/keep", method="DELETE")
    assert protected.status_code == 403
    assert protected.get_json() == {"error": "This project is protected against deletion."}
    project("busy")
    build_id = url_build(alice, "busy")
    running = alice.post("/project/delete/alice/busy", method="DELETE")
    assert running.status_code == 400
    assert running.get_json() == {"error": f"Build(s) {build_id} are still running.\n"}
    other = bob.post("/project/delete/alice/busy", method="DELETE")
    assert other.status_code == 403
    assert other.get_json() == {"error": "Only owners may delete their projects."}


def test_regenerate_repos_refusal_text(project, bob):
    project("rr")
    response = bob.post("/project/regenerate-repos/alice/rr", method="PUT")
    assert response.get_json() == {"error": "User 'bob' can not see permissions for project "
                                            "'alice/rr' (missing admin rights)"}


def test_missing_argument_text(api):
    response = api().get("/project", ownername="alice")
    assert response.status_code == 400
    assert response.get_json() == {"error": "Missing argument projectname"}


def test_cancel_of_a_finished_build_is_409(project, alice, bob):
    project("cx")
    build_id = url_build(alice, "cx")
    refused = bob.post(f"/build/cancel/{build_id}", method="PUT")
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "You are not allowed to cancel this build."}
    assert alice.post(f"/build/cancel/{build_id}", method="PUT").status_code == 200
    again = alice.post(f"/build/cancel/{build_id}", method="PUT")
    assert again.status_code == 409
    assert again.get_json() == {"error": f"Cannot cancel build {build_id}"}


def test_duplicate_package_is_409_and_unknown_type_400(project, alice):
    project("pk")
    assert alice.post("/package/add/alice/pk/hello/pypi",
                      json={"pypi_package_name": "hello"}).status_code == 200
    again = alice.post("/package/add/alice/pk/hello/pypi", json={"pypi_package_name": "hello"})
    assert again.status_code == 409
    assert again.get_json() == {"error": "Package hello already exists in copr alice/pk."}
    unknown = alice.post("/package/add/alice/pk/other/svn", json={})
    assert unknown.status_code == 400
    assert unknown.get_json() == {"error": "Unsupported package source type svn"}


def test_package_edit_without_a_type_keeps_the_packages_own(project, alice):
    project("pk")
    alice.post("/package/add/alice/pk/hello/pypi", json={"pypi_package_name": "hello"})
    edited = alice.post("/package/edit/alice/pk/hello/", json={"pypi_package_version": "2"})
    assert edited.status_code == 200
    assert edited.get_json()["source_dict"] == {"pypi_package_name": "hello",
                                                "pypi_package_version": "2"}
    assert alice.post("/package/edit/alice/pk/hello/pypi", method="PUT",
                      json={}).status_code == 405


def test_build_of_a_package_without_a_source_is_refused(project, alice):
    project("pk")
    alice.post("/package/add/alice/pk/hello/pypi", json={"pypi_package_name": "hello"})
    alice.post("/package/reset", method="PUT",
               json={"ownername": "alice", "projectname": "pk", "package_name": "hello"})
    response = alice.post("/package/build", json={"ownername": "alice", "projectname": "pk",
                                                  "package_name": "hello"})
    assert response.status_code == 400
    assert response.get_json() == {"error": (
        "Package 'Unset default source for package hello' doesn't have the default source "
        "method set, but it is required for "
        "the rebuild request.  Please configure some source  method first")}


def test_package_reset_and_delete_refusals(project, alice, bob):
    project("pk")
    package_id = alice.post("/package/add/alice/pk/hello/pypi",
                            json={"pypi_package_name": "h"}).get_json()["id"]
    body = {"ownername": "alice", "projectname": "pk", "package_name": "hello"}
    reset = bob.post("/package/reset", method="PUT", json=body)
    assert reset.status_code == 403
    assert reset.get_json() == {"error": f"You are not allowed to reset package `{package_id}`."}
    delete = bob.post("/package/delete", method="DELETE", json=body)
    assert delete.get_json() == {"error": f"You are not allowed to delete package `{package_id}`."}


def test_build_list_filters_by_status_before_the_limit(project, alice, api):
    project("bl")
    first, second, third = (url_build(alice, "bl") for _ in range(3))
    alice.post(f"/build/cancel/{first}", method="PUT")
    alice.post(f"/build/cancel/{second}", method="PUT")
    page = api().get("/build/list", ownername="alice", projectname="bl", status="pending",
                     limit=1).get_json()
    assert [item["id"] for item in page["items"]] == [third]
    assert page["meta"]["limit"] == 1
    canceled = api().get("/build/list", ownername="alice", projectname="bl", status="canceled",
                         limit=5).get_json()
    assert [item["id"] for item in canceled["items"]] == [first, second]


def test_build_delete_list_gathers_every_problem(project, alice, bob):
    project("dl")
    done = url_build(alice, "dl")
    alice.post(f"/build/cancel/{done}", method="PUT")
    running = url_build(alice, "dl")
    response = alice.post("/build/delete/list", method="DELETE",
                          json={"builds": [done, running, 999]})
    assert response.status_code == 400
    assert response.get_json() == {"error": f"Build(s) {running} are still running.\n"
                                            "Build(s) 999 don't exist.\n"}
    denied = bob.post("/build/delete/list", method="DELETE", json={"builds": [done]})
    assert denied.get_json() == {"error": f"You don't have permissions to delete build(s) {done}.\n"}
    assert alice.post("/build/delete/list", method="DELETE",
                      json={"builds": [done]}).status_code == 200


def test_build_chroot_list_is_paginated_by_id(project, alice, api):
    project("bc", chroots=("fedora-44-x86_64", "epel-9-x86_64", "fedora-43-x86_64"))
    build_id = url_build(alice, "bc")
    page = api().get("/build-chroot/list", build_id=build_id, limit=2).get_json()
    assert len(page["items"]) == 2
    assert page["meta"] == {"limit": 2, "offset": 0, "order": "id", "order_type": "ASC"}
    rest = api().get("/build-chroot/list", build_id=build_id, limit=2, offset=2).get_json()
    names = [item["name"] for item in page["items"] + rest["items"]]
    assert sorted(names) == ["epel-9-x86_64", "fedora-43-x86_64", "fedora-44-x86_64"]
    old_client = api().get("/build-chroot/list", build_id=build_id, order="name").get_json()
    assert old_client["meta"]["order"] == "id"
    missing = api().get("/build-chroot", build_id=build_id, chrootname="fedora-rawhide-x86_64")
    assert missing.status_code == 404
    assert missing.get_json() == {
        "error": f"Build {build_id} was not submitted to fedora-rawhide-x86_64 chroot."}


def test_project_chroot_build_config_has_upstreams_fields(project, alice, api):
    project("cfg", bootstrap="on", additional_repos=["http://example.org/r/"], devel_mode=True)
    alice.post("/project-chroot/edit/alice/cfg/fedora-44-x86_64", method="PUT",
               json={"additional_repos": ["http://example.org/chroot/"]})
    config = api().get("/project-chroot/build-config", ownername="alice", projectname="cfg",
                       chrootname="fedora-44-x86_64").get_json()
    assert set(config) == {"chroot", "repos", "additional_repos", "additional_packages",
                           "additional_modules", "enable_net", "with_opts", "without_opts",
                           "isolation"}
    assert config["additional_repos"] == ["copr://alice/cfg", "http://example.org/chroot/",
                                          "http://example.org/r/", "copr://alice/cfg/devel"]
    for repo in config["repos"]:
        assert set(repo) == {"baseurl", "module_hotfixes", "priority", "repo_gpgcheck", "id",
                             "name"}
    assert config["repos"][0]["priority"] is None


def test_group_project_is_deleted_by_members_only(project, bob, api):
    project("grp", owner="@copr")
    refused = bob.post("/project/delete/@copr/grp", method="DELETE")
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "User 'bob' doesn't have access to the copr group "
                                           "'copr' (fas_name='copr')"}
    assert api("carol").post("/project/delete/@copr/grp", method="DELETE").status_code == 200


def test_a_forks_builds_stay_forked_after_the_backend_copied_them(project, alice, api, frontend,
                                                                  monkeypatch):
    """Upstream's fork_copr marks the copies "forked" (source and chroots) and nothing flips
    them: they never ran, so they announce no message (harness/messages)."""
    project("orig")
    build_id = url_build(alice, "orig")
    from coprs.db import session
    from coprs.enums import StatusEnum
    from coprs.models import Action, Build, Package
    build = session.get(Build, build_id)
    build.package = Package(name="hello", copr=build.copr)
    build.source_status = StatusEnum.succeeded
    for chroot in build.chroots:
        chroot.status = StatusEnum.succeeded
    session.commit()
    session.remove()
    assert alice.post("/project/fork/alice/orig", json={"name": "fork"}).status_code == 200
    [copy] = api().get("/build/list", ownername="alice", projectname="fork").get_json()["items"]
    assert copy["state"] == "forked"
    action = session.query(Action).filter_by(action_type=7).one()
    action_id = action.id
    session.remove()
    monkeypatch.setitem(frontend.app.config, "BACKEND_PASSWORD", "pw")
    done = frontend.app.test_client().post(
        "/backend/update/", json={"actions": [{"id": action_id, "result": 1}]},
        headers={"Authorization": "Basic " + base64.b64encode(b"user:pw").decode()})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert api().get(f"/build/{copy['id']}").get_json()["state"] == "forked"
    chroots = api().get("/build-chroot/list", build_id=copy["id"]).get_json()["items"]
    assert [c["state"] for c in chroots] == ["forked"]
