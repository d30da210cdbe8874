"""IntelliVue driver against a scripted monitor: association, MDS create answer, polls, keep-alive, re-association."""

from datetime import timezone

import pytest

from devices.intellivue import association, codes, pdu
from devices.intellivue.driver import ASSOCIATING, POLLING, RELEASED, IntellivueDriver
from devices.intellivue.framing import BOF, encode_frame
from devices.intellivue.mder import ProdSpecEntry, encode_prod_spec
from devices.intellivue.parser import IntellivueParser
from devices.reader import Link
from devices.values import DeviceNotice
from scripted import ScriptedPort

AARQ = encode_frame(association.association_request())
AARE = encode_frame(association.association_response(association.PollProfile(max_mtu_rx=996, max_mtu_tx=996)))
REFUSE = encode_frame(association.REFUSE)
RELEASE_REQUEST = encode_frame(association.RELEASE_REQUEST)
RELEASE_RESPONSE = encode_frame(association.RELEASE_RESPONSE)
EXT_TICKS = 60 * 8000


def created(invoke_id, event_time):
    return encode_frame(pdu.mds_create_event(invoke_id, event_time, []))


def answer(invoke_id, event_time):
    return encode_frame(pdu.event_report_result(invoke_id, pdu.MDS, event_time, codes.NOTI_MDS_CREAT))


def priority(invoke_id):
    return encode_frame(pdu.set_priority_list(invoke_id, codes.ATTR_POLL_RTSA_PRIO_LIST, [codes.LABEL_PLETH]))


def ext_poll(invoke_id, number, obj_class):
    return encode_frame(pdu.poll_request(invoke_id, number, obj_class, period_ticks=EXT_TICKS))


def single_poll(invoke_id, number):
    return encode_frame(pdu.poll_request(invoke_id, number, codes.MOC_VMS_MDS, codes.ATTR_GRP_SYS_PROD))


def single_reply(invoke_id, number):
    request = pdu.PollRequest(invoke_id, False, number, (codes.PART_OBJ, codes.MOC_VMS_MDS), codes.ATTR_GRP_SYS_PROD)
    spec = encode_prod_spec([ProdSpecEntry(codes.PROD_SPEC_SERIAL_NUMBER, codes.COMP_PRODUCT, "DE1")])
    return encode_frame(pdu.poll_reply(request, 0, b"\xff" * 8, [(0, [(codes.ATTR_ID_PROD_SPECN, spec)])]))


def numerics_update():
    request = pdu.PollRequest(2, True, 1, (codes.PART_OBJ, codes.MOC_VMO_METRIC_NU), 0)
    return encode_frame(pdu.poll_reply(request, 0, b"\xff" * 8, [], 1, (codes.RORLS_MIDDLE, 1)))


def associated(invoke_id=0x1234, event_time=0xABCDEF):
    """The script of a fresh association: request; answer and polls (4 frames per 128 ms with the request)."""
    return [(AARQ, AARE + created(invoke_id, event_time)),
            (answer(invoke_id, event_time) + priority(1) + ext_poll(2, 1, codes.MOC_VMO_METRIC_NU), b""),
            (ext_poll(3, 2, codes.MOC_VMO_METRIC_SA_RT) + single_poll(4, 3), single_reply(4, 3))]


class Rig:
    """A Link on a scripted monitor with a fake clock; records when how many frames were written."""

    def __init__(self, pairs):
        self.port = ScriptedPort(pairs)
        self.driver = IntellivueDriver()
        self.items = []
        self.link = Link(IntellivueParser(tz=timezone.utc), self.driver, self.items.append,
                         wallclock=lambda: 0.0)
        self.now = 0.0
        self.writes: list[tuple[float, int]] = []
        write = self.port.write

        def recording_write(data):
            self.writes.append((self.now, data.count(BOF)))
            return write(data)

        self.port.write = recording_write
        self.link.opened(self.port, 0.0)

    def step(self, now):
        self.now = now
        data = self.port.read(self.port.in_waiting)
        if data:
            self.link.received(self.port, data, now)
        self.link.idle(self.port, now)

    def run(self, start, end, dt=0.25, feed_every=None):
        n = 0
        while start + n * dt <= end + 1e-9:
            now = start + n * dt
            if feed_every and n % round(feed_every / dt) == 0:
                self.port.feed(numerics_update())
            self.step(now)
            n += 1


@pytest.mark.parametrize("invoke_id, event_time", [(0x1234, 0xABCDEF), (7, 0xFFFFFFF0)])
def test_mds_create_is_answered_with_the_received_invoke_id_and_event_time_then_polled(invoke_id, event_time):
    rig = Rig(associated(invoke_id, event_time))
    rig.run(0.0, 0.5)
    rig.port.assert_done()
    assert rig.driver.state == POLLING
    assert rig.writes == [(0.0, 1), (0.0, 3), (0.25, 2)]  # frames 5 and 6 wait for the next 128 ms


def test_keep_alive_every_4_s_of_host_silence_and_polls_renewed_before_they_end():
    keep_alives = [(single_poll(5 + k, 4 + k), single_reply(5 + k, 4 + k)) for k in range(12)]  # 4.25 ... 48.25 s
    renewal = [(ext_poll(17, 16, codes.MOC_VMO_METRIC_NU) + ext_poll(18, 17, codes.MOC_VMO_METRIC_SA_RT), b"")]
    rig = Rig(associated() + keep_alives + renewal + [(single_poll(19, 18), b"")])
    rig.run(0.0, 54.0, feed_every=1.0)
    rig.port.assert_done()
    assert [t for t, _ in rig.writes[3:]] == [4.25 + 4 * k for k in range(12)] + [50.0, 54.0]
    assert rig.driver.state == POLLING


def test_nothing_received_for_10_s_means_a_new_association():
    pairs = associated() + [(single_poll(5, 4), b""), (single_poll(6, 5), b""), (AARQ, AARE + created(9, 99)),
                            (answer(9, 99) + priority(7) + ext_poll(8, 6, codes.MOC_VMO_METRIC_NU)
                             + ext_poll(9, 7, codes.MOC_VMO_METRIC_SA_RT), b"")]
    rig = Rig(pairs)
    rig.run(0.0, 10.25)  # last reply at 0.5 s; keep-alives at 4.25 and 8.25 s go unanswered
    assert rig.driver.state == POLLING
    rig.run(10.5, 10.5)
    assert rig.driver.state == ASSOCIATING
    assert [i.code for i in rig.items if isinstance(i, DeviceNotice)][-1] == "reassociating"
    rig.run(10.75, 10.75)
    rig.port.assert_done()
    assert rig.driver.state == POLLING


def test_refused_association_is_asked_again_after_2_s_and_an_unanswered_one_after_5_s():
    rig = Rig([(AARQ, REFUSE), (AARQ, b""), (AARQ, b"")])
    rig.run(0.0, 1.75)
    assert len(rig.writes) == 1
    rig.run(2.0, 6.75)
    assert [t for t, _ in rig.writes] == [0.0, 2.0]
    rig.run(7.0, 7.0)
    rig.port.assert_done()


def test_a_release_the_monitor_asks_for_is_answered_then_associated_again():
    rig = Rig(associated() + [(RELEASE_RESPONSE, b""), (AARQ, b"")])
    rig.run(0.0, 0.5)
    rig.port.feed(RELEASE_REQUEST)
    rig.run(0.75, 2.75)
    rig.port.assert_done()
    assert [t for t, _ in rig.writes[3:]] == [0.75, 2.75]


def test_release_command_releases_for_good_until_associate():
    rig = Rig(associated() + [(RELEASE_REQUEST, RELEASE_RESPONSE), (AARQ, b"")])
    rig.run(0.0, 0.5)
    rig.link.command(rig.port, "release", 0.6)
    rig.run(0.75, 1.0)
    assert rig.driver.state == RELEASED  # at the monitor's answer, not after the 5 s a silent monitor is given
    rig.run(1.25, 30.0)
    assert rig.driver.state == RELEASED and len(rig.writes) == 4  # no keep-alive, no new association
    rig.link.command(rig.port, "associate", 30.1)
    rig.port.assert_done()


def test_closing_the_port_releases_the_association():
    rig = Rig(associated() + [(RELEASE_REQUEST, b"")])
    rig.run(0.0, 0.5)
    rig.link.closing(rig.port, 0.55)
    rig.port.assert_done()


def test_at_most_4_frames_per_128_ms():
    rig = Rig(associated() + [(single_poll(5, 4), b"")])
    rig.run(0.0, 5.0, dt=0.016)
    rig.port.assert_done()
    for t, _ in rig.writes:
        assert sum(n for w, n in rig.writes if t <= w < t + 0.128) <= 4


def test_the_app_cannot_start_an_intellivue_nibp():
    driver = IntellivueDriver()
    assert not driver.supports("nibp_start") and not driver.supports("nibp_abort")
    assert driver.supports("release")
    with pytest.raises(ValueError):
        driver.command("nibp_start", 0.0)
