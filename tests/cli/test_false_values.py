"""Nothing false end to end: random bytes on a CMS50D+ port store no value and raise no alarm, and a
reconnect in the middle of a Nonin packet never combines the old connection's bytes with the new one's."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import tty

import pytest

from devices.nonin import NoninParser, encode_packet
from devices.reader import Link
from devices.base import Driver
from devices.values import Sample
from monitor.storage.sessions import SqliteSessions
from scripted import ScriptedPort


@pytest.mark.slow
def test_random_bytes_on_a_cms50dplus_port_store_no_value_and_raise_no_alarm(tmp_path):
    db = tmp_path / "s.db"
    master, slave = os.openpty()
    tty.setraw(slave)
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "record", "--db", str(db), "--device",
                             f"pulseox=cms50dplus:{os.ttyname(slave)}", "--duration", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rng = random.Random(11)
    sent = 0
    try:
        deadline = time.monotonic() + 4.5
        while time.monotonic() < deadline:  # about 1,900 random bytes a second, as a wrong device at 19200 baud
            chunk = bytes(rng.getrandbits(8) for _ in range(190))
            os.write(master, chunk)
            sent += len(chunk)
            time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, err
    alarms = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [a for a in alarms if a["alarm_kind"] == "physiological"] == [], alarms
    sessions = SqliteSessions(db)
    meta = sessions.resolve("1")
    assert [r for r in sessions.numerics(meta) if r.value is not None] == []
    kept = sum(len(data) for _, data in sessions.raw(meta, "pulseox"))
    assert kept > sent / 2  # the bytes are kept for support (the pty may drop some while nobody reads)


class _Quiet(Driver):
    pass


def test_a_nonin_reconnect_mid_packet_gives_no_false_value():
    """The case of the issue: the old connection ends after the HR frames of a packet, the new one starts at
    the SpO2 frame of another packet; without a reset they made one packet, HR of one and SpO2 of the other."""
    old = encode_packet([128] * 25, pulse_rate=88, spo2=93)
    new = encode_packet([128] * 25, pulse_rate=300, spo2=60) + encode_packet([128] * 25, pulse_rate=71, spo2=96)
    items: list = []
    link = Link(NoninParser(), _Quiet(), items.append)
    first = ScriptedPort([])
    link.opened(first, 0.0)
    link.received(first, old[:10], 0.1)  # frames 0 and 1: HR MSB and LSB
    second = ScriptedPort([])
    link.opened(second, 1.0)  # the reader reconnected
    link.received(second, new[10:], 1.1)  # from frame 2 (SpO2) of a packet whose start was never seen
    got = {(i.param, i.value) for i in items if isinstance(i, Sample) and i.value is not None}
    assert got == {("pulse_rate", 71.0), ("spo2", 96.0)}
