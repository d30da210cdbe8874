"""What the host must send an IntelliVue monitor: associate, answer MDS create, poll, keep alive, release.

The exchange (MONITORS.md):
1. on opening the port: the association request (AARQ); it is sent again
   every 5 s until the monitor accepts (AARE) and announces its MDS (MDS
   create event);
2. on MDS create: the event report result carrying the invoke id and event
   time the monitor sent (never fixed values), then a wave priority list of the
   pleth only (more waves overrun the line), extended polls of numerics and
   waves running 60 s each, and a single poll of the MDS production group
   (serial number, software revision);
3. while associated: the extended polls are sent again every 50 s, before
   they end; after 4 s without sending anything a single poll of the MDS
   production group keeps the association alive (its reply shows the monitor
   is there even when no measurement runs); when no byte at all arrived for
   10 s, the association is taken as lost and requested anew;
4. a refused or aborted association, or a release the monitor asks for
   (answered), is requested again after 2 s;
5. `release` (and closing the port) sends the release request; `associate`
   starts again after a release.

At most 4 frames are written per 128 ms; more wait in a queue. IntelliVue does
not take NIBP commands here, so the app cannot start a measurement.
"""

from __future__ import annotations

import time
from collections import deque

from devices.base import Driver
from devices.intellivue import association, codes, pdu
from devices.intellivue.framing import encode_frame
from devices.intellivue.mder import s_to_ticks
from devices.intellivue.parser import ABORTED, REFUSED, RELEASE_REQUESTED, MdsCreated
from devices.intellivue.parser import RELEASED as RELEASE_CONFIRMED
from devices.values import DeviceItem, DeviceNotice

MAX_FRAMES = 4  # frames written per WINDOW_S at most
WINDOW_S = 0.128
ASSOCIATION_RETRY_S = 5.0  # AARQ again when no MDS create came within this time
RETRY_AFTER_LOSS_S = 2.0  # AARQ again this long after a refusal, an abort or a release the monitor asked for
EXT_POLL_S = 60.0  # how long one extended poll runs
EXT_POLL_RENEW_S = 50.0  # sent again this long after the last, before it ends
KEEP_ALIVE_S = 4.0  # keep-alive poll after this long without sending
REASSOCIATE_AFTER_S = 10.0  # nothing received this long: the association is lost
RELEASE_TIMEOUT_S = 5.0  # a release the monitor does not confirm is taken as done

IDLE = "idle"  # not associated (a new request may be due at retry time)
ASSOCIATING = "associating"  # AARQ sent, waiting for AARE and MDS create
POLLING = "polling"  # associated: polls running
RELEASING = "releasing"  # release requested, waiting for the monitor's answer
RELEASED = "released"  # released on purpose: no new association until asked


class IntellivueDriver(Driver):
    """The host's side of a Data Export association; `state` is one of the states above."""

    def __init__(self) -> None:
        self.state = IDLE
        self._since = 0.0  # monotonic s when the state was entered
        self._retry_at: float | None = None
        self._last_rx = 0.0
        self._last_tx = 0.0
        self._polls_at = 0.0
        self._queue: deque[bytes] = deque()  # frames waiting for the rate limit
        self._sent: deque[float] = deque()  # when the frames of the current window were written
        self._invoke_id = 0
        self._poll_number = 0

    def on_open(self, now: float) -> bytes:
        self.__init__()  # type: ignore[misc]  # a new connection starts from scratch
        self._associate(now)
        return self._flush(now)

    def on_items(self, items: list[DeviceItem], now: float) -> bytes:
        self._last_rx = now  # called for every read: any bytes from the monitor show the line is alive
        for item in items:
            if isinstance(item, MdsCreated):
                self._created(item, now)
            elif isinstance(item, DeviceNotice) and item.code in (REFUSED, ABORTED, RELEASE_REQUESTED, RELEASE_CONFIRMED):
                if item.code == RELEASE_REQUESTED:
                    self._queue.append(encode_frame(association.RELEASE_RESPONSE))
                self._lost(now, released=item.code == RELEASE_CONFIRMED and self.state in (RELEASING, RELEASED))
        return self._flush(now)

    def poll(self, now: float) -> bytes:
        if self.state == POLLING:
            if now - self._last_rx >= REASSOCIATE_AFTER_S:
                self.report(DeviceNotice(time.time(), self.source, "reassociating",
                                         f"nothing received for {now - self._last_rx:.0f} s"))
                self._associate(now)
            elif now - self._polls_at >= EXT_POLL_RENEW_S:
                self._poll_data(now)
            elif now - self._last_tx >= KEEP_ALIVE_S and not self._queue:
                self._queue.append(self._single_poll(codes.MOC_VMS_MDS, codes.ATTR_GRP_SYS_PROD))
        elif self.state == ASSOCIATING and now - self._since >= ASSOCIATION_RETRY_S:
            self._associate(now)
        elif self.state == IDLE and self._retry_at is not None and now >= self._retry_at:
            self._associate(now)
        elif self.state == RELEASING and now - self._since >= RELEASE_TIMEOUT_S:
            self._enter(RELEASED, now)
        return self._flush(now)

    def command(self, name: str, now: float) -> bytes:
        if name == "release":
            if self.state in (ASSOCIATING, POLLING):
                self._release(now)
        elif name == "associate":
            if self.state in (RELEASING, RELEASED, IDLE):
                self._associate(now)
        else:
            return super().command(name, now)
        return self._flush(now)

    def supports(self, name: str) -> bool:
        return name in ("release", "associate")

    def probe_query(self) -> bytes:
        """Ask for an association: the monitor answers and names itself in its MDS create; nothing is measured."""
        return encode_frame(association.association_request())

    def probe_restore(self) -> bytes:
        """Release the association the probe asked for, so the monitor is left as it was."""
        return encode_frame(association.RELEASE_REQUEST)

    def on_close(self, now: float) -> bytes:
        if self.state in (ASSOCIATING, POLLING):
            self._release(now)
            self._sent.clear()  # the port closes next: nothing else is coming in this window
        return self._flush(now)

    # --- steps -------------------------------------------------------------------------------------------------
    def _enter(self, state: str, now: float) -> None:
        self.state, self._since = state, now

    def _associate(self, now: float) -> None:
        self._queue.clear()  # whatever was pending belonged to the old association
        self._queue.append(encode_frame(association.association_request()))
        self._retry_at = None
        self._last_rx = now
        self._enter(ASSOCIATING, now)

    def _lost(self, now: float, released: bool) -> None:
        if released:
            self._enter(RELEASED, now)
            return
        self._enter(IDLE, now)
        self._retry_at = now + RETRY_AFTER_LOSS_S

    def _release(self, now: float) -> None:
        self._queue.clear()
        self._queue.append(encode_frame(association.RELEASE_REQUEST))
        self._enter(RELEASING, now)

    def _created(self, m: MdsCreated, now: float) -> None:
        """Answer MDS create with what it carried, then start polling."""
        if m.confirmed:
            self._queue.append(encode_frame(pdu.event_report_result(m.invoke_id, m.obj, m.event_time,
                                                                    codes.NOTI_MDS_CREAT)))
        if self.state in (RELEASING, RELEASED):
            return
        self._queue.append(encode_frame(pdu.set_priority_list(self._next_invoke(), codes.ATTR_POLL_RTSA_PRIO_LIST,
                                                              [codes.LABEL_PLETH])))
        self._enter(POLLING, now)
        self._poll_data(now)
        self._queue.append(self._single_poll(codes.MOC_VMS_MDS, codes.ATTR_GRP_SYS_PROD))

    def _poll_data(self, now: float) -> None:
        """Queue the extended polls of numerics and waves."""
        self._polls_at = now
        for obj_class in (codes.MOC_VMO_METRIC_NU, codes.MOC_VMO_METRIC_SA_RT):
            self._queue.append(encode_frame(pdu.poll_request(self._next_invoke(), self._next_poll(), obj_class,
                                                             period_ticks=s_to_ticks(EXT_POLL_S))))

    def _single_poll(self, obj_class: int, attr_group: int) -> bytes:
        return encode_frame(pdu.poll_request(self._next_invoke(), self._next_poll(), obj_class, attr_group))

    def _next_invoke(self) -> int:
        self._invoke_id = (self._invoke_id + 1) & 0xFFFF
        return self._invoke_id

    def _next_poll(self) -> int:
        self._poll_number = (self._poll_number + 1) & 0xFFFF
        return self._poll_number

    def _flush(self, now: float) -> bytes:
        """Return the queued frames the rate limit allows now (4 per 128 ms)."""
        while self._sent and now - self._sent[0] >= WINDOW_S:
            self._sent.popleft()
        out = bytearray()
        while self._queue and len(self._sent) < MAX_FRAMES:
            out += self._queue.popleft()
            self._sent.append(now)
        if out:
            self._last_tx = now
        return bytes(out)
