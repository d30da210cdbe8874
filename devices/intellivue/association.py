"""Session-layer messages: association request and response, refuse, release, abort.

These are fixed ISO session/presentation/ACSE envelopes around one variable
part, the MDSE user information that negotiates polling. The envelopes are the
bytes every open implementation sends (VSCaptureMP `aarq_msg_wave_ext_poll2`,
byte-identical in OpenICE; release and abort as in MONITORS.md and VSCaptureMP;
the response envelope as mindleaving's simulated monitor builds it). Only the
user information is built from fields, so the request states in code what it
asks for: a minimum poll period of 500 ms, an MTU of 1456 bytes and the
extended poll options 0x8E000000 (numerics every second, real-time waves,
enumerations, numerics priority list).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.intellivue import codes
from devices.intellivue.mder import DecodeError, Reader, decode_attributes, encode_attributes, u16, u32

#: Session data of connect and accept SPDUs.
_SESSION_DATA = bytes.fromhex("05 08 13 01 00 16 01 02 80 00 14 02 00 02")
#: Presentation/ACSE envelope of the request, up to the tag of the user information.
_AARQ_ENVELOPE = bytes.fromhex(
    "31 80 A0 80 80 01 01 00 00 A2 80 A0 03 00 00 01 A4 80 30 80 02 01 01 06 04 52 01 00 01 30 80 06 02 51 01"
    " 00 00 00 00 30 80 02 01 02 06 0C 2A 86 48 CE 14 02 01 00 00 00 01 01 30 80 06 0C 2A 86 48 CE 14 02 01"
    " 00 00 00 02 01 00 00 00 00 00 00 61 80 30 80 02 01 01 A0 80 60 80 A1 80 06 0C 2A 86 48 CE 14 02 01 00"
    " 00 00 03 01 00 00 BE 80 28 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 01 01 02 01 02 81")
#: The same for the response.
_AARE_ENVELOPE = bytes.fromhex(
    "31 80 A0 80 80 01 01 00 00 A2 80 A0 03 00 00 01 A5 80 30 80 80 01 00 81 02 51 01 00 00 30 80 80 01 00"
    " 81 0C 2A 86 48 CE 14 02 01 00 00 00 02 01 00 00 00 00 61 80 30 80 02 01 01 A0 80 61 80 A1 80 06 0C 2A"
    " 86 48 CE 14 02 01 00 00 00 03 01 00 00 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 80 28 80 02 01 02 81")
#: Where the user information starts in both envelopes: right after this tag sequence and a BER length.
_USER_INFO_TAG = bytes.fromhex("02 01 02 81")
_END_OF_CONTENTS = bytes(16)

RELEASE_REQUEST = bytes.fromhex("09 18 C1 16 61 80 30 80 02 01 01 A0 80 62 80 80 01 00 00 00 00 00 00 00 00 00")
RELEASE_RESPONSE = bytes.fromhex("0A 18 C1 16 61 80 30 80 02 01 01 A0 80 63 80 80 01 00 00 00 00 00 00 00 00 00")
ABORT = bytes.fromhex(
    "19 2E 11 01 03 C1 29 A0 80 A0 80 30 80 02 01 01 06 02 51 01 00 00 00 00 61 80 30 80 02 01 01 A0 80 64"
    " 80 80 01 01 00 00 00 00 00 00 00 00 00 00")
REFUSE = bytes.fromhex("0C 03 32 01 00")

#: What the host asks for (MONITORS.md): 500 ms minimum poll period, MTU 1456, extended poll options.
MIN_POLL_PERIOD_TICKS = 4000
MAX_MTU = 1456
EXT_POLL_OPTIONS = (codes.POLL_EXT_PERIOD_NU_1SEC | codes.POLL_EXT_PERIOD_RTSA | codes.POLL_EXT_ENUM
                    | codes.POLL_EXT_NU_PRIO_LIST)
#: Largest number of objects of each type the host can take (object support list of the request).
_OBJECT_SUPPORT = ((codes.MOC_VMS_MDS, 1), (codes.MOC_VMO_METRIC_NU, 201), (codes.MOC_VMO_METRIC_SA_RT, 60),
                   (0x0005, 16), (codes.MOC_PT_DEMOG, 1), (codes.MOC_VMO_AL_MON, 1))


@dataclass(frozen=True)
class PollProfile:
    """What one side of an association offers for polling (RelativeTime ticks, bytes, option bits)."""

    min_poll_period: int = MIN_POLL_PERIOD_TICKS
    max_mtu_rx: int = MAX_MTU
    max_mtu_tx: int = MAX_MTU
    options: int = codes.P_OPT_DYN_CREATE_OBJECTS | codes.P_OPT_DYN_DELETE_OBJECTS
    ext_options: int = EXT_POLL_OPTIONS


def length_indicator(n: int) -> bytes:
    """Return a session length indicator: one byte up to 254, else FF and two bytes."""
    return bytes((n,)) if n <= 254 else b"\xff" + u16(n)


def _ber_length(n: int) -> bytes:
    return b"\x82" + u16(n)


def _user_info(profile: PollProfile, system_type: int, client: bool) -> bytes:
    ext = u32(profile.ext_options) + encode_attributes([])
    support = (u32(codes.POLL_PROFILE_REV_0) + u32(profile.min_poll_period) + u32(profile.max_mtu_rx)
               + u32(profile.max_mtu_tx) + u32(0xFFFFFFFF) + u32(profile.options)
               + encode_attributes([(codes.NOM_ATTR_POLL_PROFILE_EXT, ext)]))
    profiles = [(codes.NOM_POLL_PROFILE_SUPPORT, support)]
    if client:
        objects = b"".join(u16(codes.PART_OBJ) + u16(code) + u32(count) for code, count in _OBJECT_SUPPORT)
        profiles.append((codes.NOM_MDIB_OBJ_SUPPORT, u16(len(_OBJECT_SUPPORT)) + u16(len(objects)) + objects))
    return (u32(codes.MDDL_VERSION1) + u32(codes.NOMEN_VERSION) + u32(0) + u32(system_type) + u32(codes.COLD_START)
            + encode_attributes([]) + encode_attributes(profiles))


def _session(spdu: int, envelope: bytes, user_info: bytes) -> bytes:
    presentation = envelope + _ber_length(len(user_info)) + user_info + _END_OF_CONTENTS
    body = _SESSION_DATA + b"\xc1" + length_indicator(len(presentation)) + presentation
    return bytes((spdu,)) + length_indicator(len(body)) + body


def association_request(profile: PollProfile = PollProfile()) -> bytes:
    """Return the user data of an AARQ asking for `profile`."""
    return _session(codes.CN_SPDU, _AARQ_ENVELOPE, _user_info(profile, codes.SYST_CLIENT, client=True))


def association_response(profile: PollProfile) -> bytes:
    """Return the user data of an AARE granting `profile` (what the simulated monitor answers)."""
    return _session(codes.AC_SPDU, _AARE_ENVELOPE, _user_info(profile, codes.SYST_SERVER, client=False))


def poll_profile(user_data: bytes) -> PollProfile:
    """Return the poll profile in the user information of an AARQ or AARE; DecodeError if there is none."""
    start = user_data.find(_USER_INFO_TAG)
    if start < 0:
        raise DecodeError("no user information")
    r = Reader(user_data, start + len(_USER_INFO_TAG))
    first = r.u8()
    length = first if first < 0x80 else int.from_bytes(r.take(first & 0x7F), "big")
    info = r.sub(length)
    for _ in range(5):  # protocol version, nomenclature version, functional units, system type, startup mode
        info.u32()
    decode_attributes(info)  # option list
    profiles = decode_attributes(info)
    raw = profiles.get(codes.NOM_POLL_PROFILE_SUPPORT)
    if raw is None:
        raise DecodeError("no poll profile support in the user information")
    p = Reader(raw)
    p.u32()  # revision
    min_poll, mtu_rx, mtu_tx = p.u32(), p.u32(), p.u32()
    p.u32()  # max bandwidth
    options = p.u32()
    ext = decode_attributes(p).get(codes.NOM_ATTR_POLL_PROFILE_EXT)
    return PollProfile(min_poll, mtu_rx, mtu_tx, options, Reader(ext).u32() if ext else 0)
