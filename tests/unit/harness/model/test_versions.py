"""RPM version parsing and ordering."""

import pytest

from harness.model.versions import EVR, NVR, check_version, rpmvercmp


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1.0", 0),
        ("1.0", "1.1", -1),
        ("2.10", "2.9", 1),
        ("1.7.2", "1.7", 1),
        ("1.0a", "1.0", 1),
        ("1.0~rc1", "1.0", -1),  # tilde sorts before the release
        ("1.0^git1", "1.0", 1),  # caret sorts after it
        ("1.0^git1", "1.0.1", -1),
        ("1.1dev", "1.1", 1),  # a plain suffix is newer in RPM (unlike Python's dev releases)
        ("1.0.1", "1.0a", 1),  # numbers beat letters
        ("0.16.3.dev", "1.1.2", -1),
    ],
)
def test_rpmvercmp(a, b, expected):
    assert rpmvercmp(a, b) == expected
    assert rpmvercmp(b, a) == -expected


def test_evr_ordering_uses_epoch_then_version_then_release():
    assert EVR.parse("1:1.0-1") > EVR.parse("2.0-1")
    assert EVR.parse("2.7-2") > EVR.parse("2.7-1")
    assert EVR.parse("2.7") == EVR.parse("2.7-5")  # no release on one side: versions decide
    assert str(EVR.parse("3:1.2-4")) == "3:1.2-4"


@pytest.mark.parametrize("bad", ["", "1.0-1", "1 0", "1,0", "...", "x/y"])
def test_check_version_rejects_what_rpm_rejects(bad):
    with pytest.raises(ValueError):
        check_version(bad)


def test_bad_epoch_is_named():
    with pytest.raises(ValueError, match="'x' is not an RPM epoch"):
        EVR.parse("x:1.0")


def test_nvr_parse_strips_arch():
    nvr = NVR.parse("python3-copr-common-1.7.2-1.noarch")
    assert (nvr.name, nvr.version, nvr.release) == ("python3-copr-common", "1.7.2", "1")
    assert str(nvr) == "python3-copr-common-1.7.2-1"


def test_nvr_parse_rejects_a_bare_name():
    with pytest.raises(ValueError, match="not a name-version-release"):
        NVR.parse("copr-frontend")
