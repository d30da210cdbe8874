"""SunTech Advantage OEM NIBP module: host-started BP measurements, 9600 8N1.

Host to module: ':' cmd [data] chk (no length byte). Module to host:
'>' LEN data chk, LEN counting the whole packet. chk makes the 8-bit sum of
every byte of a packet, start byte included, zero. The module answers each
command, and sends one unsolicited status 'K' when a measurement completes;
the host then asks for the result. See DEVICES.md for the byte layout.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from devices.base import Driver, Encoder, Parser, SerialSettings
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals
from devices.values import Condition, DeviceItem, DeviceNotice, NibpResult, Param, StatusChange, sample

SETTINGS = SerialSettings(baudrate=9600)
HOST_START = 0x3A  # ':'
MODULE_START = 0x3E  # '>'


def checksum(data: bytes) -> int:
    """Return the byte that makes the 8-bit sum of data plus itself zero."""
    return (0x100 - (sum(data) & 0xFF)) & 0xFF


def encode_command(body: bytes) -> bytes:
    """Return a host command: ':' body chk."""
    head = bytes((HOST_START,)) + body
    return head + bytes((checksum(head),))


START_ADULT = encode_command(b"\x20")
ABORT = encode_command(b"\x79\x01\x00")
GET_CUFF_PRESSURE = encode_command(b"\x79\x05\x00")
GET_RESULT = encode_command(b"\x79\x03\x00")
RESET = encode_command(b"\x8A")
COMMANDS = (START_ADULT, ABORT, GET_CUFF_PRESSURE, GET_RESULT, RESET)

STATUS_LEN = 4
CUFF_LEN = 5
RESULT_LEN = 24

#: status character -> (DeviceNotice code, what it means)
STATUS_CODES: dict[str, tuple[str, str]] = {
    "O": ("nibp_started", "command received"),
    "K": ("nibp_complete", "measurement complete"),
    "A": ("nibp_aborted", "measurement aborted"),
    "B": ("nibp_busy", "module busy"),
    "E": ("nibp_error", "module error"),
    "N": ("nibp_undefined", "command not understood"),
    "S": ("nibp_sleep", "module asleep"),
    "T": ("nibp_timeout", "module timeout"),
}

#: statuses that end a measurement without a result, with the words for the nurse
FAILING_STATUS = {"E": "the BP module reported an error, no reading", "T": "the BP module timed out, no reading"}

#: module error code -> plain words for the nurse (wording approximate, DEVICES.md)
ERROR_TEXT: dict[int, str] = {
    0x01: "weak signal, no clear pulse in the cuff (check cuff size and position)",
    0x02: "motion or artifact (keep the arm still)",
    0x03: "reading out of range",
    0x04: "measurement timed out",
    0x85: "air blockage (check the hose for kinks)",
    0x87: "cuff loose or not connected",
    0x88: "safety timeout",
    0x89: "cuff over-pressure",
    0x90: "BP module hardware error",
    0x91: "measurement took too long",
    0x97: "pressure sensor out of range",
    0x99: "BP module memory (EEPROM) failure",
}


def error_text(code: int) -> str:
    """Return the plain words for a module error code ("error 0xNN" if unknown)."""
    return ERROR_TEXT.get(code, f"error 0x{code:02X}")


def encode_reply(data: bytes) -> bytes:
    """Return a module-to-host packet: '>' LEN data chk."""
    head = bytes((MODULE_START, len(data) + 3)) + data
    return head + bytes((checksum(head),))


def encode_status(c: str) -> bytes:
    """Return a status reply such as 'K' (measurement complete)."""
    return encode_reply(c.encode("ascii"))


def encode_cuff(mmhg: int) -> bytes:
    """Return a cuff pressure reply (uint16 LE, mmHg)."""
    return encode_reply((mmhg & 0xFFFF).to_bytes(2, "little"))


@dataclass(frozen=True)
class RawResult:
    """The fields of a 24-byte BP result, as on the wire (mmHg, /min)."""

    sbp: int = 0
    dbp: int = 0
    map: int = 0
    pulse_rate: int = 0
    error_code: int = 0
    beats: int = 0
    status: int = 0
    test_codes: bytes = bytes(8)


def encode_result(r: RawResult) -> bytes:
    """Return the 24 wire bytes of a BP result."""
    data = (
        (r.sbp & 0xFFFF).to_bytes(2, "little")
        + (r.dbp & 0xFFFF).to_bytes(2, "little")
        + bytes((r.beats & 0xFF, r.status & 0xFF))
        + r.test_codes[:8].ljust(8, b"\x00")
        + bytes((r.pulse_rate & 0xFF, 0))
        + (r.map & 0xFFFF).to_bytes(2, "little")
        + bytes((r.error_code & 0xFF, 0, 0))
    )
    return encode_reply(data)


def decode_result(packet: bytes) -> RawResult:
    """Return the fields of a whole 24-byte result packet (start byte to checksum)."""
    return RawResult(
        sbp=int.from_bytes(packet[2:4], "little"),
        dbp=int.from_bytes(packet[4:6], "little"),
        map=int.from_bytes(packet[18:20], "little"),
        pulse_rate=packet[16],
        error_code=packet[20],
        beats=packet[6],
        status=packet[7],
        test_codes=bytes(packet[8:16]),
    )


class SuntechParser(Parser):
    """Parser of module replies: status notices, cuff pressure, BP results.

    Only the three reply lengths the host can provoke (status 4, cuff 5,
    result 24) are accepted: a stray '>' with any other length byte is skipped
    at once instead of making the parser wait for bytes that never come.
    """

    checksummed = True

    _SCOPE = frozenset({Condition.NIBP_FAILED})

    def __init__(self, source: str = "nibp") -> None:
        super().__init__(source)
        self._buf = bytearray()

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        self._buf += data
        out: list[DeviceItem] = []
        while self._buf:
            start = self._buf.find(MODULE_START)
            if start < 0:
                self.errors["garbage byte"] += len(self._buf)
                self._buf.clear()
                break
            if start:
                self.errors["garbage byte"] += start
                del self._buf[:start]
            if len(self._buf) < 2:
                break
            length = self._buf[1]
            if length not in (STATUS_LEN, CUFF_LEN, RESULT_LEN):
                self.errors["bad length"] += 1
                del self._buf[:1]
                continue
            if len(self._buf) < length:
                break
            packet = bytes(self._buf[:length])
            if sum(packet) & 0xFF:
                self.errors["checksum"] += 1
                del self._buf[:1]
                continue
            del self._buf[:length]
            self._framed(length)
            out.extend(self._packet(packet, t))
        return out

    def _packet(self, packet: bytes, t: float) -> list[DeviceItem]:
        if len(packet) == CUFF_LEN:
            return [sample(t, self.source, Param.CUFF_PRESSURE, float(int.from_bytes(packet[2:4], "little")))]
        if len(packet) == RESULT_LEN:
            return self._result(decode_result(packet), t)
        c = chr(packet[2])
        if c not in STATUS_CODES:
            self.errors["unknown status"] += 1
            return []
        code, meaning = STATUS_CODES[c]
        out: list[DeviceItem] = [DeviceNotice(t, self.source, code, meaning)]
        if c in FAILING_STATUS:
            out.extend(self.conditions.update(t, {Condition.NIBP_FAILED: FAILING_STATUS[c]}, self._SCOPE))
        return out

    def _result(self, r: RawResult, t: float) -> list[DeviceItem]:
        """A result is good with no error code and some reading; the plausibility gate judges its values."""
        if r.error_code:
            problem = error_text(r.error_code)
        elif r.sbp == r.dbp == r.map == 0:
            problem = "the BP module returned no reading"
        else:  # an impossible reading is failed by the plausibility gate
            problem = ""
        if problem:
            result = NibpResult(t, self.source, None, None, None, None, r.error_code, problem)
            return [result, *self.conditions.update(t, {Condition.NIBP_FAILED: problem}, self._SCOPE)]
        pulse = float(r.pulse_rate) if r.pulse_rate else None  # 0 /min: the module found no rate
        out: list[DeviceItem] = [NibpResult(t, self.source, float(r.sbp), float(r.dbp), float(r.map), pulse)]
        out.extend(self.conditions.update(t, {}, self._SCOPE))
        out.append(sample(t, self.source, Param.SBP, float(r.sbp)))
        out.append(sample(t, self.source, Param.DBP, float(r.dbp)))
        out.append(sample(t, self.source, Param.MAP, float(r.map)))
        out.append(sample(t, self.source, Param.NIBP_PULSE_RATE, pulse))
        return out


IDLE = "idle"
STARTING = "starting"  # start sent, waiting for the 'O' ack
MEASURING = "measuring"  # acknowledged: cuff inflating and deflating, polled every second
FETCHING = "fetching result"  # 'K' received, result asked for

ACK_TIMEOUT_S = 5.0
MEASURE_TIMEOUT_S = 150.0  # from the start command to 'K'; a real cuff needs 20-45 s
CUFF_POLL_S = 1.0
RESULT_RETRY_S = 2.0
RESULT_TIMEOUT_S = 10.0
HEARTBEAT_S = 2.0  # idle liveness query, well inside the reader's 5 s no-data limit


class SuntechDriver(Driver):
    """Runs one measurement at a time: start, cuff polls, result on 'K', abort on timeout.

    A driver returns bytes only and cannot publish items, so the state is
    exposed for the app: `phase` (IDLE, STARTING, MEASURING, FETCHING),
    `measuring`, and `timed_out`, which is True when the last measurement
    ended because the module did not answer in time (no 'O' within 5 s, no
    'K' within 150 s of the start: abort sent; or no result within 10 s of
    'K'). It is cleared by the next start.
    """

    def __init__(self, heartbeat_s: float | None = HEARTBEAT_S) -> None:
        self.heartbeat_s = heartbeat_s  # None: never query an idle module (scripted tests)
        self.phase = IDLE
        self.timed_out = False
        self._deadline = 0.0  # monotonic s at which the current phase gives up
        self._next_poll = 0.0
        self._next_heartbeat = 0.0
        self._started_at = 0.0

    @property
    def measuring(self) -> bool:
        """True from the start command until the measurement ends in any way."""
        return self.phase != IDLE

    def supports(self, name: str) -> bool:
        return name in ("nibp_start", "nibp_abort")

    def probe_query(self) -> bytes:
        """Ask an idle module its cuff pressure: it answers without inflating (never START_ADULT)."""
        return GET_CUFF_PRESSURE

    def command(self, name: str, now: float) -> bytes:
        if name == "nibp_start":
            if self.measuring:
                raise ValueError("a measurement is already running")
            self.phase, self.timed_out = STARTING, False
            self._started_at = now
            self._deadline = now + ACK_TIMEOUT_S
            return START_ADULT
        if name == "nibp_abort":
            self.phase = IDLE  # the module confirms with 'A'; if that is lost, a later 'K' is still fetched
            return ABORT
        return super().command(name, now)

    def on_items(self, items: list[DeviceItem], now: float) -> bytes:
        out = b""
        for item in items:
            if isinstance(item, NibpResult):
                self.phase = IDLE
            elif isinstance(item, DeviceNotice):
                out += self._notice(item.code, now)
        return out

    def _notice(self, code: str, now: float) -> bytes:
        if code == "nibp_started" and self.phase == STARTING:
            self.phase = MEASURING
            self._deadline = self._started_at + MEASURE_TIMEOUT_S
            self._next_poll = now + CUFF_POLL_S
        elif code == "nibp_complete":  # fetched even when idle: the result exists, so show it
            self.phase = FETCHING
            self._deadline = now + RESULT_TIMEOUT_S
            self._next_poll = now + RESULT_RETRY_S
            return GET_RESULT
        elif code in ("nibp_aborted", "nibp_busy", "nibp_error", "nibp_timeout"):
            self.phase = IDLE
        return b""

    def poll(self, now: float) -> bytes:
        if self.phase == IDLE:
            if self.heartbeat_s is None or now < self._next_heartbeat:
                return b""
            self._next_heartbeat = now + self.heartbeat_s
            return GET_CUFF_PRESSURE  # an idle module is silent: ask, so a dead link shows as "no data"
        if now >= self._deadline:
            out = b"" if self.phase == FETCHING else ABORT  # never leave a cuff inflated unwatched
            what = {STARTING: "did not acknowledge the start", MEASURING: "did not finish the measurement",
                    FETCHING: "did not send the result"}[self.phase]
            self.phase, self.timed_out = IDLE, True
            t = time.time()
            self.report(DeviceNotice(t, self.source, "nibp_timeout", what))
            self.report(StatusChange(t, self.source, Condition.NIBP_FAILED, True,
                                     f"NIBP module {what} in time"))
            return out
        if now < self._next_poll:
            return b""
        if self.phase == MEASURING:
            self._next_poll = now + CUFF_POLL_S
            return GET_CUFF_PRESSURE
        if self.phase == FETCHING:
            self._next_poll = now + RESULT_RETRY_S
            return GET_RESULT
        return b""


#: error codes the simulator picks for a failed measurement (the common ones on a ward)
SIM_ERRORS = (0x01, 0x02, 0x03, 0x04, 0x85, 0x87, 0x91)
DEFLATE_STEP_MMHG = 8


class SuntechSimulator(DeviceSimulator):
    """A SunTech module: idle until started, then inflates, deflates in steps and reports.

    Durations (20-45 s of scenario time) and failures come from a seeded RNG.
    The result holds the patient's BP and pulse at the moment the host asks for
    it; motion artifact then, or a random draw at start, makes it a failure.
    """

    settings = SETTINGS
    frame_interval = 0.25

    def __init__(self, seed: int = 1, failure_rate: float = 0.05) -> None:
        self._rng = np.random.default_rng(seed)
        self._failure_rate = failure_rate
        self._rx = bytearray()
        self._t0: float | None = None  # scenario time the running measurement started
        self._duration = 0.0
        self._peak = 0.0
        self._low = 0.0
        self._error = 0
        self._done = False

    @property
    def measuring(self) -> bool:
        return self._t0 is not None

    def cuff_pressure(self, t: float) -> int:
        """Return the cuff pressure (mmHg) at scenario time t: linear inflation, then steps down."""
        if self._t0 is None:
            return 0
        elapsed = t - self._t0
        inflate = 0.25 * self._duration
        if elapsed < inflate:
            return int(self._peak * elapsed / inflate)
        if elapsed >= self._duration:
            return 0
        steps = math.ceil((self._peak - self._low) / DEFLATE_STEP_MMHG)
        done = int(steps * (elapsed - inflate) / (self._duration - inflate))
        return int(self._peak - DEFLATE_STEP_MMHG * done)

    def frame(self, v: Vitals) -> bytes:
        if self._t0 is not None and v.t - self._t0 >= self._duration:
            self._t0 = None
            self._done = True
            return encode_status("K")
        return b""

    def receive(self, data: bytes, v: Vitals) -> bytes:
        self._rx += data
        out = b""
        while self._rx:
            cmd = next((c for c in COMMANDS if self._rx.startswith(c)), None)
            if cmd is None:
                if any(c.startswith(self._rx) for c in COMMANDS):
                    break  # the rest of a command is still on its way
                del self._rx[:1]
                continue
            del self._rx[: len(cmd)]
            out += self._command(cmd, v)
        return out

    def _command(self, cmd: bytes, v: Vitals) -> bytes:
        if cmd == START_ADULT:
            if self._t0 is not None:
                return encode_status("B")
            self._t0 = v.t
            self._duration = float(self._rng.uniform(20.0, 45.0))
            self._peak = v.sbp + 30.0
            self._low = max(20.0, v.dbp - 20.0)
            failed = self._rng.random() < self._failure_rate
            self._error = int(self._rng.choice(SIM_ERRORS)) if failed else 0
            self._done = False
            return encode_status("O")
        if cmd == ABORT:
            self._t0 = None
            self._done = False
            return encode_status("A")
        if cmd == GET_CUFF_PRESSURE:
            return encode_cuff(self.cuff_pressure(v.t))
        if cmd == GET_RESULT:
            return encode_result(self._result(v))
        self._t0 = None  # RESET: stop quietly
        self._done = False
        return b""

    def _result(self, v: Vitals) -> RawResult:
        if not self._done:
            return RawResult()  # nothing measured since the last start or abort: an empty record
        error = self._error or (0x02 if v.artifact else 0)
        if error:
            return RawResult(error_code=error)
        return RawResult(
            sbp=round(v.sbp),
            dbp=round(v.dbp),
            map=round(v.map),
            pulse_rate=0 if "nibp_pulse_rate" in v.invalid else round(v.ecg_rate or 0),
            beats=round(self._duration * (v.pulse_rate or 60.0) / 60.0) & 0xFF,
            status=1,
        )


ENCODER = Encoder(
    ranges={"sbp": (1, 65535, 1), "dbp": (1, 65535, 1), "map": (1, 65535, 1),
            "nibp_pulse_rate": (1, 255, 1)},  # u16 and u8 fields; a pulse of 0 means none found
    encode=lambda v: encode_result(RawResult(sbp=int(v["sbp"]), dbp=int(v["dbp"]), map=int(v["map"]),
                                             pulse_rate=int(v["nibp_pulse_rate"]), beats=30, status=1)),
)

SPEC = ProtocolSpec(
    name="suntech",
    title="SunTech Advantage OEM NIBP module",
    roles=frozenset({"nibp"}),
    settings=SETTINGS,
    parser=SuntechParser,
    simulator=SuntechSimulator,
    driver=SuntechDriver,
    encoder=ENCODER,
    byte_rate=2.5,  # idle: the driver's cuff-pressure query every 2 s, 5-byte answers
)
