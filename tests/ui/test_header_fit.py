"""The header fills its line before it cuts: identifiers always whole, the name cut before the course or the
baseline warning, "NO BASELINE BP: rise alarms off" never cut to nonsense on a 1024 px screen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMenu

from monitor.live.view import HeaderView
from ui import theme
from ui.monitor.header import Header

VIEW = HeaderView(patient="P-0412 · DOB 12 Mar 1980 · Jordan Avery", weight="72 kg", course="Infusion 1 of 6",
                  baseline="NO BASELINE BP: rise alarms off", baseline_role="warning", clock="08:39", user="AB",
                  identifiers="P-0412 · DOB 12 Mar 1980")


def shown(header: Header) -> dict[str, str]:
    return {"patient": header.patient.text(), "details": header.details.text(), "baseline": header.baseline.text()}


@pytest.mark.parametrize("width", [1024, 1366, 1920])
def test_the_header_keeps_identifiers_course_and_baseline_warning_whole(qtbot, qapp, width):
    theme.apply(qapp)
    header = Header(QMenu())
    qtbot.addWidget(header)
    header.resize(width, 40)
    header.show()
    header.show_view(VIEW)
    full = width >= 1366

    def settled() -> bool:  # the relayout after the fit is posted: wait for it, not for a time
        t = shown(header)
        return (t["baseline"] == "⚠ NO BASELINE BP: rise alarms off" and t["details"].endswith("Infusion 1 of 6")
                and (t["patient"] == VIEW.patient if full else t["patient"].startswith(VIEW.identifiers)))

    qtbot.waitUntil(settled, timeout=10000)
    texts = shown(header)
    assert texts["patient"].startswith(VIEW.identifiers), texts
    assert texts["details"].endswith("Infusion 1 of 6"), texts
    assert texts["baseline"] == "⚠ NO BASELINE BP: rise alarms off", texts
    if full:  # room for everything at full size
        assert texts["patient"] == VIEW.patient and texts["details"] == "72 kg   Infusion 1 of 6", texts
        assert header.patient.property("base_px") == 19
    else:  # smaller type, no weight, and the name cut: never the identifiers, the course or the warning
        assert header.patient.property("base_px") < 19 and "72 kg" not in texts["details"], texts
