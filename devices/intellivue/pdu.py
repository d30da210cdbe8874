"""Data export PDUs: remote operations (invoke, result, linked result, error) and what they carry.

A data export PDU is `E1 00 00 02`, then ROapdus (ro_type, length), then for
invoke and result: invoke id, command type, length, argument. A linked result
puts (state, count) before the invoke id. All integers are big-endian.

decode() turns the user data of one frame, in either direction, into one typed
value: the parser uses what a monitor sends, the simulator what a host sends.
The builders below are the only place either side composes a PDU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices.intellivue import codes
from devices.intellivue.mder import (
    Attributes,
    DecodeError,
    Reader,
    counted,
    decode_attributes,
    encode_attributes,
    encode_text_id_list,
    list_items,
    u16,
    u32,
)


@dataclass(frozen=True)
class ObjectId:
    """A managed object: class and global handle (MDS context, handle)."""

    obj_class: int
    context: int = 0
    handle: int = 0

    def encode(self) -> bytes:
        return u16(self.obj_class) + u16(self.context) + u16(self.handle)

    @classmethod
    def decode(cls, r: Reader) -> ObjectId:
        return cls(r.u16(), r.u16(), r.u16())


MDS = ObjectId(codes.MOC_VMS_MDS)


@dataclass(frozen=True)
class Association:
    """A session-layer message (AARQ, AARE, refuse, release request/response, abort); user data kept whole."""

    spdu: int
    user_data: bytes


@dataclass(frozen=True)
class EventReport:
    """An event report invoke; `info` is the event's own argument (for MDS create: object and attributes)."""

    invoke_id: int
    confirmed: bool
    obj: ObjectId
    event_time: int  # RelativeTime ticks
    event_type: int
    info: bytes

    def created(self) -> tuple[ObjectId, Attributes]:
        """Return the created object and its attributes of an MDS create event (DecodeError otherwise)."""
        r = Reader(self.info)
        obj = ObjectId.decode(r)
        attributes = decode_attributes(r)
        r.done()
        return obj, attributes


@dataclass(frozen=True)
class Observation:
    """The attributes one poll reply carries for one object (a numeric, a wave, the MDS)."""

    context: int
    handle: int
    attributes: Attributes


@dataclass(frozen=True)
class PollReply:
    """A (single or extended) poll result; linked is the RORLS state, 0 for an ordinary result."""

    invoke_id: int
    extended: bool
    poll_number: int
    rel_time: int  # RelativeTime ticks
    abs_time: bytes  # AbsoluteTime, 8 BCD bytes (all FF: not given)
    obj_type: tuple[int, int]  # (partition, code)
    attr_group: int
    observations: tuple[Observation, ...]
    sequence: int = 0
    linked: int = 0


@dataclass(frozen=True)
class PollRequest:
    """A host's (single or extended) poll; attributes hold the extended poll's options (its period)."""

    invoke_id: int
    extended: bool
    poll_number: int
    obj_type: tuple[int, int]
    attr_group: int
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True)
class SetRequest:
    """A host's set of MDS attributes: (modify operator, attribute id, value) entries."""

    invoke_id: int
    confirmed: bool
    modifications: tuple[tuple[int, int, bytes], ...]


@dataclass(frozen=True)
class EventReportResult:
    """The answer to a confirmed event report (the host's answer to MDS create)."""

    invoke_id: int
    obj: ObjectId
    current_time: int
    event_type: int


@dataclass(frozen=True)
class OtherOperation:
    """An invoke or result this application has no use for (get, set result...), kept for the log."""

    ro_type: int
    invoke_id: int
    command: int


@dataclass(frozen=True)
class RemoteError:
    """A remote operation error: the invoke it answers and the error value."""

    invoke_id: int
    error_value: int


Pdu = (Association | EventReport | PollReply | PollRequest | SetRequest | EventReportResult | OtherOperation
       | RemoteError)
SESSION_SPDUS = frozenset({codes.CN_SPDU, codes.AC_SPDU, codes.RF_SPDU, codes.FN_SPDU, codes.DN_SPDU,
                           codes.AB_SPDU})
POLL_ACTIONS = {codes.ACT_POLL_MDIB_DATA: False, codes.ACT_POLL_MDIB_DATA_EXT: True}  # action -> extended


def decode(user_data: bytes) -> Pdu:
    """Return the PDU in the user data of one frame; DecodeError if it is not one."""
    if not user_data:
        raise DecodeError("empty user data")
    if user_data[0] in SESSION_SPDUS:
        return Association(user_data[0], user_data)
    if not user_data.startswith(codes.DATA_EXPORT):
        raise DecodeError(f"unknown session PDU {user_data[0]:#04x}")
    r = Reader(user_data, len(codes.DATA_EXPORT))
    ro_type = r.u16()
    body = r.sub(r.u16())
    r.done()
    if ro_type == codes.ROER:
        return RemoteError(body.u16(), body.u16())
    linked = 0
    if ro_type == codes.RORLS:
        linked = body.u8()
        body.u8()  # linked count
    elif ro_type not in (codes.ROIV, codes.RORS):
        raise DecodeError(f"unknown remote operation type {ro_type}")
    invoke_id, command = body.u16(), body.u16()
    arg = body.sub(body.u16())
    body.done()
    out = _invoke(invoke_id, command, arg) if ro_type == codes.ROIV else _result(invoke_id, command, arg, linked)
    if out is None:
        return OtherOperation(ro_type, invoke_id, command)
    arg.done()
    return out


def _invoke(invoke_id: int, command: int, arg: Reader) -> Pdu | None:
    if command in (codes.CMD_EVENT_REPORT, codes.CMD_CONFIRMED_EVENT_REPORT):
        obj = ObjectId.decode(arg)
        event_time, event_type = arg.u32(), arg.u16()
        return EventReport(invoke_id, command == codes.CMD_CONFIRMED_EVENT_REPORT, obj, event_time, event_type,
                           arg.take(arg.u16()))
    if command == codes.CMD_CONFIRMED_ACTION:
        ObjectId.decode(arg)
        arg.u32()  # scope
        action = arg.u16()
        data = arg.sub(arg.u16())
        if action not in POLL_ACTIONS:
            return None
        extended = POLL_ACTIONS[action]
        number, obj_type, group = data.u16(), (data.u16(), data.u16()), data.u16()
        attributes = decode_attributes(data) if extended else {}
        data.done()
        return PollRequest(invoke_id, extended, number, obj_type, group, attributes)
    if command in (codes.CMD_SET, codes.CMD_CONFIRMED_SET):
        ObjectId.decode(arg)
        arg.u32()  # scope
        count, mods = list_items(arg)
        entries = []
        for _ in range(count):
            op, attr_id = mods.u16(), mods.u16()
            entries.append((op, attr_id, mods.take(mods.u16())))
        mods.done()
        return SetRequest(invoke_id, command == codes.CMD_CONFIRMED_SET, tuple(entries))
    return None


def _result(invoke_id: int, command: int, res: Reader, linked: int) -> Pdu | None:
    if command == codes.CMD_CONFIRMED_EVENT_REPORT:
        obj = ObjectId.decode(res)
        current_time, event_type = res.u32(), res.u16()
        res.take(res.u16())
        return EventReportResult(invoke_id, obj, current_time, event_type)
    if command != codes.CMD_CONFIRMED_ACTION:
        return None
    ObjectId.decode(res)
    action = res.u16()
    data = res.sub(res.u16())
    if action not in POLL_ACTIONS:
        return None
    extended = POLL_ACTIONS[action]
    number = data.u16()
    sequence = data.u16() if extended else 0
    rel_time, abs_time = data.u32(), data.take(8)
    obj_type, group = (data.u16(), data.u16()), data.u16()
    observations = []
    contexts, polls = list_items(data)
    for _ in range(contexts):
        context = polls.u16()
        objects, obs = list_items(polls)
        for _ in range(objects):
            handle = obs.u16()
            observations.append(Observation(context, handle, decode_attributes(obs)))
        obs.done()
    polls.done()
    data.done()
    return PollReply(invoke_id, extended, number, rel_time, abs_time, obj_type, group, tuple(observations),
                     sequence, linked)


# --- builders --------------------------------------------------------------------------------------------------------
def _operation(invoke_id: int, command: int, arg: bytes) -> bytes:
    return u16(invoke_id) + u16(command) + u16(len(arg)) + arg


def _data_export(ro_type: int, body: bytes) -> bytes:
    return codes.DATA_EXPORT + u16(ro_type) + u16(len(body)) + body


def invoke(invoke_id: int, command: int, arg: bytes) -> bytes:
    """Return a data export invoke (ROIV)."""
    return _data_export(codes.ROIV, _operation(invoke_id, command, arg))


def result(invoke_id: int, command: int, res: bytes, linked: tuple[int, int] | None = None) -> bytes:
    """Return a result (RORS), or a linked result (RORLS) when linked = (state, count) is given."""
    if linked is None:
        return _data_export(codes.RORS, _operation(invoke_id, command, res))
    return _data_export(codes.RORLS, bytes(linked) + _operation(invoke_id, command, res))


def poll_request(invoke_id: int, poll_number: int, obj_class: int, attr_group: int = codes.ATTR_GRP_ALL,
                 period_ticks: int | None = None) -> bytes:
    """Return a single poll (no period) or an extended poll running for period_ticks of objects of obj_class."""
    request = u16(poll_number) + u16(codes.PART_OBJ) + u16(obj_class) + u16(attr_group)
    action = codes.ACT_POLL_MDIB_DATA
    if period_ticks is not None:
        request += encode_attributes([(codes.ATTR_TIME_PD_POLL, u32(period_ticks))])
        action = codes.ACT_POLL_MDIB_DATA_EXT
    arg = MDS.encode() + u32(0) + u16(action) + u16(len(request)) + request
    return invoke(invoke_id, codes.CMD_CONFIRMED_ACTION, arg)


def set_priority_list(invoke_id: int, attr_id: int, labels: list[int]) -> bytes:
    """Return a confirmed set replacing a priority list (e.g. which waves an extended poll sends)."""
    text_ids = encode_text_id_list(labels)
    modification = u16(0) + u16(attr_id) + u16(len(text_ids)) + text_ids  # operator 0: replace
    arg = MDS.encode() + u32(0) + counted([modification])
    return invoke(invoke_id, codes.CMD_CONFIRMED_SET, arg)


def event_report_result(invoke_id: int, obj: ObjectId, current_time: int, event_type: int) -> bytes:
    """Return the answer to a confirmed event report, carrying the received invoke id and event time."""
    return result(invoke_id, codes.CMD_CONFIRMED_EVENT_REPORT, obj.encode() + u32(current_time) + u16(event_type)
                  + u16(0))


def mds_create_event(invoke_id: int, event_time: int, attributes: list[tuple[int, bytes]]) -> bytes:
    """Return a monitor's MDS create event (confirmed event report) with the MDS attributes."""
    info = MDS.encode() + encode_attributes(attributes)
    arg = MDS.encode() + u32(event_time) + u16(codes.NOTI_MDS_CREAT) + u16(len(info)) + info
    return invoke(invoke_id, codes.CMD_CONFIRMED_EVENT_REPORT, arg)


def poll_reply(request: PollRequest, rel_time: int, abs_time: bytes,
               observations: list[tuple[int, list[tuple[int, bytes]]]], sequence: int = 0,
               linked: tuple[int, int] | None = None, context: int = 0) -> bytes:
    """Return a monitor's answer to a poll request: (handle, attributes) per object, in one context."""
    polls = counted([u16(handle) + encode_attributes(attrs) for handle, attrs in observations])
    info = counted([u16(context) + polls]) if observations else counted([])
    data = (u16(request.poll_number) + (u16(sequence) if request.extended else b"") + u32(rel_time) + abs_time
            + u16(request.obj_type[0]) + u16(request.obj_type[1]) + u16(request.attr_group) + info)
    action = codes.ACT_POLL_MDIB_DATA_EXT if request.extended else codes.ACT_POLL_MDIB_DATA
    return result(request.invoke_id, codes.CMD_CONFIRMED_ACTION, MDS.encode() + u16(action) + u16(len(data)) + data,
                  linked)
