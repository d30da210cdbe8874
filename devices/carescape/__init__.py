"""GE Datex-Ohmeda S/5 and CARESCAPE B450/B650/B850 monitors, DRI computer interface [carescape].

The host asks for displayed values every second and for the pleth wave; the
monitor answers with framed records (MONITORS.md section 2). Modules: framing
(line settings, flags, escaping, checksum), header (record header), requests
(host requests), phdb and waves (subrecords), parser, driver, simulator.
"""

from devices.carescape.driver import CarescapeDriver
from devices.carescape.framing import SETTINGS
from devices.carescape.parser import CarescapeParser
from devices.carescape.simulator import ENCODER, simulator
from devices.registry import ProtocolSpec

SPEC = ProtocolSpec(
    name="carescape",
    title="GE Datex-Ohmeda S/5, CARESCAPE B450/B650/B850 (DRI computer interface)",
    roles=frozenset({"pulseox", "nibp"}),
    settings=SETTINGS,
    parser=CarescapeParser,
    simulator=simulator,
    driver=CarescapeDriver,
    encoder=ENCODER,
    byte_rate=1400.0,
)
