"""A simulator never passes for a patient's device: DeviceSpec.simulated is carried to the screen's view (tiles,
footer), into the stored session (a SimulatedDevice record) and onto every page of the PDF."""

from __future__ import annotations

import time
import unicodedata
from html import escape

import pytest

from devices.spec import DeviceSpec
from monitor.live.core import MonitorCore
from monitor.review.summary import summarize
from monitor.storage.sessions import SqliteSessions
from monitor.storage.store import Store
from ui import launcher
from ui.review.summary_panel import summary_html

pypdf = pytest.importorskip("pypdf")


def wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_sim_device_is_simulated_on_screen_in_the_record_and_on_every_pdf_page(tmp_path, qapp, capsys):
    db = tmp_path / "s.db"
    core = MonitorCore(Store(db), [DeviceSpec("pulseox", "cms50dplus", "sim:baseline"),
                                   DeviceSpec("nibp", "suntech", str(tmp_path / "no-such-tty"))])
    core.start()
    try:
        wait_for(lambda: (t := core.view().tile("spo2")) is not None and t.look == "live")
        view = core.view()
        spo2 = view.tile("spo2")
        assert spo2.simulated and "SIMULATED" in spo2.source
        footer = {d.text.split(":")[0].split(" ✓")[0]: d.text for d in view.devices}
        assert any("SIMULATED" in text for name, text in footer.items() if name.startswith("Pulse oximeter"))
        assert [text for text in footer.values() if "Blood pressure" in text or "NIBP" in text]
        assert all("SIMULATED" not in text for text in footer.values() if "Pulse oximeter" not in text)
        assert not view.nibp.simulated
    finally:
        core.stop()
    sessions = SqliteSessions(db)
    record = sessions.record(sessions.resolve("latest"))
    assert record.simulated_sources == frozenset({"pulseox"})  # the real port's device is not
    summary = summarize(sessions, record.meta)
    notice = "SIMULATED device(s): pulseox. Their values are not a patient's."
    assert summary.simulated_notice == notice and notice in summary.text()
    assert summary.to_json()["simulated_sources"] == ["pulseox"]
    assert escape(notice) in summary_html(summary)  # the review station's summary header
    out = tmp_path / "r.pdf"
    assert launcher.main(["export", "--db", str(db), "--session", "latest", "--format", "pdf",
                          "-o", str(out)]) == 0, capsys.readouterr().err
    pages = [" ".join(unicodedata.normalize("NFKC", p.extract_text()).split()) for p in pypdf.PdfReader(out).pages]
    for page in pages:  # every page, the value pages among them, says it
        assert "SIMULATED device(s): pulseox" in page
    text = " ".join(pages)
    assert "Lowest SpO2 (pulseox SIMULATED)" in text and "SpO2 % (pulseox SIMULATED)" in text
    assert "(sim:baseline) SIMULATED" in text and "no-such-tty) SIMULATED" not in text
