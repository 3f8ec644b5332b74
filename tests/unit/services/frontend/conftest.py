"""The frontend's Flask app in-process, on a throw-away PostgreSQL (as production: the schema is
PostgreSQL's, made by the frontend's own alembic revisions).

One server per session, on a Unix socket in a private folder (no port, so parallel sessions never
meet); the tables a test fills are emptied after it. PostgreSQL refuses to run as root, so as root
the server runs as Debian's `postgres` user. Skipped, saying why, only when no PostgreSQL server
is installed (Debian's `postgresql`, Fedora's `postgresql-server`; scripts/install-system-deps
installs it).
"""

from __future__ import annotations

import base64
import glob
import importlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
FRONTEND = ROOT / "containers" / "frontend" / "src" / "coprs_frontend"
COMMON_PACKAGE = ROOT / "containers" / "common" / "src" / "copr_common"
# The release scenarios' new frontend is built at this level (copr-frontend.spec leaves out the
# revisions above it; level 3 is the deliberately broken one).
SCHEMA_LEVEL = 2
START_TIMEOUT = 30
# Emptied after every test; the chroots, users and groups stay.
TABLES = ("action", "cancel_request", "build_chroot_result", "build_chroot", "build", "batch",
          "package", "copr_chroot", "copr")
USERS = {"alice": ["copr"], "bob": [], "carol": ["copr"]}


def _server_bin() -> Path | None:
    """Debian keeps the server's programs per version; Fedora's postgresql-server in /usr/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    server = shutil.which("postgres")
    return Path(server).parent if server and shutil.which("initdb") else None


def _as_server_user() -> list[str]:
    """The command prefix that runs the server as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A running PostgreSQL with an empty UTF-8 database `coprdb`; yields its SQLAlchemy URL."""
    bindir = _server_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server installed (Debian's 'postgresql', "
                    "Fedora's 'postgresql-server'; scripts/install-system-deps installs it)")
    prefix = _as_server_user()
    top = Path(tempfile.mkdtemp(prefix="fe-pg-"))
    top.chmod(0o755)
    data, sockets = top / "data", top / "run"
    for folder in (data, sockets):
        folder.mkdir(mode=0o700)
        if prefix:
            shutil.chown(folder, "postgres", "postgres")
    subprocess.run([*prefix, bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    log = open(top / "server.log", "wb")
    server = subprocess.Popen([*prefix, bindir / "postgres", "-D", data, "-k", sockets,
                               "-c", "listen_addresses=", "-c", "fsync=off"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while subprocess.run([bindir / "pg_isready", "-q", "-h", sockets],
                             check=False).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not accept connections on {sockets} within "
                                   f"{START_TIMEOUT}s:\n{(top / 'server.log').read_text()}")
            time.sleep(0.1)
        subprocess.run([bindir / "createdb", "-h", sockets, "-U", "postgres", "coprdb"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg2://postgres@/coprdb?host={sockets}"
    finally:
        # INT is PostgreSQL's "fast" shutdown: TERM would wait for the app's pooled connections.
        server.send_signal(signal.SIGINT)
        server.wait(timeout=START_TIMEOUT)
        log.close()
        shutil.rmtree(top, ignore_errors=True)


def _copr_common() -> None:
    """copr_common from the project's source when the library is not installed."""
    try:
        importlib.import_module("copr_common.enums")
    except ImportError:
        sys.modules.pop("copr_common", None)
        package = types.ModuleType("copr_common")
        package.__path__ = [str(COMMON_PACKAGE)]  # type: ignore[attr-defined]
        sys.modules["copr_common"] = package


def _migrate(url: str, folder: Path) -> None:
    """`alembic upgrade head` with the revisions the spec would install at SCHEMA_LEVEL."""
    from alembic import command
    from alembic.config import Config

    shutil.copytree(FRONTEND / "alembic", folder / "alembic")
    for revision in (folder / "alembic" / "versions").glob("*.py"):
        levels = [line.split(":", 1)[1] for line in revision.read_text().splitlines()
                  if line.startswith("# schema level:")]
        if levels and int(levels[0]) > SCHEMA_LEVEL:
            revision.unlink()
    config = Config(str(FRONTEND / "alembic.ini"))
    config.set_main_option("script_location", str(folder / "alembic"))
    os.environ["DATABASE_URL"] = url
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def frontend(postgres: str, tmp_path_factory) -> types.ModuleType:
    """The `coprs` package imported against the migrated database (schema by alembic)."""
    _migrate(postgres, tmp_path_factory.mktemp("alembic"))
    _copr_common()
    sys.modules["coprs.build_constants"] = types.SimpleNamespace(  # type: ignore[assignment]
        VERSION="0-unit", FE_BE_API_VERSION=9, COPR_COMMON_VERSION="0", SCHEMA_LEVEL=SCHEMA_LEVEL)
    if str(FRONTEND) not in sys.path:
        sys.path.insert(0, str(FRONTEND))
    coprs = importlib.import_module("coprs")  # its engine reads DATABASE_URL once, here
    os.environ.pop("DATABASE_URL", None)
    coprs.app.config.update(TESTING=False, PUBLIC_URL="http://frontend.test",
                            INTERNAL_URL="http://frontend:5000",
                            BACKEND_PUBLIC_URL="http://backend.test",
                            BACKEND_INTERNAL_URL="http://backend:5002",
                            STORAGE_DIR=str(tmp_path_factory.mktemp("srpm_storage")))
    manage = importlib.import_module("coprs.manage")
    for name, groups in USERS.items():
        manage.create_user(name, groups, admin=False)
    manage.create_user("root", [], admin=True)
    return coprs


@pytest.fixture
def app(frontend) -> Iterator:
    yield frontend.app
    import sqlalchemy as sa
    from coprs.db import session
    session.remove()
    with frontend.db.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


class Api:
    """A test client for /api_3/ that speaks as a user (HTTP Basic login:token, as copr-cli)."""

    def __init__(self, client, login: str | None = None, token: str | None = None):
        self.client = client
        self.headers = {}
        if login:
            pair = base64.b64encode(f"{login}:{token}".encode()).decode()
            self.headers["Authorization"] = f"Basic {pair}"

    def get(self, path: str, **params):
        return self.client.get(f"/api_3{path}", query_string=params, headers=self.headers)

    def post(self, path: str, json=None, method: str = "POST", **kwargs):
        return self.client.open(f"/api_3{path}", method=method, json=json,
                                headers=self.headers, **kwargs)


@pytest.fixture
def api(app):
    """`api(user)`: a client speaking as that user; `api()` speaks anonymously."""
    import sqlalchemy as sa
    from coprs.db import session
    from coprs.models import User

    def make(user: str | None = None) -> Api:
        if user is None:
            return Api(app.test_client())
        row = session.execute(sa.select(User).filter_by(username=user)).scalar_one()
        login, token = row.api_login, row.api_token
        session.remove()
        return Api(app.test_client(), login, token)

    return make


@pytest.fixture
def alice(api) -> Api:
    return api("alice")


@pytest.fixture
def bob(api) -> Api:
    return api("bob")


@pytest.fixture
def project(alice):
    """Make a project of alice's (`project(name, chroots=...)`); returns its API dict."""

    def make(name: str = "proj", chroots=("fedora-44-x86_64",), owner: str = "alice", **fields):
        response = alice.post(f"/project/add/{owner}",
                              json={"name": name, "chroots": list(chroots), **fields})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return make
