"""The `central init` command: create the clinic's PostgreSQL schema and roles."""

from __future__ import annotations

import argparse


def cmd_central(args: argparse.Namespace) -> int:
    from monitor.central.link import check_url, describe
    from monitor.central.schema import init_central

    check_url(args.url)
    report = init_central(args.url, chairs=args.chair, reviewers=args.reviewer)
    print(f"central store {describe(args.url)}:")
    for line in report.lines():
        print(f"  {line}")
    if report.chairs or report.reviewers:
        print("  new logins have no password: set one with psql's \\password NAME (or use certificates), "
              "and put it in that computer's ~/.pgpass")
    return 0
