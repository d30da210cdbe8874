"""What the host sends a GE monitor: the two transmission requests, again after silence.

A monitor streams once asked and keeps streaming; but after it restarts, or
when a request was lost on the line, it is silent until asked again. So when
nothing arrived for REQUEST_AGAIN_S both requests are sent again, and when
values arrive but no pleth, the pleth request alone; at most every
REQUEST_AGAIN_S. This driver never asks for an NIBP measurement.
"""

from __future__ import annotations

from devices.base import Driver
from devices.carescape.requests import SEND_ONCE, WAVE_PLETH, phdb_request, wave_request
from devices.values import DeviceItem, WaveSegment

INTERVAL_S = 1  # displayed values every second
REQUEST_AGAIN_S = 5.0  # inside the reader's 5 s no-data alarm, beyond a record's 1 s period

DISPLAYED_VALUES = phdb_request(INTERVAL_S)
PLETH_WAVE = wave_request([WAVE_PLETH])
STOP_DISPLAYED_VALUES = phdb_request(0)
VALUES_ONCE = phdb_request(SEND_ONCE)
REQUESTS = [DISPLAYED_VALUES, PLETH_WAVE]


class CarescapeDriver(Driver):
    """Requests displayed values (1 s) and the pleth; again after silence.

    The link calls on_items() after every read, with whatever the parser made
    of it (maybe nothing): any bytes mean the monitor is transmitting, a pleth
    segment that the wave stream is.
    """

    def __init__(self) -> None:
        self._sent: dict[bytes, float] = {}  # request -> monotonic s it was last sent
        self._heard_any = self._heard_pleth = -1e18  # monotonic s

    def on_open(self, now: float) -> bytes:
        self._heard_any = self._heard_pleth = -1e18
        return self._send(REQUESTS, now)

    def on_items(self, items: list[DeviceItem], now: float) -> bytes:
        self._heard_any = now
        if any(isinstance(item, WaveSegment) for item in items):
            self._heard_pleth = now
        return b""

    def poll(self, now: float) -> bytes:
        def silent(request: bytes, heard: float) -> bool:
            return now - max(heard, self._sent.get(request, now)) >= REQUEST_AGAIN_S

        if all(silent(request, self._heard_any) for request in REQUESTS):
            return self._send(REQUESTS, now)
        if silent(PLETH_WAVE, self._heard_pleth):
            return self._send([PLETH_WAVE], now)
        return b""

    def _send(self, requests: list[bytes], now: float) -> bytes:
        for request in requests:
            self._sent[request] = now
        return b"".join(requests)

    def probe_query(self) -> bytes:
        """Ask for one record of displayed values: it identifies the monitor and starts nothing."""
        return VALUES_ONCE

    def probe_restore(self) -> bytes:
        """Stop displayed values, in case a monitor took the one-shot request for a periodic one."""
        return STOP_DISPLAYED_VALUES
