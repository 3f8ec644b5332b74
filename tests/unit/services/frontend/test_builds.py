"""/api_3/build/ and /api_3/build-chroot/: shapes, status codes and messages."""

import io
import json

BUILD_KEYS = {"id", "state", "projectname", "ownername", "repo_url", "source_package",
              "submitted_on", "started_on", "ended_on", "submitter", "chroots",
              "project_dirname", "is_background"}
URL = "http://example.org/hello-1-1.src.rpm"


def url_build(client, project="bp", **fields) -> dict:
    response = client.post("/build/create/url", json={
        "ownername": "alice", "projectname": project, "pkgs": [URL], **fields})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"][0]


def test_url_build_has_upstreams_keys_and_is_pending(project, alice, api):
    project("bp", chroots=("fedora-44-x86_64", "epel-9-x86_64"))
    build = url_build(alice)
    assert set(build) == BUILD_KEYS
    assert build["state"] == "pending" and build["submitter"] == "alice"
    assert build["chroots"] == ["epel-9-x86_64", "fedora-44-x86_64"]
    assert build["repo_url"] == "http://backend.test/results/alice/bp"
    assert api().get(f"/build/{build['id']}").get_json() == build


def test_upload_build_stores_the_file_for_the_builder(project, alice, app):
    project("bp")
    data = {"json": (io.BytesIO(json.dumps({"ownername": "alice", "projectname": "bp"}).encode()),
                     "json", "application/json"),
            "pkgs": (io.BytesIO(b"srpm bytes"), "hello-1-1.src.rpm")}
    response = alice.post("/build/create/upload", data=data, json=None,
                          content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    url = response.get_json()["source_package"]["url"]
    assert url.startswith("http://frontend:5000/tmp/tmp") and url.endswith("/hello-1-1.src.rpm")
    served = app.test_client().get(url.removeprefix("http://frontend:5000"))
    assert served.status_code == 200 and served.data == b"srpm bytes"


def test_build_into_an_unknown_chroot_is_refused(project, alice):
    project("bp")
    response = alice.post("/build/create/url", json={
        "ownername": "alice", "projectname": "bp", "pkgs": [URL], "chroots": ["epel-9-x86_64"]})
    assert response.status_code == 400


def test_only_members_may_build(project, bob):
    project("bp")
    response = bob.post("/build/create/url", json={
        "ownername": "alice", "projectname": "bp", "pkgs": [URL]})
    assert response.status_code == 403


def test_check_before_build(project, alice):
    project("bp")
    response = alice.post("/build/check-before-build",
                          json={"ownername": "alice", "projectname": "bp"})
    assert response.get_json() == {"message": "It should be safe to submit a build like this"}


def test_cancel_then_delete(project, alice, bob, api):
    project("bp")
    build = url_build(alice)
    assert bob.post(f"/build/cancel/{build['id']}", method="PUT").status_code == 403
    canceled = alice.post(f"/build/cancel/{build['id']}", method="PUT")
    assert canceled.status_code == 200 and canceled.get_json()["state"] == "canceled"
    deleted = alice.post("/build/delete/list", method="DELETE", json={"builds": [build["id"]]})
    assert deleted.status_code == 200 and deleted.get_json() == {"builds": [build["id"]]}
    missing = api().get(f"/build/{build['id']}")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": f"Build {build['id']} does not exist."}


def test_list_filters_by_package(project, alice, api):
    project("bp")
    first = url_build(alice)
    url_build(alice)
    page = api().get("/build/list", ownername="alice", projectname="bp").get_json()
    assert [item["id"] for item in page["items"]] == [first["id"], first["id"] + 1]
    assert api().get("/build/list", ownername="alice", projectname="bp",
                     packagename="nothing").get_json()["items"] == []


def test_build_chroots(project, alice, api):
    project("bp", chroots=("fedora-44-x86_64", "epel-9-x86_64"))
    build = url_build(alice)
    chroot = api().get("/build-chroot", build_id=build["id"], chrootname="epel-9-x86_64")
    assert chroot.status_code == 200
    assert chroot.get_json() == {"name": "epel-9-x86_64", "state": "waiting", "started_on": None,
                                 "ended_on": None, "result_url": None}
    listed = api().get("/build-chroot/list", build_id=build["id"]).get_json()
    assert {item["name"] for item in listed["items"]} == {"epel-9-x86_64", "fedora-44-x86_64"}
    missing = api().get("/build-chroot", build_id=build["id"], chrootname="fedora-43-x86_64")
    assert missing.status_code == 404
    built = api().get(f"/build/built-packages/{build['id']}").get_json()
    assert built == {"epel-9-x86_64": {"packages": []}, "fedora-44-x86_64": {"packages": []}}
