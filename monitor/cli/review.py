"""Commands that read stored sessions: sessions, summary, course, burden, outcome (appends a score), flags."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime

from monitor.app import UserError, open_sessions, open_source, open_store, printable, resolve
from monitor.cli.args import day, selected
from monitor.timefmt import date_time_text, hms


def cmd_sessions(args: argparse.Namespace) -> int:
    rows = selected(open_source(args), args)
    if not rows:
        chosen = args.patient or args.since or args.until
        print("no sessions match" if chosen else "no sessions recorded yet")
        return 0
    width = max(4, *(len(r.ref) for r in rows))
    print(f"{'id':>{width}}  {'patient':<12} {'started':<19} {'duration':>8}  {'state':<11} note")
    for r in rows:
        started = date_time_text(r.started_utc, r.tz, seconds=True)
        dur = "" if r.duration_s is None else hms(r.duration_s)
        note = r.end_reason if r.state == "interrupted" else ""
        print(printable(f"{r.ref:>{width}}  {r.patient_id or '-':<12} {started:<19} {dur:>8}  {r.state:<11} {note}"))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    """Print the review summary of one session (JSON keys in the review issue; null when absent)."""
    from monitor.review.session_outcomes import with_outcomes
    from monitor.review.summary import summarize

    sessions = open_source(args)
    summary = with_outcomes(sessions, summarize(sessions, resolve(sessions, args.session)))
    print(json.dumps(summary.to_json(), indent=2) if args.format == "json" else summary.text())
    return 0


#: The options of `course` that belong to a plan: given without --plan, they are a mistake, not ignored.
PLAN_OPTIONS = (("over_weeks", "--over-weeks"), ("boosters_every_weeks", "--boosters-every-weeks"),
                ("boosters", "--boosters"), ("user", "--user"), ("note", "--note"))


def cmd_course(args: argparse.Namespace, pdf=None) -> int:
    """Print a patient's course (JSON keys in the course issue; null when absent), record a planned course
    (--plan), or write the course document (--pdf, drawn by `pdf`, which the launcher passes)."""
    from monitor.clinical.config import ConfigError
    from monitor.review.course import CourseError, build_course

    if args.plan is not None:
        if args.pdf is not None:
            raise UserError("record the plan first (--plan), then write the document (--pdf)")
        return _record_plan(args)
    stray = [flag for attr, flag in PLAN_OPTIONS if getattr(args, attr)]
    if stray:
        raise UserError(f"{', '.join(stray)} describe a plan: give --plan N with them")
    if args.pdf is not None:
        return _course_pdf(args, pdf)
    try:
        course = build_course(open_source(args), args.patient)
    except (ConfigError, CourseError) as exc:
        raise UserError(str(exc)) from None
    print(json.dumps(course.to_json(), indent=2) if args.format == "json" else course.text())
    return 0


def _record_plan(args: argparse.Namespace) -> int:
    """Record the patient's planned course in the chair's file (the central store only reads what chairs send)."""
    from monitor.clinical.plan import CoursePlan, PlanError

    if args.central:
        raise UserError("a plan is written to a chair's file: give --db, not --central")
    if args.user is None:
        raise UserError("--plan needs --user: the clinician who made the plan")
    sessions = open_sessions(args.db)
    if not sessions.sessions(patient_id=args.patient):
        raise UserError(f"there are no sessions of patient '{args.patient}' in this database")
    try:
        plan = CoursePlan(args.plan, args.over_weeks, args.boosters_every_weeks, args.boosters, args.user.strip(),
                          time.time(), args.note.strip())
    except PlanError as exc:
        raise UserError(str(exc)) from None
    open_store(args.db).add_course_plan(args.patient, plan)
    print(printable(f"patient {args.patient}: planned course recorded: {plan.text} ({plan.by})"))
    return 0


def _course_pdf(args: argparse.Namespace, pdf) -> int:
    """Write the course document with the launcher's painter; refuse in words where there is none."""
    from monitor.clinical.config import ConfigError
    from monitor.export import ExportError
    from monitor.review.course import CourseError

    if pdf is None:
        raise UserError("'course --pdf' draws with the window toolkit: run it with the infusion-monitor command")
    try:
        pages = pdf(open_source(args), args.patient, args.pdf, args.paper, args.clinic)
    except (ConfigError, CourseError, ExportError) as exc:
        raise UserError(str(exc)) from None
    print(f"wrote the course of patient {printable(args.patient)} ({pages} pages) to {args.pdf}", file=sys.stderr)
    return 0


def cmd_burden(args: argparse.Namespace) -> int:
    """Print the alarm burden of one session, or of every session started in the date range."""
    from monitor.review.burden import range_burden, session_burden

    if args.session is not None and (args.since or args.until or args.patient):
        raise UserError("give --session, or a range with --from/--to/--patient, not both")
    sessions = open_source(args)
    if args.session is not None:
        result = session_burden(sessions, resolve(sessions, args.session))
    else:
        since, until = day(args.since, False), day(args.until, True)
        if since is not None and until is not None and until <= since:
            raise UserError("--to is before --from")
        result = range_burden(sessions, since, until, args.patient)
    print(json.dumps(result.to_json(), indent=2) if args.format == "json" else result.text())
    return 0


def between_visits_session(sessions, patient_id: str, date_text_: str | None):
    """Return the session a questionnaire answered between visits on --date is kept in, and its time
    (monitor.storage.outcomes.between_visits_place); UserError in words."""
    from monitor.record.instruments import OutcomeError
    from monitor.storage.outcomes import between_visits_place

    if date_text_ is None:
        raise UserError("--patient needs --date: the day the questionnaire was answered (YYYY-MM-DD)")
    try:
        when = datetime.strptime(date_text_, "%Y-%m-%d").date()
    except ValueError:
        raise UserError(f"'{date_text_}' is not a date; write it as YYYY-MM-DD") from None
    try:
        return between_visits_place(sessions, patient_id, when, time.time())
    except OutcomeError as exc:
        raise UserError(str(exc)) from None


def cmd_outcome(args: argparse.Namespace) -> int:
    """Check a questionnaire before touching the database, append it to the session's journal, say what it means."""
    from monitor.clinical.config import ConfigError, load_clinical_config
    from monitor.clinical.outcomes import entered
    from monitor.record.instruments import OutcomeError, parse_items

    try:
        cutoffs = load_clinical_config().outcomes.cutoffs
        items = parse_items(args.items)
    except (ConfigError, OutcomeError) as exc:
        raise UserError(str(exc)) from None
    if args.patient is None:
        if args.date is not None:
            raise UserError("--date is for a questionnaire answered between visits: give --patient, not --session")
        meta, t = resolve(open_sessions(args.db), args.session), None
    else:
        meta, t = between_visits_session(open_sessions(args.db), args.patient, args.date)
    try:
        score = entered(args.instrument, items, user=args.user, mode="import", cutoffs=cutoffs, t=t)
    except OutcomeError as exc:
        raise UserError(str(exc)) from None
    open_store(args.db).append_journal(meta.id, score, score.user, score.t)
    if t is None:
        print(f"session {meta.ref}: {score.summary}")
    else:
        print(f"patient {args.patient}, {args.date} (kept in session {meta.ref}): {score.summary}")
    flag_item = score.definition.flag_item
    if score.flag:
        print(f"FLAG: {score.flag_text}: a clinician must assess the patient before the infusion")
    elif flag_item is not None:
        print(f"item {flag_item}: 0, no flag")
    return 0


def cmd_flags(args: argparse.Namespace) -> int:
    """List a patient's item-9 flags with their reviews, or record a review of one (--reviewer and --note).

    The review goes into the patient's running session if there is one (the
    chair ends its alarm), else into the flag's own session at its real time.
    """
    from monitor.cli.staff import signed_reviewer
    from monitor.clinical.signing import Action
    from monitor.record.instruments import OutcomeError
    from monitor.storage.outcomes import flags_of_patient, review_patient_flag

    if (args.reviewer is None) != (args.note is None):
        raise UserError("a review needs both --reviewer NAME and --note TEXT")
    if args.flag is not None and args.reviewer is None:
        raise UserError("--flag chooses the flag to review: give --reviewer and --note with it")
    store = open_store(args.db)
    sessions = open_sessions(args.db)
    if args.reviewer is not None:
        signer = signed_reviewer(args.reviewer)  # a clinician's PIN when the clinic has a staff list
        try:
            flag, review, target = review_patient_flag(store, args.patient, args.flag, signer.full, args.note,
                                                       time.time())
        except OutcomeError as exc:
            raise UserError(str(exc)) from None
        store.append_journal(target, signer.signature(Action.FLAG_REVIEW), signer.initials, review.t)
        meta = resolve(sessions, str(target))
        where = "its own session" if target == flag.session_id else f"running session {meta.ref}"
        print(printable(f"flag {flag.score.id[:8]} of session {flag.session_id}: {review.text} "
                        f"({date_time_text(review.t, meta.tz)}), kept in the journal of {where}"))
        return 0
    flags = flags_of_patient(store, args.patient)
    if not flags:
        print(f"patient {printable(args.patient)}: no item-9 flag")
        return 0
    for f in flags:
        tz = resolve(sessions, str(f.session_id)).tz
        print(printable(f"{f.score.id[:8]}  session {f.session_id}  {date_time_text(f.score.t, tz)}  "
                        f"{f.score.flag_text}"))
        if not f.reviews:
            print("          NOT REVIEWED: a clinician must assess the patient")
        for r in f.reviews:
            print(printable(f"          {r.text} ({date_time_text(r.t, tz)})"))
    return 0
