"""Philips IntelliVue MP/MX/X2 monitors: Data Export over the MIB RS232 port, 115200 8N1.

The host associates, answers the monitor's MDS create event, polls numerics
and the pleth wave with extended polls and keeps the association alive
(MONITORS.md section 1). Modules: framing (frames, FCS, byte stuffing), mder
(value types, FLOAT, times), codes (protocol numbers), association (session
messages), pdu (data export messages), parser, driver, simulator.
"""

from devices.intellivue.driver import IntellivueDriver
from devices.intellivue.framing import SETTINGS
from devices.intellivue.parser import IntellivueParser
from devices.intellivue.simulator import ENCODER, IntellivueSimulator
from devices.registry import ProtocolSpec

SPEC = ProtocolSpec(
    name="intellivue",
    title="Philips IntelliVue MP/MX/X2 monitor (Data Export, MIB RS232 port)",
    roles=frozenset({"pulseox", "nibp"}),
    settings=SETTINGS,
    parser=IntellivueParser,
    simulator=IntellivueSimulator,
    driver=IntellivueDriver,
    encoder=ENCODER,
    byte_rate=1100.0,  # numerics each second and the pleth every 256 ms, about 10 % of the 115200 line
)
