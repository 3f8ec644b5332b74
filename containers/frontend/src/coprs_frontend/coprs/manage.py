"""`copr-frontend`: administration commands (users and their copr-cli configuration, the route
table)."""

import argparse
import datetime
import json
import secrets
import sys

import sqlalchemy as sa

from . import app
from .db import session
from .models import Group, User

TOKEN_DAYS = 180


def create_user(name: str, groups: list[str], admin: bool) -> None:
    """Create a user with a fresh API login and token (or add groups to an existing one)."""
    user = session.execute(sa.select(User).filter_by(username=name)).scalar()
    if user is None:
        user = User(username=name, api_login=secrets.token_hex(16), api_token=secrets.token_hex(16),
                    api_token_expiration=datetime.date.today() + datetime.timedelta(days=TOKEN_DAYS),
                    admin=admin)
        session.add(user)
    for group_name in groups:
        group = session.execute(sa.select(Group).filter_by(name=group_name)).scalar()
        if group is None:
            group = Group(name=group_name)
            session.add(group)
        if user not in group.members:
            group.members.append(user)
    session.commit()


def api_config(name: str) -> str:
    """The copr-cli configuration the /api page would hand this user (plain HTTP here)."""
    user = session.execute(sa.select(User).filter_by(username=name)).scalar()
    if user is None:
        raise SystemExit(f"copr-frontend: no user '{name}'")
    return (f"[copr-cli]\nlogin = {user.api_login}\nusername = {user.username}\n"
            f"token = {user.api_token}\ncopr_url = {app.config['PUBLIC_URL']}\n"
            f"encrypted = False\n# expiration date: {user.api_token_expiration.isoformat()}\n")


def routes() -> list[dict]:
    """Every URL rule the application serves, with its methods (the security tests take the
    write routes from here, so a new route cannot be left out of them)."""
    return [{"rule": rule.rule, "endpoint": rule.endpoint,
             "methods": sorted(rule.methods - {"HEAD", "OPTIONS"})}
            for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="copr-frontend")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("create-user", help="create a user (idempotent)")
    add.add_argument("name")
    add.add_argument("--group", action="append", default=[])
    add.add_argument("--admin", action="store_true")
    config = sub.add_parser("api-config", help="print a user's copr-cli configuration")
    config.add_argument("name")
    many = sub.add_parser("create-users", help="create users NAME[:GROUP,...] and print their "
                                               "copr-cli configurations as JSON")
    many.add_argument("users", nargs="+")
    sub.add_parser("routes", help="print the URL rules and their methods as JSON")
    args = parser.parse_args(argv)
    if args.command == "create-user":
        create_user(args.name, args.group, args.admin)
    elif args.command == "create-users":
        configs = {}
        for item in args.users:
            name, _, groups = item.partition(":")
            create_user(name, [g for g in groups.split(",") if g], admin=False)
            configs[name] = api_config(name)
        json.dump(configs, sys.stdout)
    elif args.command == "routes":
        json.dump(routes(), sys.stdout)
    else:
        sys.stdout.write(api_config(args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
