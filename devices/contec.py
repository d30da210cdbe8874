"""Contec pulse oximeters, newer firmware (v4.x, "protocol V7.0"): 115200 8N1, streams only when asked.

Packets are `[type] [HIGH] [d0..dN-1]`: the type byte is the only one with bit 7
clear, HIGH and every data byte have bit 7 set, and bit i of HIGH carries the
real bit 7 of d_i. There is no checksum, so a packet is trusted only when it has
exactly the length its type calls for; a byte with bit 7 clear always starts a
new packet, which is how the parser resynchronises. Random bytes (a wrong port or
speed) now and then form one such packet, so live values are trusted only after
LOCK_PACKETS whole packets in a row (devices.base.FrameLock): 50 ms of a real
device's stream.

The device updates its numerics about once a second and repeats them in every
live packet: they are reported once a second of packets and on every change
(devices.base.Repeats), and a change counts only once CONFIRM_PACKETS packets
in a row carry it (one corrupted data byte keeps the framing and changes one
packet's SpO2, pulse or PI, by any amount; a device never shows a value for a
single packet). SpO2 127 and pulse 255
(or 0) mean no value; a packet with neither has no reading at all (the CMS60C
sends such packets for minutes, mostly without the probe-error bit): that is
SEARCHING, and its pleth (a flat line) is no value, never a number.

The host must send "start live data" and then a keep-alive at least every 5 s,
or the device stops streaming. Data lengths per type come from DEVICES.md and
kaivol/pulox (a Rust driver of the same protocol): live data 7, device ID 7
(seen: `04 80 F5 F3 E5 F2 A0 A0 A0` = "user", a user-settable name, not a model),
command feedback 2 (command, reason), "device free" 0 (seen as the reply to
stop: `0C 80`), disconnect notice 1 (reason; the reason codes are not known).
Other types (storage download, user info) are never asked for; they are skipped
and counted as "unknown type".
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.base import Driver, Encoder, FrameLock, Parser, Repeats, SerialSettings, WaveBuffer
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.held import HeldNumerics
from devices.sim.physiology import Vitals
from devices.values import Condition, DeviceInfo, DeviceItem, DeviceNotice, Param, WaveSegment

SETTINGS = SerialSettings(baudrate=115200)
FRAME_RATE = 60.0
UPDATE_PACKETS = int(FRAME_RATE)  # the device updates its numerics about once a second of packets
KEEP_ALIVE_EVERY_S = 5.0
LOCK_PACKETS = 3  # whole packets in a row before live values are trusted (no checksum: see FrameLock)
CONFIRM_PACKETS = 2  # live packets in a row that must carry a changed state before it counts (see Repeats)
NO_READING = "no valid reading (SpO₂ and pulse missing)"
DEVICE_TIMEOUT_S = 15.0  # the simulated device stops streaming after this long without a host command

# Host commands (type 0x7D), exactly as in DEVICES.md.
START_LIVE = bytes.fromhex("7D81A1808080808080")
STOP_LIVE = bytes.fromhex("7D81A2808080808080")
KEEP_ALIVE = bytes.fromhex("7D81AF808080808080")
DEVICE_ID_REQUEST = bytes.fromhex("7D81AA808080808080")
HOST_COMMAND = 0x7D
OP_START, OP_STOP, OP_KEEP_ALIVE, OP_DEVICE_ID = 0xA1, 0xA2, 0xAF, 0xAA

# Device packet types and their number of data bytes.
LIVE_DATA = 0x01
DEVICE_ID = 0x04
COMMAND_FEEDBACK = 0x0B
DEVICE_FREE = 0x0C
DISCONNECT_NOTICE = 0x0D
DATA_LENGTH: dict[int, int] = {LIVE_DATA: 7, DEVICE_ID: 7, COMMAND_FEEDBACK: 2, DEVICE_FREE: 0, DISCONNECT_NOTICE: 1}

#: Reason codes of command feedback (0x0B), from kaivol/pulox.
FEEDBACK_REASONS: dict[int, str] = {
    0x00: "completed",
    0x01: "device shutting down",
    0x02: "exchanging users",
    0x03: "recording",
    0x04: "failed to delete stored data",
    0x05: "not supported",
}

SPO2_INVALID = 127
PULSE_INVALID = 255
PI_NONE = 0xFFFF
#: Perfusion index unit on the wire: hundredths of a percent. Not confirmed: the only
#: seen live packet carries PI 0xFFFF; 1/100 % gives the clinical range 0.02-20 % with
#: the resolution monitors display. Anything above 100 % is impossible and dropped.
PI_SCALE = 0.01
PI_MAX_RAW = 10000
#: SpO2 below which the simulated device sets its own "low SpO2" bit (assumed factory limit).
SIM_LOW_SPO2 = 90
SIM_DEVICE_ID = b"SIM_V7 "


def encode_packet(ptype: int, data: bytes) -> bytes:
    """Return the wire bytes of a packet: type, HIGH (bit 7 of each data byte), data with bit 7 set."""
    if not 0 <= ptype < 0x80:
        raise ValueError(f"packet type must be 0..0x7F, got {ptype:#x}")
    if len(data) > 7:
        raise ValueError(f"at most 7 data bytes fit one HIGH byte, got {len(data)}")
    high = 0x80
    for i, byte in enumerate(data):
        high |= ((byte >> 7) & 1) << i
    return bytes((ptype, high, *(byte | 0x80 for byte in data)))


def decode_packet(raw: bytes) -> tuple[int, bytes]:
    """Return (type, real data bytes) of one whole packet; ValueError if it is malformed."""
    if not 2 <= len(raw) <= 9 or raw[0] & 0x80 or not all(b & 0x80 for b in raw[1:]):
        raise ValueError(f"not a packet: {raw.hex(' ')}")
    high, data = raw[1], raw[2:]
    if high & 0x7F & ~((1 << len(data)) - 1):
        raise ValueError(f"HIGH byte {high:#04x} has bits for missing data bytes")
    return raw[0], bytes((b & 0x7F) | (((high >> i) & 1) << 7) for i, b in enumerate(data))


@dataclass(frozen=True)
class LiveData:
    """The fields of one live data packet (type 0x01), as on the wire."""

    signal: int = 0  # signal strength 0..15
    searching_too_long: bool = False
    low_spo2: bool = False  # the device's own low-SpO2 alarm, at a limit set on the device
    beep: bool = False
    probe_error: bool = False  # probe error or finger out
    pleth: int = 0  # 0..127
    searching: bool = False  # searching for pulse
    bar: int = 0  # bar graph 0..15
    pi_invalid: bool = True
    pulse_rate: int = PULSE_INVALID  # /min, 0..255
    spo2: int = SPO2_INVALID  # %, 0..255
    pi: int = PI_NONE  # perfusion index in PI_SCALE units, 0..65535


def encode_live(f: LiveData) -> bytes:
    """Return the 9 wire bytes of a live data packet."""
    d0 = (f.signal & 0x0F) | (f.searching_too_long << 4) | (f.low_spo2 << 5) | (f.beep << 6) | (f.probe_error << 7)
    d1 = (f.pleth & 0x7F) | (f.searching << 7)
    d2 = (f.bar & 0x0F) | (f.pi_invalid << 4)
    pi_lo, pi_hi = f.pi & 0xFF, (f.pi >> 8) & 0xFF
    return encode_packet(LIVE_DATA, bytes((d0, d1, d2, f.pulse_rate & 0xFF, f.spo2 & 0xFF, pi_lo, pi_hi)))


def decode_live(d: bytes) -> LiveData:
    """Return the fields of the 7 decoded data bytes of a live data packet."""
    return LiveData(
        signal=d[0] & 0x0F,
        searching_too_long=bool(d[0] & 0x10),
        low_spo2=bool(d[0] & 0x20),
        beep=bool(d[0] & 0x40),
        probe_error=bool(d[0] & 0x80),
        pleth=d[1] & 0x7F,
        searching=bool(d[1] & 0x80),
        bar=d[2] & 0x0F,
        pi_invalid=bool(d[2] & 0x10),
        pulse_rate=d[3],
        spo2=d[4],
        pi=d[5] | (d[6] << 8),
    )


#: What one live packet says: its conditions (condition, words), SpO2 %, pulse /min, PI % (None: no value).
State = tuple[tuple[tuple[Condition, str], ...], float | None, float | None, float | None]
LIVE_PARAMS = (Param.SPO2, Param.PULSE_RATE, Param.PERFUSION_INDEX)


def _ascii(data: bytes) -> str:
    """Return device text with padding removed and unprintable bytes shown as '?'."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in data.rstrip(b" \x00"))


class ContecParser(Parser):
    """Parser of the V7.0 stream: pleth at 60 Hz, SpO2, pulse rate and PI in every live packet.

    The low-SpO2 bit is not turned into a condition: it reflects a limit set on
    the device, while this app alarms on the SpO2 value with the session's own
    limits. A disconnect notice is only a DeviceNotice: the driver asks for data
    again, and if the device stays silent the reader's NO_DATA says so.
    """

    waveform_rate = FRAME_RATE

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self._buf = bytearray()  # packet in progress, starting with its type byte
        self._skipping = False  # inside a packet of unknown type: its bytes are not garbage
        self._lock = FrameLock(LOCK_PACKETS)
        self._pleth = WaveBuffer(source, Param.PLETH.value, FRAME_RATE)
        self._repeats: Repeats[State] = Repeats(UPDATE_PACKETS, CONFIRM_PACKETS)

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        for byte in data:
            if not byte & 0x80:
                if self._buf:
                    self.errors["framing"] += 1
                    self._broken()
                self._start(byte)
            elif self._buf:
                self._buf.append(byte)
                if len(self._buf) == 2 + DATA_LENGTH[self._buf[0]]:
                    out.extend(self._packet(bytes(self._buf), t))
                    self._buf.clear()
            elif not self._skipping:
                self.errors["garbage byte"] += 1
                self._broken()
        out.extend(self._pleth.take(t))
        return out

    def _broken(self) -> None:
        """Note a stray byte or a cut packet: the stream and its values must prove themselves again."""
        self._lock.broken()
        self._repeats.broken()

    def _start(self, ptype: int) -> None:
        self._buf.clear()
        self._skipping = ptype not in DATA_LENGTH
        if self._skipping:
            self.errors["unknown type"] += 1
            self._broken()
        else:
            self._buf.append(ptype)

    def _packet(self, raw: bytes, t: float) -> list[DeviceItem]:
        try:
            ptype, data = decode_packet(raw)
        except ValueError:
            self.errors["framing"] += 1
            self._broken()
            return []
        self._framed(len(raw))
        trusted = self._lock.frame()  # every whole packet counts: a device answers commands between live data
        if ptype == LIVE_DATA:
            return self._live(decode_live(data), t) if trusted else []
        if ptype == DEVICE_ID:
            return [DeviceInfo(t, self.source, model=_ascii(data))]
        if ptype == COMMAND_FEEDBACK:
            reason = FEEDBACK_REASONS.get(data[1], f"reason {data[1]:#04x}")
            return [DeviceNotice(t, self.source, "command_ack", f"command {data[0]:#04x}: {reason}")]
        if ptype == DEVICE_FREE:
            return [DeviceNotice(t, self.source, "command_ack", "device free")]
        return [DeviceNotice(t, self.source, "device_disconnect", f"reason {data[0]:#04x}")]

    def _live(self, f: LiveData, t: float) -> list[DeviceItem]:
        conds: dict[Condition, str] = {}
        if f.probe_error:
            conds[Condition.PROBE_OFF] = "probe error or finger out"
        if f.searching_too_long:
            conds[Condition.SEARCHING] = "searching too long"
        elif f.searching:
            conds[Condition.SEARCHING] = "searching for pulse"
        blocked = bool(conds)
        spo2 = None if blocked else self._spo2(f.spo2)
        pulse = None if blocked or f.pulse_rate in (0, PULSE_INVALID) else float(f.pulse_rate)
        pi = None if blocked or f.pi_invalid else self._pi(f.pi)
        if not blocked and spo2 is None and pulse is None:
            conds[Condition.SEARCHING] = NO_READING
        self._pleth.add(None if conds else float(f.pleth))
        out: list[DeviceItem] = []
        state = (tuple(conds.items()), spo2, pulse, pi)
        for (state_conds, *values), at, confirmed in self._repeats.packet(state, t):
            out.extend(self._reported(at, dict(state_conds), zip(LIVE_PARAMS, values), confirmed))
        return out

    def _spo2(self, raw: int) -> float | None:
        if raw in (0, SPO2_INVALID):
            return None
        if raw > 100:
            self.errors["implausible spo2"] += 1
            return None
        return float(raw)

    def _pi(self, raw: int) -> float | None:
        """Return PI in % (0 and 0xFFFF mean none: no pulsatile signal is no reading)."""
        if raw in (0, PI_NONE):
            return None
        if raw > PI_MAX_RAW:
            self.errors["implausible pi"] += 1
            return None
        return round(raw * PI_SCALE, 2)


class ContecDriver(Driver):
    """Starts the live stream, keeps it alive every 5 s, and restarts it when it stops.

    Beyond DEVICES.md: when no live data arrived since the last command, the
    periodic command is "start" instead of "keep-alive", so a device that was
    switched off and on again, or stopped without a notice, streams again
    without anyone reconnecting.
    """

    def __init__(self) -> None:
        self._last_sent: float | None = None  # monotonic s of the last start/keep-alive
        self._live_since_sent = False

    def on_open(self, now: float) -> bytes:
        self._sent(now)
        return START_LIVE + DEVICE_ID_REQUEST

    def poll(self, now: float) -> bytes:
        if self._last_sent is None or now - self._last_sent < KEEP_ALIVE_EVERY_S:
            return b""
        command = KEEP_ALIVE if self._live_since_sent else START_LIVE
        self._sent(now)
        return command

    def on_items(self, items: list[DeviceItem], now: float) -> bytes:
        if any(isinstance(i, DeviceNotice) and i.code == "device_disconnect" for i in items):
            self._sent(now)
            return START_LIVE
        if any(isinstance(i, WaveSegment) for i in items):
            self._live_since_sent = True
        return b""

    def _sent(self, now: float) -> None:
        self._last_sent = now
        self._live_since_sent = False

    def probe_query(self) -> bytes:
        """Ask the device for its ID: it answers without starting the live stream."""
        return DEVICE_ID_REQUEST


class ContecSimulator(DeviceSimulator):
    """A V7.0 device: silent until started, stops after 15 s without a host command.

    Replies: start -> command feedback "completed" (the one seen capture shows live
    data only; the ack is assumed), stop -> "device free" (seen), device ID request
    -> SIM_DEVICE_ID, keep-alive -> nothing, other commands -> "not supported".
    On a keep-alive timeout it sends a disconnect notice (reason 0, assumed) and stops.
    Its SpO2, pulse and PI change once a second (HeldNumerics), its pleth in every packet.
    """

    settings = SETTINGS
    frame_interval = 1.0 / FRAME_RATE

    def __init__(self) -> None:
        self._rx = bytearray()
        self.streaming = False
        self._last_command_t = 0.0
        self._was_peak = False
        self._numerics = HeldNumerics(UPDATE_PACKETS)  # the device measures while it is not streaming too

    def receive(self, data: bytes, v: Vitals) -> bytes:
        out = bytearray()
        for byte in data:
            if not byte & 0x80:
                self._rx = bytearray((byte,))
            elif self._rx:
                self._rx.append(byte)
                if len(self._rx) == 9:
                    out += self._command(bytes(self._rx), v.t)
                    self._rx.clear()
        return bytes(out)

    def _command(self, raw: bytes, t: float) -> bytes:
        ptype, data = decode_packet(raw)
        if ptype != HOST_COMMAND:
            return b""
        op = data[0]
        if op in (OP_START, OP_KEEP_ALIVE):
            self._last_command_t = t
            if op == OP_KEEP_ALIVE:
                return b""
            self.streaming = True
            return encode_packet(COMMAND_FEEDBACK, bytes((op, 0x00)))
        if op == OP_STOP:
            self.streaming = False
            return encode_packet(DEVICE_FREE, b"")
        if op == OP_DEVICE_ID:
            return encode_packet(DEVICE_ID, SIM_DEVICE_ID)
        return encode_packet(COMMAND_FEEDBACK, bytes((op, 0x05)))

    def frame(self, v: Vitals) -> bytes:
        v = self._numerics.hold(v)
        if not self.streaming:
            return b""
        if v.t - self._last_command_t > DEVICE_TIMEOUT_S:
            self.streaming = False
            return encode_packet(DISCONNECT_NOTICE, b"\x00")
        return encode_live(self._render(v))

    def _render(self, v: Vitals) -> LiveData:
        if v.probe_off:
            return LiveData(probe_error=True)
        if v.searching:
            return LiveData(searching=True, signal=1)
        if v.spo2 is None or v.pulse_rate is None:  # as the CMS60C: PR 255, SpO2 127, flat pleth, no status bit
            return LiveData()
        peak = v.pleth > 0.9
        beep = peak and not self._was_peak
        self._was_peak = peak
        spo2 = min(100, max(1, int(round(v.spo2))))
        pi = v.perfusion_index
        return LiveData(
            signal=3 if v.artifact else 8,
            low_spo2=spo2 < SIM_LOW_SPO2,
            beep=beep,
            pleth=min(127, max(0, int(round(v.pleth * 100)))),
            bar=min(15, max(0, int(round(v.pleth * 15)))),
            pi_invalid=pi is None,
            pulse_rate=min(254, max(1, int(round(v.pulse_rate)))),
            spo2=spo2,
            pi=PI_NONE if pi is None else min(PI_MAX_RAW, max(1, int(round(pi / PI_SCALE)))),
        )


ENCODER = Encoder(
    ranges={"spo2": (1, 126, 1), "pulse_rate": (1, 254, 1), "perfusion_index": (0.01, 655.34, 0.01)},
    encode=lambda v: (LOCK_PACKETS + CONFIRM_PACKETS - 1) * encode_live(LiveData(
        signal=8, pleth=64, bar=6, pi_invalid=False, pulse_rate=int(v["pulse_rate"]), spo2=int(v["spo2"]),
        pi=round(v["perfusion_index"] / PI_SCALE))),
)

SPEC = ProtocolSpec(
    name="contec",
    title="Contec CMS50D+/CMS50E newer firmware (v4.x, needs start command)",
    roles=frozenset({"pulseox"}),
    settings=SETTINGS,
    parser=ContecParser,
    simulator=ContecSimulator,
    driver=ContecDriver,
    encoder=ENCODER,
    byte_rate=540.0,  # 60 packets of 9 bytes
)
