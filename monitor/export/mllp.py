"""Send HL7 messages to a clinic's interface engine over MLLP and wait for each acknowledgement.

MLLP frames a message as <VT> message <FS><CR>; the receiver answers each with
an ACK whose MSA-1 is AA (accepted), AE (application error) or AR (rejected).
A message is sent again when no answer comes (timeout, refused or dropped
connection) up to `retries` times, with the same control id so the receiver can
drop the duplicate; an AE or AR is final, and so is an ACK whose MSA-2 names
another message than the one sent (it confirms nothing about this one).
python-hl7's own MLLPClient has no timeout and reads the answer in one recv,
so framing and waiting are done here and python-hl7 parses the ACK.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.export.common import ExportError

START, END = b"\x0b", b"\x1c\x0d"


class _Closed(ConnectionError):
    """The receiver hung up before its acknowledgement was complete."""


class SendError(ExportError):
    """A message was not accepted (AE/AR, no answer, connection lost); the text says which and why."""


@dataclass(frozen=True)
class Destination:
    """Where messages go (an MLLP listener)."""

    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Destination:
        """Read mllp://HOST:PORT; ExportError in words if it is not one."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme != "mllp" or not parts.hostname or port is None or parts.path not in ("", "/"):
            raise ExportError(f"'{url}' is not an MLLP address; give mllp://HOST:PORT")
        return cls(parts.hostname, port)

    def __str__(self) -> str:
        return f"mllp://{self.host}:{self.port}"


@dataclass(frozen=True)
class Ack:
    """The receiver's answer to one message."""

    code: str  # AA, AE, AR (or CA/CE/CR in enhanced mode)
    control_id: str  # MSA-2: the control id of the message it answers
    text: str  # MSA-3 or ERR, if the receiver said why


def _control_id(message: str) -> str:
    import hl7

    return str(hl7.parse(message).segment("MSH")[10])


def read_ack(data: bytes) -> Ack:
    """Parse an MLLP-framed ACK with python-hl7; SendError if it is not one."""
    import hl7

    body = data.strip(START + END + b"\r\n").decode("utf-8", errors="replace")
    try:
        msa = hl7.parse(body).segment("MSA")
    except (KeyError, hl7.ParseException, IndexError):
        raise SendError("the receiver answered with something that is not an HL7 acknowledgement") from None
    text = str(msa[3]) if len(msa) > 3 else ""
    return Ack(str(msa[1]), str(msa[2]) if len(msa) > 2 else "", text)


def _exchange(dest: Destination, framed: bytes, timeout_s: float) -> bytes:
    """Send one framed message and return the framed answer; OSError/TimeoutError if none comes."""
    with socket.create_connection((dest.host, dest.port), timeout=timeout_s) as sock:
        sock.settimeout(timeout_s)
        sock.sendall(framed)
        answer = b""
        deadline = time.monotonic() + timeout_s
        while END not in answer:
            if time.monotonic() > deadline:
                raise TimeoutError
            chunk = sock.recv(65536)
            if not chunk:
                raise _Closed("the receiver closed the connection before it acknowledged")
            answer += chunk
        return answer


def _accepted(ack: Ack, dest: Destination, control: str) -> Ack:
    """Return an ACK that accepts the message with this control id; SendError (final) for any other answer.

    An ACK whose MSA-2 names another message says nothing about this one
    (a receiver answering a stale or another sender's message): counting it
    as delivery could lose this message without a word.
    """
    if ack.control_id != control:
        named = f"message '{ack.control_id}'" if ack.control_id else "no message"
        raise SendError(f"{dest} answered ({ack.code or 'no code'}) for {named}, not for message {control}: "
                        "its delivery is not confirmed")
    if ack.code in ("AA", "CA"):
        return ack
    why = f": {ack.text}" if ack.text else ""
    if ack.code in ("AR", "CR"):
        raise SendError(f"{dest} rejected ({ack.code}) message {control}{why}")
    if ack.code in ("AE", "CE"):
        raise SendError(f"{dest} refused with an application error ({ack.code}) message {control}{why}")
    raise SendError(f"{dest} answered message {control} with '{ack.code}', which is not an acknowledgement code "
                    f"(AA, AE, AR){why}")


def send(dest: Destination, message: str, timeout_s: float = 10.0, retries: int = 2) -> Ack:
    """Send one message and return its AA acknowledgement; SendError on AE/AR, an ACK of another message, or no
    answer after retries."""
    framed = START + message.encode("utf-8") + END
    control = _control_id(message)
    last = ""
    for attempt in range(retries + 1):
        try:
            ack = read_ack(_exchange(dest, framed, timeout_s))
        except TimeoutError:
            last = f"no acknowledgement within {timeout_s:g} s"
        except _Closed as exc:
            last = str(exc)
        except OSError as exc:
            last = f"cannot reach {dest}: {exc.strerror or exc}"
        else:
            return _accepted(ack, dest, control)
        if attempt < retries:
            time.sleep(min(2.0, 0.2 * 2 ** attempt))
    raise SendError(f"message {control} was not acknowledged by {dest} after {retries + 1} tries: {last}")
