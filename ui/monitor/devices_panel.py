"""The devices panel: what is connected, in what state, and adding a device (or, in a demo, a simulator).

For the IT/biomed person: each device's role, protocol, port, state, age of
the last data and error counts, refreshed every second. A patient's session
never offers a simulator and refuses a simulated port typed in: a simulator
never passes for a patient's device. In a demo the simulator runs in the
process (a sim:SCENARIO port), so DeviceSpec.simulated marks its values
SIMULATED on the screen and in the record.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)
from serial.tools import list_ports

from devices import registry
from devices.probe import Found, find_devices
from devices.sim.physiology import SCENARIOS
from devices.spec import ROLES, DeviceSpec
from monitor.alarms.engine import source_text
from monitor.live.core import MonitorCore
from monitor.timefmt import age_text
from ui import theme
from ui.dialogs import tell

SIMULATOR = "Simulator (no device needed)"
FIND = "Find devices…"
COLUMNS = ("Device", "Protocol", "Port", "State", "Last data", "Bytes", "Errors", "Reconnects", "Identity", "Problem")


class Finder(QObject):
    """Runs the device search (devices.probe) on its own thread; says how far it got and what it found."""

    sigProgress = Signal(str)
    sigDone = Signal(list)

    def __init__(self, exclude: frozenset[str]) -> None:
        super().__init__()
        self.exclude = exclude
        self.cancel = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="find-devices", daemon=True).start()

    def _run(self) -> None:
        found = find_devices(progress=lambda done, total, words: self.sigProgress.emit(f"[{done}/{total}] {words}"),
                             cancel=self.cancel, exclude=self.exclude)
        self.sigDone.emit(found)


class DevicesPanel(QDialog):
    """Lists the core's devices; adds a device (or, with offer_simulator, a simulator) to the running session."""

    def __init__(self, core: MonitorCore, parent=None, offer_simulator: bool = False) -> None:
        """offer_simulator: a demo session, the only one where a simulator may be added."""
        super().__init__(parent)
        self.core = core
        self.offer_simulator = offer_simulator
        self.setWindowTitle("Devices")
        self.resize(1000, 540)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.setWordWrap(True)  # a long port name or error wraps in its cell
        self.table.verticalHeader().setVisible(False)
        theme.set_font(self.table, 15)
        self.role = QComboBox()
        self.role.addItems(ROLES)
        self.protocol = QComboBox()
        for name in registry.protocol_names():
            self.protocol.addItem(f"{name} — {registry.get(name).title}", name)
        self.port = QComboBox()
        self.port.setEditable(True)
        if offer_simulator:
            self.port.addItem(SIMULATOR)
        for info in list_ports.comports():
            self.port.addItem(info.device, info.device)
            self.port.setItemText(self.port.count() - 1, f"{info.device}  ({info.description})")
        self.scenario = QComboBox()
        self.scenario.addItems(list(SCENARIOS))
        for combo in (self.protocol, self.port):  # long protocol titles and port descriptions never widen the dialog
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(28)
        self.find = QPushButton(FIND)
        self.find.setToolTip("Try every serial port with every protocol (never starts a BP measurement)")
        self.find.clicked.connect(self.find_devices)
        self.search = QLabel("")
        self.search.setProperty("role", "dim")
        self.search.setWordWrap(True)
        self.found = QListWidget()  # what the search found: a click fills in the form below
        self.found.setMaximumHeight(90)
        self.found.setVisible(False)
        self.found.itemClicked.connect(self._choose_found)
        self._finder: Finder | None = None
        form = QFormLayout()
        form.addRow(self.find, self.search)
        form.addRow(self.found)
        form.addRow("Role", self.role)
        form.addRow("Protocol", self.protocol)
        form.addRow("Port (or socket://host:port)", self.port)
        if offer_simulator:
            form.addRow("Simulator scenario", self.scenario)
        else:
            self.scenario.setVisible(False)
        add_box = QGroupBox("Add a device")
        add_box.setLayout(form)
        buttons = QDialogButtonBox()
        buttons.addButton("Add device", QDialogButtonBox.AcceptRole).clicked.connect(self.add)
        buttons.addButton(QDialogButtonBox.Close).clicked.connect(self.close)
        hint = QLabel("No data: the port is open but the device has sent nothing for 5 s (cable, device off, "
                      "wrong speed). Reconnecting: the port cannot be opened; the app retries by itself.")
        hint.setWordWrap(True)
        hint.setProperty("role", "dim")
        box = QVBoxLayout(self)
        box.addWidget(self.table)
        box.addWidget(hint)
        box.addWidget(add_box)
        box.addWidget(buttons)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(1000)
        self.refresh()

    def refresh(self) -> None:
        views = self.core.device_views()
        self.table.setRowCount(len(views))
        for row, d in enumerate(views):
            info = d.info
            ident = " ".join(x for x in ((info.model, info.serial_number, info.firmware) if info else ()) if x)
            cells = (source_text(d.source), d.protocol, d.port, d.state,
                     "never" if d.last_data_age_s is None else age_text(d.last_data_age_s),
                     str(d.bytes_rx), ", ".join(f"{k} {v}" for k, v in d.errors.items()) or "0",
                     str(d.reconnects), ident, d.last_error)
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeRowsToContents()

    def find_devices(self) -> None:
        """Search the computer's serial ports for devices (ports in use are left alone); click again to stop."""
        if self._finder is not None:
            self._finder.cancel.set()
            return
        self._finder = Finder(frozenset(r.spec.port for r in self.core.readers.values()))
        self._finder.sigProgress.connect(self.search.setText)
        self._finder.sigDone.connect(self._found)
        self.find.setText("Stop search")
        self.search.setText("looking at the serial ports…")
        self._finder.start()

    def _found(self, found: list[Found]) -> None:
        self._finder = None
        self.find.setText(FIND)
        self.found.clear()
        for device in found:
            item = QListWidgetItem(f"{device.identity} on {device.port}, {' + '.join(device.params)}")
            item.setData(Qt.UserRole, device)
            self.found.addItem(item)
        self.found.setVisible(bool(found))
        self.search.setText(f"{len(found)} device(s) found: click one to fill in the form" if found else
                            "no device found (check the cable, the power and the device's output settings)")

    def _choose_found(self, item: QListWidgetItem) -> None:
        device: Found = item.data(Qt.UserRole)
        self.role.setCurrentText(device.role)
        self.protocol.setCurrentIndex(self.protocol.findData(device.protocol))
        self.port.setEditText(device.port)

    def done(self, result: int) -> None:  # noqa: D401 (Qt naming): a search stops with the panel
        if self._finder is not None:
            self._finder.cancel.set()
        super().done(result)

    def add(self) -> None:
        """Connect the chosen device; a simulator only in a demo, where its values are marked SIMULATED."""
        role, protocol = self.role.currentText(), self.protocol.currentData()
        typed = self.port.currentText().strip()  # a port typed in over a listed one is the one meant
        listed = self.port.currentData() if typed == self.port.itemText(self.port.currentIndex()) else None
        port = listed or typed
        if port == SIMULATOR:
            port = f"sim:{self.scenario.currentText()}"
        try:
            spec = DeviceSpec.parse(f"{role}={protocol}:{port}")
            if spec.simulated and not self.offer_simulator:
                raise ValueError(f"{port} is a simulator: a patient's session takes real devices only")
            self.core.add_device(spec)
        except ValueError as exc:
            tell(self, "Devices", str(exc), warning=True)
            return
        self.refresh()
