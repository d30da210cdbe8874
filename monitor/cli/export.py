"""Commands that write sessions out: export to files or standard output, send over MLLP."""

from __future__ import annotations

import argparse
import sys

from monitor.app import UserError, open_source, resolve
from monitor.cli.args import selected


def cmd_export(args: argparse.Namespace, pdf=None) -> int:
    """Export one session (--session) or every selected session (--patient/--from/--to, -o FOLDER)."""
    from monitor.export import ExportError
    from monitor.export.run import Options, export_session, export_sessions, to_stdout

    sessions = open_source(args)
    options = Options(args.bundle, args.per, args.facility, args.paper, pdf, args.clinic)
    several = args.patient is not None or args.since is not None or args.until is not None
    try:
        if several:
            if args.session is not None:
                raise UserError("give either --session or --patient/--from/--to, not both")
            if args.output is None:
                raise UserError("several sessions are written into a folder: give -o FOLDER")
            metas = selected(sessions, args)
            if not metas:
                raise UserError("no sessions match --patient/--from/--to")
            written = export_sessions(sessions, metas, args.format, args.output, options)
            print(f"wrote {len(written)} of {len(metas)} sessions to {args.output} "
                  f"({len(metas) - len(written)} empty skipped)", file=sys.stderr)
            return 0
        if args.session is None:
            raise UserError("give --session ID|latest, or --patient/--from/--to with -o FOLDER")
        meta = resolve(sessions, args.session)
        if args.output is None:
            to_stdout(sessions, meta, args.format, options)
            return 0
        export_session(sessions, meta, args.format, args.output, options)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    print(f"wrote session {meta.ref} ({args.format}) to {args.output}", file=sys.stderr)
    return 0


#: Bounds of `send --timeout` (s) and `--retries`: an engine that has not answered within an hour will not.
MAX_ACK_WAIT_S, MAX_RETRIES = 3600, 100


def cmd_send(args: argparse.Namespace) -> int:
    """Send a session's HL7 messages over MLLP; stop at the first one not accepted."""
    from monitor.export import ExportError
    from monitor.export.hl7 import messages
    from monitor.export.mllp import Destination, send

    if not 0 < args.timeout <= MAX_ACK_WAIT_S or args.retries > MAX_RETRIES:
        raise UserError(f"--timeout must be above 0 s and at most {MAX_ACK_WAIT_S} s, --retries at most {MAX_RETRIES}")
    try:
        dest = Destination.parse(args.to)
        sessions = open_source(args)
        meta = resolve(sessions, args.session)
        texts = messages(sessions, meta, args.per, args.facility)
        for n, text in enumerate(texts, start=1):
            send(dest, text, args.timeout, args.retries)
            print(f"message {n} of {len(texts)} accepted by {dest}", file=sys.stderr)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    print(f"sent session {meta.ref} to {dest}: {len(texts)} message(s) accepted", file=sys.stderr)
    return 0
