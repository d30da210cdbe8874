"""The BP forecast reaches the nurse: before the infusion the infusion panel says what peak to expect."""

from __future__ import annotations

from monitor.live.core import MonitorCore, SessionInfo
from monitor.storage.store import Store


def start(tmp_path, patient="P-F1"):
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start(SessionInfo(patient_id=patient, weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40), operator="AB")
    return core


def test_a_new_patient_gets_the_population_figure_before_the_infusion(tmp_path):
    core = start(tmp_path)
    try:
        view = core.view()
        assert view.infusion.forecast.startswith("BP forecast: rise about +")  # no baseline yet: the rise
        assert view.infusion.forecast.endswith("population figure")
        core.enter_bp(128, 80, user="AB")  # the baseline BP
        import time
        deadline = time.monotonic() + 5
        while core.clinical.baseline("sbp") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert core.view().infusion.forecast.startswith("BP forecast: peak about 1")
    finally:
        core.stop()


def test_no_forecast_without_a_patient(tmp_path):
    core = MonitorCore(Store(tmp_path / "s.db"), [])
    core.start(SessionInfo(weight_kg=70, dose_mg_per_kg=0.5, infusion_min=40), operator="AB")
    try:
        assert core.view().infusion.forecast == ""
    finally:
        core.stop()
