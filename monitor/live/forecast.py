"""The BP forecast line of a running infusion: read from the patient's earlier sessions, once per input.

The forecast itself is a review rule (monitor.review.course); the live screen
shows its one line as advice (it changes no limit). It reads the patient's
earlier, ended sessions (no vital-sign values: a few ms) once per patient, dose
and baseline, so a frame never waits on the database; a file that cannot be
read gives no forecast, said once in the log.
"""

from __future__ import annotations

import logging

from monitor.storage.store import StoreError

log = logging.getLogger(__name__)


class ForecastLine:
    """The forecast's short text for this chair's database, kept until its inputs change."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._key: tuple | None = None
        self._text = ""

    def line(self, patient_id: str, dose_mg_per_kg: float, baseline_sbp: float | None) -> str:
        """Return the forecast of this infusion in one line ('' in memory or when the file cannot be read)."""
        if self.path == ":memory:":
            return ""
        key = (patient_id, dose_mg_per_kg, baseline_sbp)
        if self._key != key:
            from monitor.review.course import next_infusion_forecast
            from monitor.storage.sessions import SqliteSessions

            try:
                sessions = SqliteSessions(self.path)
                try:
                    text = next_infusion_forecast(sessions, patient_id, dose_mg_per_kg, baseline_sbp).short_text
                finally:
                    sessions.close()
            except (StoreError, ValueError) as exc:
                log.warning("no BP forecast: %s", exc.__class__.__name__)
                text = ""
            self._key, self._text = key, text
        return self._text
