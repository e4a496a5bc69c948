"""``python -m app api-key issue|list|revoke``: planners' credentials for the OGC API service.

``api-key issue --name NAME [--team TEAM] [--role planner|reviewer|field] --by WHO`` prints
the new key once (only its SHA-256 digest is stored); ``api-key list`` prints every key's id,
holder, role and when it was issued or revoked (never a key); ``api-key revoke ID --by WHO``
ends one. The store is the configured one or the one ``--store`` names (see
:mod:`app.ogc.credentials` and ``docs/ogc.md``).
"""

from __future__ import annotations

import argparse

from app.cli.store import add_store_argument
from app.errors import SubmissionError
from app.ogc.credentials import Credentials
from app.store import open_store

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``api-key`` sub-command to an argparse sub-parsers object.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["api-key", "issue", "--name", "赵工", "--by", "admin"])
    >>> args.action, args.role, args.team
    ('issue', 'planner', '')
    >>> parser.parse_args(["api-key", "revoke", "x", "--by", "a"])
    Traceback (most recent call last):
    SystemExit: 2
    """
    sub = subparsers.add_parser("api-key", help="issue, list or revoke API keys of the OGC API service",
                                description="API keys let a planner edit the atlas through the OGC API "
                                            "(/ogc) from QGIS, ArcGIS Pro or GDAL. A key is printed once, "
                                            "when issued; the store keeps only its SHA-256 digest.")
    actions = sub.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="issue a key and print it (once)")
    issue.add_argument("--name", required=True, help="who holds the key (named in every audit row)")
    issue.add_argument("--team", default="", help="their team")
    issue.add_argument("--role", choices=["planner", "reviewer", "field"], default="planner",
                       help="the role the key carries (only planners write; default planner)")
    issue.add_argument("--by", required=True, help="who issues it")
    add_store_argument(issue)
    listing = actions.add_parser("list", help="list the keys (never the keys themselves)")
    add_store_argument(listing)
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int, help="the key's id (from `api-key list`)")
    revoke.add_argument("--by", required=True, help="who revokes it")
    add_store_argument(revoke)
    sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Issue, list or revoke keys as the arguments ask; prints the outcome."""
    store = open_store(args.store) if args.store else open_store()
    credentials = Credentials(store)
    if args.action == "issue":
        key_id, key = credentials.issue(args.name, args.role, team=args.team, issued_by=args.by)
        print(f"API key {key_id} for {args.name} ({args.role}); shown this once, keep it secret:")
        print(key)
        return 0
    if args.action == "revoke":
        if not credentials.revoke(args.id, args.by):
            raise SubmissionError(f"no live API key with id {args.id} (see `python -m app api-key list`)")
        print(f"API key {args.id} revoked")
        return 0
    frame = store.credentials()
    if frame.empty:
        print("no API keys")
    for row in frame.itertuples(index=False):
        state = f"revoked {row.revoked_at} by {row.revoked_by}" if isinstance(row.revoked_at, str) and row.revoked_at else "live"
        print(f"{row.id}\t{row.name}\t{row.team}\t{row.role}\tissued {row.created_at} by {row.created_by}\t{state}")
    return 0
