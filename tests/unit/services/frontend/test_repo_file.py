"""/coprs/<owner>/<project>/repo/<name_release>/dnf.repo: what `dnf copr enable` downloads."""

import base64
import json


def test_repo_file_as_the_dnf_copr_plugin_asks_for_it(project, app):
    project("rf", chroots=("fedora-44-x86_64", "epel-9-x86_64"))
    response = app.test_client().get("/coprs/alice/rf/repo/fedora-44/dnf.repo?arch=x86_64")
    assert response.status_code == 200
    assert response.text == (
        "[copr:frontend.test:alice:rf]\n"
        "name=Copr repo for rf owned by alice\n"
        "baseurl=http://backend.test/results/alice/rf/fedora-$releasever-$basearch/\n"
        "type=rpm-md\nskip_if_unavailable=True\ngpgcheck=1\n"
        "gpgkey=http://backend.test/results/alice/rf/pubkey.gpg\n"
        "repo_gpgcheck=0\nenabled=1\nenabled_metadata=1\n")
    epel = app.test_client().get("/coprs/alice/rf/repo/epel-9/").text
    assert "baseurl=http://backend.test/results/alice/rf/epel-9-$basearch/" in epel


def test_a_client_inside_the_stack_gets_the_backends_internal_url(project, app):
    project("rf")
    response = app.test_client().get("/coprs/alice/rf/repo/fedora-44/dnf.repo?arch=x86_64",
                                     base_url="http://frontend:5000")
    assert response.text.startswith("[copr:frontend:alice:rf]\n")
    assert "baseurl=http://backend:5002/results/alice/rf/fedora-$releasever-$basearch/" in response.text
    assert "gpgkey=http://backend:5002/results/alice/rf/pubkey.gpg" in response.text


def test_missing_chroot_answers_404_with_the_plugins_error_data(project, app):
    project("rf")
    response = app.test_client().get("/coprs/alice/rf/repo/fedora-43/dnf.repo?arch=x86_64")
    assert response.status_code == 404
    assert response.text == "Chroot fedora-43-x86_64 does not exist in alice/rf.\nAvailable chroots:\nfedora-44-x86_64\n"
    data = json.loads(base64.b64decode(response.headers["Copr-Error-Data"]))
    assert data == {"available chroots": ["fedora-44-x86_64"]}
    missing = app.test_client().get("/coprs/alice/nope/repo/fedora-44/dnf.repo")
    assert missing.status_code == 404 and "Copr-Error-Data" not in missing.headers
