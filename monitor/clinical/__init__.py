"""The clinical rules, pure: no file, no thread, no Qt; clocks and the journal are passed in.

- config: the clinic's clinical.json (dose limits, NIBP schedule, scales, markers, outcomes), checked on load
- dosing: the dose plan and its arithmetic in exact fractions, checked against the drug library's limits
- infusion: the infusion engine (start, pause, rate, stop, complete) and the one fold of its events
- schedule: when a BP and the scales are due in each phase
- scales, markers, outcomes: what the nurse enters and what it means (bands, flags, response, remission)
- forecast: the next infusion's BP, from the patient's earlier sessions
- session: ClinicalSession, the clinical life of one recording, built by the live core with its ports
- staff: the clinic's staff list (members, PIN hashes, the owner's rules), read and written like config's file
- signing: the one signing rule (which action needs whose PIN, back-off, the acknowledgement window)

Imports only monitor.record and monitor.alarms (tests/test_layers.py). The faces
of the rooms list modules, not names: importing a room imports nothing.
"""
