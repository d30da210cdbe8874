"""Nonin OEM III module / Xpod, Data Format 2: 5-byte frames with a checksum, 9600 8N1, 75 frames/s.

A frame is `[0x01, STATUS, PLETH, FLOAT, CHK]`, CHK = (b0 + b1 + b2 + b3) mod 256.
25 frames make a packet (3 packets/s); the first frame of a packet has STATUS
bit 0 (SYNC) set, and the meaning of FLOAT depends on the frame's index in the
packet (0 HR MSB, 1 HR LSB, 2 SpO2, 3 firmware revision, 8 SpO2-D, 19-20 HR-D, ...).

0x01 also occurs inside data, so a frame is only accepted when its STATUS has
bit 7 set and its checksum matches; otherwise the parser moves on by one byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Sequence

from devices.base import Encoder, Parser, Repeats, SerialSettings, WaveBuffer
from devices.registry import ProtocolSpec
from devices.sim.device import DeviceSimulator
from devices.sim.physiology import Vitals
from devices.values import VALUE_BLOCKING, Condition, DeviceInfo, DeviceItem, Param, Sample, sample

SETTINGS = SerialSettings(baudrate=9600)
FRAME_RATE = 75.0
FRAME_LEN = 5
FRAMES_PER_PACKET = 25
START = 0x01
HR_MISSING = 511
SPO2_MISSING = 127
MODEL = "Nonin OEM III"
PACKETS_PER_S = 3  # the numbers are reported once a second of packets and on every change (Repeats)

# FLOAT slots (frame index in the packet) that this module reads or writes
HR_MSB, HR_LSB, SPO2, FIRMWARE = 0, 1, 2, 3
SPO2_D, SPO2_FAST, SPO2_BEAT, E_SPO2, E_SPO2_D = 8, 9, 10, 15, 16
E_HR_MSB, E_HR_LSB, HR_D_MSB, HR_D_LSB, E_HR_D_MSB, E_HR_D_LSB = 13, 14, 19, 20, 21, 22


class Perfusion(IntEnum):
    """STATUS bits 2..1: pulse amplitude quality, set by the device only during a pulse beat."""

    NONE = 0  # between beats: no indication
    GREEN = 1  # high signal quality
    RED = 2  # low signal quality
    YELLOW = 3  # medium signal quality


@dataclass(frozen=True)
class Status:
    """The STATUS byte (bit 7 is always 1 on the wire and not stored)."""

    sensor_disconnect: bool = False
    artifact: bool = False  # a detected beat did not match the pulse interval
    out_of_track: bool = False  # no consecutive good pulse signals
    sensor_alarm: bool = False  # sensor gives data unusable for analysis
    perfusion: Perfusion = Perfusion.NONE
    sync: bool = False  # first frame of a packet


@dataclass(frozen=True)
class Frame:
    """The fields of one 5-byte frame, as on the wire."""

    status: Status = Status()
    pleth: int = 0  # 0..255
    float_byte: int = 0  # 0..255, meaning given by the frame index


def checksum(head: bytes | bytearray) -> int:
    """Return the checksum of a frame's first 4 bytes (their sum mod 256)."""
    return sum(head[:4]) & 0xFF


def encode_frame(f: Frame) -> bytes:
    """Return the 5 wire bytes of a frame, checksum included."""
    s = f.status
    b1 = (0x80 | (s.sensor_disconnect << 6) | (s.artifact << 5) | (s.out_of_track << 4) | (s.sensor_alarm << 3)
          | (int(s.perfusion) << 1) | int(s.sync))
    head = bytes((START, b1, f.pleth & 0xFF, f.float_byte & 0xFF))
    return head + bytes((checksum(head),))


def is_valid(raw: bytes | bytearray) -> bool:
    """Tell whether 5 bytes are a frame: start byte 0x01, STATUS bit 7 set, checksum matching."""
    return len(raw) == FRAME_LEN and raw[0] == START and bool(raw[1] & 0x80) and checksum(raw) == raw[4]


def decode(raw: bytes | bytearray) -> Frame:
    """Return the fields of 5 frame bytes (check is_valid() first)."""
    b1 = raw[1]
    return Frame(
        status=Status(
            sensor_disconnect=bool(b1 & 0x40),
            artifact=bool(b1 & 0x20),
            out_of_track=bool(b1 & 0x10),
            sensor_alarm=bool(b1 & 0x08),
            perfusion=Perfusion((b1 >> 1) & 0x03),
            sync=bool(b1 & 0x01),
        ),
        pleth=raw[2],
        float_byte=raw[3],
    )


def hr_bytes(hr: int) -> tuple[int, int]:
    """Return the (MSB, LSB) FLOAT bytes of a heart rate 0..511 /min."""
    return (hr >> 7) & 0x03, hr & 0x7F


def hr_value(msb: int, lsb: int) -> int:
    """Return the heart rate (/min, 511 = missing) from its MSB and LSB FLOAT bytes."""
    return ((msb & 0x03) << 7) | (lsb & 0x7F)


def packet_floats(pulse_rate: int = HR_MISSING, spo2: int = SPO2_MISSING, firmware: int = 0) -> list[int]:
    """Return the 25 FLOAT bytes of a packet carrying these values.

    The display (-D) and extended (E-) slots get the same values, as a device
    with a steady patient would send; timer, STAT2 and reserved slots are 0.
    """
    floats = [0] * FRAMES_PER_PACKET
    for msb, lsb in ((HR_MSB, HR_LSB), (E_HR_MSB, E_HR_LSB), (HR_D_MSB, HR_D_LSB), (E_HR_D_MSB, E_HR_D_LSB)):
        floats[msb], floats[lsb] = hr_bytes(pulse_rate)
    for slot in (SPO2, SPO2_D, SPO2_FAST, SPO2_BEAT, E_SPO2, E_SPO2_D):
        floats[slot] = spo2 & 0x7F
    floats[FIRMWARE] = firmware & 0xFF
    return floats


def encode_packet(pleth: Sequence[int], pulse_rate: int = HR_MISSING, spo2: int = SPO2_MISSING, firmware: int = 0,
                  status: Status | Sequence[Status] = Status()) -> bytes:
    """Return the 125 wire bytes of one packet: 25 pleth values, HR /min, SpO2 %, status (one or per frame).

    The SYNC bit is set on frame 0 and cleared on the others whatever `status` says.
    """
    if len(pleth) != FRAMES_PER_PACKET:
        raise ValueError(f"a packet has {FRAMES_PER_PACKET} pleth values, got {len(pleth)}")
    statuses = [status] * FRAMES_PER_PACKET if isinstance(status, Status) else list(status)
    if len(statuses) != FRAMES_PER_PACKET:
        raise ValueError(f"a packet has {FRAMES_PER_PACKET} statuses, got {len(statuses)}")
    floats = packet_floats(pulse_rate, spo2, firmware)
    return b"".join(
        encode_frame(Frame(replace(s, sync=i == 0), p, fl)) for i, (s, p, fl) in enumerate(zip(statuses, pleth, floats))
    )


@dataclass
class _Window:
    """What the frames of the packet in progress said (a parser's scratch pad, never shared)."""

    frames: int = 0
    floats: dict[int, int] = field(default_factory=dict)  # frame index -> FLOAT, only where the index is sure
    disconnect: bool = False
    out_of_track: bool = False
    sensor_alarm: bool = False
    beat: bool = False  # some frame carried a beat indication (perfusion colour or artifact)
    artifact: bool = False
    red: bool = False


class NoninParser(Parser):
    """Parser of Data Format 2: pleth at 75 Hz; pulse rate, SpO2 and conditions once per packet (3/s).

    Numbers: HR comes from frames 0-1 and SpO2 from frame 2 (4-beat averages
    "for recording"), not from the display values SpO2-D (frame 8) and HR-D
    (frames 19-20). Our sources do not describe how the module formats its
    display values (holding, update rules), and a record should hold values
    whose processing is known; frames 0-2 also follow SYNC directly, so one lost
    frame late in a packet does not cost them; and the app smooths and delays
    for display and alarms itself, so pre-smoothed values would be averaged twice.

    Frame index: a SYNC frame is index 0 and each following accepted frame adds
    one, but only while no byte is skipped: after a checksum error or garbage
    the index is unknown until the next SYNC, and FLOAT bytes of frames with an
    unknown index (including those before the first SYNC) are not interpreted.
    Their pleth is still used. HR needs both frames 0 and 1 of the same packet,
    so an MSB is never combined with another packet's LSB.

    Conditions are judged once per packet (when frame 24 arrives, or when a SYNC
    or the 25th frame closes a packet that lost frames), so they change at most
    3 times a second and the numbers are qualified by the same packet's status:
    - sensor disconnect, out of track, sensor alarm are states: active for a
      packet if any of its frames shows them (quick to raise, cleared by one
      clean packet, about 1/3 s).
    - artifact and perfusion colour are set by the device only during a pulse
      beat (about 12 frames), so "no bit" between beats means "no news", not
      "fine": the judgement of the last packet that held beat frames stands
      until a packet with beat frames says otherwise. Per-frame evaluation
      would toggle with every heartbeat. Red perfusion is LOW_PERFUSION; yellow
      (medium quality) is not. Both are forgotten when the sensor disconnects.
    Values are None while a value-blocking condition (probe off, searching,
    sensor fault) is active, or when the device sends 511/127; SpO2 above 100
    is impossible and is counted in errors["out of range"] and sent as None.
    Samples carry flags "artifact"/"low_perfusion": numbers from the packet's
    conditions, pleth from its own frame's bits (it is a per-frame sample).
    The pleth of a frame with sensor disconnect, out of track or sensor alarm
    is no value (NaN): the device has no pulse signal then.

    Every packet repeats the 4-beat averages, which change at most once a
    beat, so the numbers are reported once per PACKETS_PER_S packets and on
    every change of a value or its flags (devices.base.Repeats); conditions on
    every change. The checksum guards each frame, so a change counts at once.

    errors: "checksum" (start byte and STATUS bit 7 right, checksum wrong),
    "bad status" (start byte right, STATUS bit 7 clear), "garbage byte" (any
    other skipped byte). While searching for sync in a running stream a 0x01
    data byte can count as a checksum error. A false frame (random bytes that
    pass the 8-bit checksum) is possible after a resync, but it is followed by
    skipped bytes, so its FLOAT can only be read as a number if a second false
    frame follows it directly.
    """

    checksummed = True
    waveform_rate = FRAME_RATE

    def __init__(self, source: str = "pulseox") -> None:
        super().__init__(source)
        self._buf = bytearray()
        self._index: int | None = None  # frame index in the packet, None until a SYNC after any skip
        self._win = _Window()
        self._artifact = False  # latest beat judgement
        self._low_perfusion = False
        self._firmware: int | None = None
        self._pleth = WaveBuffer(source, Param.PLETH.value, FRAME_RATE)
        self._repeats: Repeats[tuple[Sample, ...]] = Repeats(PACKETS_PER_S)

    def parse(self, data: bytes, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        buf = self._buf
        buf += data
        i = 0
        while len(buf) - i >= FRAME_LEN:
            if buf[i] != START:
                self._skip("garbage byte")
            elif not buf[i + 1] & 0x80:
                self._skip("bad status")
            elif checksum(buf[i:i + 4]) != buf[i + 4]:
                self._skip("checksum")
            else:
                self._framed(FRAME_LEN)
                out.extend(self._frame(decode(buf[i:i + FRAME_LEN]), t))
                i += FRAME_LEN
                continue
            i += 1
        del buf[:i]
        out.extend(self._pleth.take(t))
        return out

    def _skip(self, reason: str) -> None:
        self.errors[reason] += 1
        self._index = None

    def _frame(self, f: Frame, t: float) -> list[DeviceItem]:
        out: list[DeviceItem] = []
        s = f.status
        if s.sync:
            if self._win.frames:
                out.extend(self._close(t))
            self._index = 0
        elif self._index is not None:
            self._index += 1
        w = self._win
        w.frames += 1
        w.disconnect |= s.sensor_disconnect
        w.out_of_track |= s.out_of_track
        w.sensor_alarm |= s.sensor_alarm
        if s.perfusion != Perfusion.NONE or s.artifact:
            w.beat = True
            w.artifact |= s.artifact
            w.red |= s.perfusion == Perfusion.RED
        if self._index is not None:
            w.floats[self._index] = f.float_byte
            if self._index == FIRMWARE and f.float_byte != self._firmware:
                self._firmware = f.float_byte
                out.append(DeviceInfo(t, self.source, model=MODEL, firmware=str(f.float_byte)))
        self._pleth.add(None if s.sensor_disconnect or s.out_of_track or s.sensor_alarm else float(f.pleth))
        if self._index == FRAMES_PER_PACKET - 1 or w.frames >= FRAMES_PER_PACKET:
            out.extend(self._close(t))
            self._index = None  # the next frame must carry SYNC
        return out

    def _close(self, t: float) -> list[DeviceItem]:
        """Judge the conditions of the packet in progress and emit its numbers."""
        w, self._win = self._win, _Window()
        if w.disconnect:
            self._artifact = self._low_perfusion = False
        elif w.beat:
            self._artifact, self._low_perfusion = w.artifact, w.red
        conds: dict[Condition, str] = {}
        if w.disconnect:
            conds[Condition.PROBE_OFF] = "sensor disconnected"
        if w.out_of_track:
            conds[Condition.SEARCHING] = "out of track"
        if w.sensor_alarm:
            conds[Condition.SENSOR_FAULT] = "sensor alarm"
        if self._artifact:
            conds[Condition.ARTIFACT] = "artifact"
        if self._low_perfusion:
            conds[Condition.LOW_PERFUSION] = "red perfusion"
        out: list[DeviceItem] = list(self.conditions.update(t, conds))
        blocked = not VALUE_BLOCKING.isdisjoint(conds)
        numbers: list[Sample] = []  # timed when reported: two packets with the same numbers are the same state
        flags = frozenset(name for cond, name in ((Condition.ARTIFACT, "artifact"),
                                                  (Condition.LOW_PERFUSION, "low_perfusion")) if cond in conds)
        fl = w.floats
        if HR_MSB in fl and HR_LSB in fl:
            hr = hr_value(fl[HR_MSB], fl[HR_LSB])
            value = None if blocked or hr == HR_MISSING else float(hr)
            numbers.append(sample(0.0, self.source, Param.PULSE_RATE, value, flags))
        if SPO2 in fl:
            spo2 = fl[SPO2] & 0x7F
            if 100 < spo2 < SPO2_MISSING:
                self.errors["out of range"] += 1
            value = None if blocked or spo2 > 100 else float(spo2)
            numbers.append(sample(0.0, self.source, Param.SPO2, value, flags))
        for state, at, _ in self._repeats.packet(tuple(numbers), t):
            out.extend(replace(number, t=at) for number in state)
        return out


class NoninSimulator(DeviceSimulator):
    """A Nonin OEM III in Data Format 2, streaming one frame every 1/75 s without being asked.

    HR and SpO2 are taken from the vitals at each packet's first frame, so the
    HR MSB and LSB of a packet always belong to the same value. Perfusion is
    shown green on every frame with the sensor on (a real module shows it only
    during beats; the parser handles both).
    """

    settings = SETTINGS
    frame_interval = 1.0 / FRAME_RATE

    def __init__(self, firmware: int = 60) -> None:
        """Create a simulator reporting `firmware` (0..255) as its revision byte."""
        self.firmware = firmware
        self._index = 0
        self._floats: list[int] = []

    def frame(self, v: Vitals) -> bytes:
        if self._index == 0:
            hr = HR_MISSING if v.probe_off or v.pulse_rate is None else min(510, max(0, round(v.pulse_rate)))
            spo2 = SPO2_MISSING if v.probe_off or v.spo2 is None else min(100, max(0, round(v.spo2)))
            self._floats = packet_floats(hr, spo2, self.firmware)
        status = Status(
            sensor_disconnect=v.probe_off,
            artifact=v.artifact and not v.probe_off,
            out_of_track=v.searching,
            perfusion=Perfusion.NONE if v.probe_off or v.spo2 is None else Perfusion.GREEN,
            sync=self._index == 0,
        )
        pleth = 0 if v.probe_off else min(255, max(0, round(v.pleth * 255)))
        raw = encode_frame(Frame(status, pleth, self._floats[self._index]))
        self._index = (self._index + 1) % FRAMES_PER_PACKET
        return raw


ENCODER = Encoder(
    ranges={"spo2": (0, 126, 1), "pulse_rate": (0, 510, 1)},  # SpO2 127 and HR 511 mean no value
    encode=lambda v: encode_packet([128] * FRAMES_PER_PACKET, int(v["pulse_rate"]), int(v["spo2"]),
                                   status=Status(perfusion=Perfusion.GREEN)),
)

SPEC = ProtocolSpec(
    name="nonin",
    title="Nonin OEM III module / Xpod (Data Format 2)",
    roles=frozenset({"pulseox"}),
    settings=SETTINGS,
    parser=NoninParser,
    simulator=NoninSimulator,
    encoder=ENCODER,
    byte_rate=375.0,  # 75 frames of 5 bytes
)
