"""The chair's window on the screens clinics own (1024 x 600, 1280 x 720, 1366 x 768, 1920 x 1080), driven by real
clicks: xdotool moves the X server's pointer and presses its button, so a control that is off the screen, covered or
too small is missed as a nurse's finger would miss it. At every size: every alarm field and control lies inside the
window and the screen, uncovered, with its text whole and legible; Start, Pause, Resume, Rate…, Stop early…,
Complete, Acknowledge, Pause sound, an event key, Undo and (compact layout) the Trend / Events pages each do what
they say; Acknowledge and Pause sound move nothing.

Run by tests/ui/test_compact_screens.py on an Xvfb of each size with QT_QPA_PLATFORM=xcb and no window manager (the
window is placed at the top left and given the screen less a title bar); pictures go to $SCREEN_SHOTS_DIR when set.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest
import truth_screen_checks as truth
from infusion_screen_checks import in_modal
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from screen_checks import clipping_failures, legibility_failures

from monitor.alarms import Priority
from monitor.alarms.keys import AppAlarm
from monitor.clinical.infusion import InfusionState
from ui import gallery, theme
from ui.dialogs import ItemsDialog, RateDialog, TextDialog

app, shots = truth.app, truth.shots  # the fixtures: the dark desktop, where the pictures go
pytestmark = pytest.mark.slow  # xdotool is a program
TITLE_BAR = 30  # what a window manager's title bar would take: the window gets the rest of the screen
DEADLINE_S = 30.0  # a loaded machine may take long to show a click's effect; a broken control never shows it


def screen_size() -> tuple[int, int]:
    size = QApplication.primaryScreen().size()
    return size.width(), size.height()


def name() -> str:
    return "{}x{}".format(*screen_size())


@pytest.fixture
def window(app, tmp_path) -> Iterator:
    """The monitor of a running scene (simulated oximeter, SunTech NIBP, a baseline BP), filling the screen."""
    from ui.monitor.main_window import MainWindow

    with gallery.scene(tmp_path / "scene", history_min=5) as s:
        s.feed_bp(124, 79)
        win = MainWindow(s.core)
        w, h = screen_size()
        win.move(0, 0)
        gallery.shown(win, (w, h - TITLE_BAR))
        gallery.wait_for(lambda: win.pos() == QPoint(0, 0) and win.size().height() == h - TITLE_BAR, DEADLINE_S)
        win.scene = s  # the tests move the scene's clock on
        try:
            yield win
        finally:
            win.timer.stop()
            win.hide()
            win.deleteLater()


def xclick(widget: QWidget) -> None:
    """Click the middle of widget with the X server's pointer (the event goes wherever the screen has it)."""
    p = widget.mapToGlobal(widget.rect().center())
    subprocess.run(["xdotool", "mousemove", "--sync", str(p.x()), str(p.y()), "click", "1"], check=True, timeout=20)


def click_and_wait(widget: QWidget, done: Callable[[], bool]) -> None:
    """Click widget and wait until done() (a click's effect); a box the click opened instead is said."""
    xclick(widget)
    try:
        gallery.wait_for(done, DEADLINE_S)
    except TimeoutError:
        modal = QApplication.activeModalWidget()
        said = " ".join(w.text() for w in modal.findChildren(QLabel)) if modal is not None else "no box opened"
        raise AssertionError(f"clicking {widget.text() if isinstance(widget, QAbstractButton) else widget} did "
                             f"nothing: {said}") from None


def answer(drive: Callable[[QWidget], None]) -> list[BaseException]:
    """Drive the next modal dialog with real clicks (see in_modal); its failures are raised by the caller."""
    return in_modal(drive)


def press(dialog: QWidget, text: str) -> None:
    """Click the dialog's button that says text."""
    button = next(b for b in dialog.findChildren(QAbstractButton) if b.text() == text and b.isVisible())
    xclick(button)


def type_into(dialog: QWidget, field: QLineEdit, text: str) -> None:
    xclick(field)
    field.setText(text)  # typing is not what is tested here; the field is reached by a click


def controls(window) -> list[tuple[str, QWidget]]:
    """Every alarm field and control a nurse must reach, by name."""
    bar, clinical = window.alarm_bar, window.clinical
    out = [("physiological alarms", bar.physio), ("technical alarms", bar.technical), ("sound symbol", bar.audio),
           ("Pause sound", bar.pause_button), ("Acknowledge", bar.ack_button), ("User", window.header.user),
           ("Menu", window.header.menu_button), ("BP now", window.bp_now), ("Deflate cuff", window.bp_abort),
           ("Enter BP", window.bp_enter), ("NIBP field", window.nibp), ("footer devices", window.devices)]
    out += [(f"{p} tile", t) for p, t in window.tiles.items()]
    out += [(b.text(), b) for a, b in window.infusion.buttons.items() if a != "resume"]
    out += [(b.text(), b) for b in (clinical.scales_button, clinical.outcome_button, clinical.discharge_button,
                                    clinical.review_button, clinical.undo_button, *clinical.marker_buttons.values())]
    out.append(("event list", clinical.list))
    out.append(("notice", next(w for w in window.findChildren(QWidget)
                                if getattr(w, "full_text", lambda: "")() == "Not a certified medical device")))
    if window.compact:
        out.append(("Trend ▸", window.trend_button))
    else:
        out.append(("trend", window.trend))
    return out


def unreachable(window) -> list[str]:
    """Say every control that is hidden, beyond the window or the screen, or covered at its middle."""
    screen = window.screen().geometry()
    frame = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
    out = []
    for label, w in controls(window):
        if not w.isVisible():
            out.append(f"{label}: not shown")
            continue
        r = QRect(w.mapToGlobal(QPoint(0, 0)), w.size())
        if not frame.contains(r) or not screen.contains(r):
            out.append(f"{label}: {r} lies beyond the window {frame} or the screen {screen}")
        top = QApplication.widgetAt(r.center())
        if top is None or (top is not w and not w.isAncestorOf(top)):
            out.append(f"{label}: covered at its middle by {type(top).__name__ if top else 'nothing of the window'}")
    return out


def text_failures(window) -> list[str]:
    return legibility_failures(name(), window) + clipping_failures(name(), window)


def shown_text(field) -> str:
    """Return what an alarm field says, its lines joined."""
    return " ".join(label.full_text() for label in (field.headline, *field.rest) if label.isVisible())


def geometry(window) -> list[QRect]:
    """Where the alarm area's parts are (global): acknowledging or pausing the sound must move none of them."""
    bar = window.alarm_bar
    return [QRect(w.mapToGlobal(QPoint(0, 0)), w.size()) for w in (bar.physio, bar.technical, bar.audio,
                                                                   bar.pause_button, bar.ack_button)]


def test_the_layout_suits_the_screen_and_every_control_is_reachable_and_whole(window, shots):
    w, h = screen_size()
    assert window.compact == (h - TITLE_BAR < 660), (window.size(), window.compact)
    window.core.raise_technical(AppAlarm.INTERNAL, Priority.MEDIUM, "Monitor: a test alarm")
    gallery.wait_for(lambda: "test alarm" in shown_text(window.alarm_bar.technical), DEADLINE_S)
    gallery.settle(1200)  # a trend frame
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-{name()}.png"))
    assert unreachable(window) == []
    assert text_failures(window) == []


def test_acknowledge_and_pause_sound_work_in_place(window, shots):
    core = window.core
    core.raise_technical(AppAlarm.INTERNAL, Priority.MEDIUM, "Monitor: a test alarm")
    gallery.wait_for(lambda: "test alarm" in shown_text(window.alarm_bar.technical), DEADLINE_S)
    before = geometry(window)
    click_and_wait(window.alarm_bar.ack_button, lambda: all(a.acknowledged for a in core.alarm_view().active))
    gallery.wait_for(lambda: window.alarm_bar.ack_button.text() == "✓ Acknowledged", DEADLINE_S)
    assert shown_text(window.alarm_bar.technical).startswith("✓ ")
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-acknowledged-{name()}.png"))
    assert geometry(window) == before
    click_and_wait(window.alarm_bar.pause_button, lambda: window.alarm_bar.audio.state == "paused")
    gallery.wait_for(lambda: window.alarm_bar.pause_button.text().startswith("Sound paused"), DEADLINE_S)
    assert geometry(window) == before
    assert text_failures(window) == []


def test_a_failed_bp_shows_its_cause_in_both_fields_in_readable_print(window, shots):
    """At 1024 px the technical field was 185 px wide and read "! NIBP: BP measurement failed (motion ar…"; the
    NIBP field's failure line had shrunk to about 10 px to fit one line; and a wider technical field wrapped "No
    physiological alarm" with its last word in smaller print below."""
    window.scene.feed_bp(None, None, error="motion artefact, measurement abandoned")
    bar, failure = window.alarm_bar, window.nibp.failure
    gallery.wait_for(lambda: "failed" in shown_text(bar.technical) and failure.full_text(), DEADLINE_S)
    gallery.settle(300)
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-failed-bp-{name()}.png"))
    seen = " ".join(label.text() for label in (bar.technical.headline, *bar.technical.rest) if label.isVisible())
    assert "(motion artefact" in seen, seen
    assert failure.full_text().endswith("failed: motion artefact")
    scale = float(window.property("font_scale") or 1.0)
    assert failure.font().pixelSize() == int(failure.property("base_px") * scale)  # two lines, not smaller print
    assert bar.physio.headline.text() == "No physiological alarm"
    assert not any(label.text() for label in bar.physio.rest)
    assert text_failures(window) == []


def test_an_event_key_and_undo_and_in_the_compact_layout_the_trend_page(window, shots):
    clinical, session = window.clinical, window.core.clinical
    events = lambda: [clinical.list.item(i).text() for i in range(clinical.list.count())]  # noqa: E731
    assert events() == ["No events yet"]
    click_and_wait(clinical.marker_buttons["1"], lambda: len(events()) == 1 and "Nausea · AB" in events()[0])
    assert [m.label for m in session.markers.current()] == ["Nausea"]
    click_and_wait(clinical.undo_button, lambda: events() == ["No events yet"])
    assert session.markers.current() == ()
    if not window.compact:
        return
    click_and_wait(window.trend_button, lambda: window.trend.isVisible() and not clinical.isVisible())
    gallery.settle(1200)
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-trend-page-{name()}.png"))
    assert unreachable(window) == [f"{label}: not shown" for label, w in controls(window)
                                   if clinical.isAncestorOf(w) or w is window.trend_button]
    assert window.events_button.isVisible() and text_failures(window) == []
    click_and_wait(window.events_button, lambda: clinical.isVisible() and not window.trend.isVisible())


def start(window) -> None:
    """Click Start and start anyway (the pre-infusion items are not done in this scene)."""
    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, ItemsDialog)
        press(dialog, "Start anyway")

    errors = answer(drive)
    click_and_wait(window.infusion.buttons["start"], lambda: window.core.infusion.state is InfusionState.RUNNING)
    assert not errors, errors


def with_reason(window, action: str, reason: str, ok: str, state: InfusionState) -> None:
    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, TextDialog)
        type_into(dialog, dialog.field, reason)
        press(dialog, ok)

    errors = answer(drive)
    click_and_wait(window.infusion.buttons[action], lambda: window.core.infusion.state is state)
    assert not errors, errors
    assert window.core.infusion.log[-1].reason == reason


def test_start_pause_resume_rate_and_stop_early_by_clicks(window, shots):
    core, panel = window.core, window.infusion
    start(window)
    with_reason(window, "pause", "nausea", "Pause", InfusionState.PAUSED)
    gallery.wait_for(lambda: panel.buttons["pause"].text() == "Resume", DEADLINE_S)
    click_and_wait(panel.buttons["pause"], lambda: core.infusion.state is InfusionState.RUNNING)

    def rate(dialog: QWidget) -> None:
        assert isinstance(dialog, RateDialog)
        dialog.rate.setValue(120.0)
        type_into(dialog, dialog.reason, "BP rising")
        gallery.settle(100)
        xclick(dialog.ok)

    errors = answer(rate)
    click_and_wait(panel.buttons["rate"], lambda: core.infusion.current_rate_ml_per_h == 120.0)
    assert not errors, errors
    gallery.settle(300)
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-running-{name()}.png"))
    assert unreachable(window) == [] and text_failures(window) == []
    with_reason(window, "stop", "BP 190/105", "Stop early", InfusionState.STOPPED)
    assert [e.kind for e in core.infusion.log] == ["started", "paused", "resumed", "rate_changed", "stopped"]


def test_complete_by_a_click_once_the_planned_time_is_reached(window):
    core = window.core
    start(window)
    window.scene.advance(41 * 60, step=120.0)  # past the planned 40 min
    gallery.wait_for(lambda: core.infusion_status().end_to_confirm, DEADLINE_S)
    click_and_wait(window.infusion.buttons["complete"], lambda: core.infusion.log[-1].kind == "completed")
    assert [e.kind for e in core.infusion.log] == ["started", "planned_end_reached", "completed"]


def test_a_high_desaturation_continuing_at_the_medium_level_reads_as_it_is_until_acknowledged(window, shots):
    """Issue 19: after a nadir below 90 the bar read "!!! SpO₂ 93 < 94" on a red tile. Now the present alarm reads at
    its level with its limit and colour, the ended high episode has its own line, and Acknowledge (a real click)
    takes that line away, moving nothing."""
    s, bar = window.scene, window.alarm_bar
    gallery.desaturation(s)  # 84 %, past the alarm delay: a high alarm
    gallery.wait_for(lambda: shown_text(bar.physio).startswith("!!! SpO₂ 84 < 90"), DEADLINE_S)
    s.patient.spo2 = 92.0
    gallery.wait_for(lambda: "!! SpO₂ 92 < 94" in [line.shown for line in window.view.physiological.lines],
                     DEADLINE_S)
    lines = [line.shown for line in window.view.physiological.lines]
    assert lines[0].startswith("!!! SpO₂ nadir 8") and "< 90 · ended " in lines[0] and lines[1] == "!! SpO₂ 92 < 94"
    tile = window.tiles["spo2"]
    gallery.wait_for(lambda: tile._style is not None and tile._style[0] == theme.ALARM_BG[Priority.MEDIUM],
                     DEADLINE_S)
    assert tile.title.text() == "!! SpO₂" and tile.note.full_text().startswith("!!! ended ")
    gallery.bright(window)
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-high-then-medium-{name()}.png"))
    before = geometry(window)
    click_and_wait(bar.ack_button, lambda: [line.shown for line in window.view.physiological.lines][:1] == [
        "✓ !! SpO₂ 92 < 94"])
    assert len(window.view.physiological.lines) == 1 and geometry(window) == before
    gallery.wait_for(lambda: tile.note.full_text() == "", DEADLINE_S)
    QApplication.primaryScreen().grabWindow(0).save(str(shots / f"monitor-high-then-medium-acked-{name()}.png"))
    assert text_failures(window) == []


def test_the_scales_dialog_shows_every_cadss_item_whole_beside_the_spo2_numerals(window, shots):
    """Issue 19: the CADSS items were cut ("Things seem to move in slow") and the dialog covered the SpO₂ tile."""
    from ui.monitor.clinical_dialogs import CADSS6_ITEMS, ScalesDialog

    failures: list[str] = []
    opened: list[bool] = []

    def drive(dialog: QWidget) -> None:
        opened.append(True)
        assert isinstance(dialog, ScalesDialog)
        gallery.settle(300)
        QApplication.primaryScreen().grabWindow(0).save(str(shots / f"scales-dialog-{name()}.png"))
        assert [label.text() for label in dialog.cadss_items] == [f"{i + 1}. {t}" for i, t in enumerate(CADSS6_ITEMS)]
        for label, group in zip(dialog.cadss_items, dialog.cadss):  # whole, and above its 0-4, not under them
            row = group.button(0)
            assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()
            assert label.mapTo(dialog, label.rect().bottomLeft()).y() < row.mapTo(dialog, QPoint(0, 0)).y(), label.text()
        screen = dialog.screen().availableGeometry()
        assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
        failures.extend(legibility_failures("scales", dialog) + clipping_failures("scales", dialog))
        value = window.tiles["spo2"].value
        middle = value.mapToGlobal(value.rect().center())
        if not window.compact:  # beside the dialog there is room for the SpO₂ numerals
            failures.extend(["the SpO₂ numerals are covered"] if dialog.frameGeometry().contains(middle) else [])
        press(dialog, "Cancel")

    errors = answer(drive)
    click_and_wait(window.clinical.scales_button, lambda: bool(opened) and QApplication.activeModalWidget() is None)
    assert not errors, errors
    assert failures == []
