"""Read models of stored sessions, for the review station, the reports and the command line.

- series: a session's numerics as arrays, NaN where a reading does not count
- summary: one session's figures (vitals, infusion, alarms, scales), the review summary
- stored: each ended session's summary computed once and kept in its file, read back by every reader
- timeline: the whole-session chart at any zoom, from levels and values
- burden: the alarm burden of a session or a date range
- course: a patient's course over sessions (outcomes, BP response, the next infusion's forecast)
- corrections: markers edited after the fact, with their audit trail
- sessions_list: the session browser's rows

Reads through a SessionSource (a chair's file or the central store), never SQL.
"""
