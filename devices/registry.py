"""Protocol names (as used in --device ROLE=NAME:PORT) and what implements each.

Each protocol module defines SPEC; modules are imported on first use so a
broken or missing optional protocol never stops the others from loading.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from devices.base import Driver, Encoder, Parser, SerialSettings
from devices.sim.device import DeviceSimulator


@dataclass(frozen=True)
class ProtocolSpec:
    """Everything the app needs to talk to (or imitate) one kind of device."""

    name: str
    title: str  # models, for people choosing from a list
    roles: frozenset[str]  # "pulseox", "nibp"
    settings: SerialSettings
    parser: Callable[[str], Parser]  # source name -> parser
    simulator: Callable[[], DeviceSimulator]
    driver: Callable[[], Driver] = field(default=Driver)
    encoder: Encoder | None = None  # for the conformance suite's round trip (tests/test_conformance.py)
    #: nominal device-to-host bytes a second of a working device; `import` spreads
    #: a capture's bytes over time at this rate (0: the line's full speed)
    byte_rate: float = 0.0

    @property
    def nominal_byte_rate(self) -> float:
        """Return byte_rate, or the line's full speed when the protocol declares none (bytes/s)."""
        return self.byte_rate or self.settings.bytes_per_s


_MODULES: dict[str, str] = {
    "cms50dplus": "devices.cms50dplus",
    "contec": "devices.contec",
    "nonin": "devices.nonin",
    "masimo-ascii": "devices.masimo",
    "suntech": "devices.suntech",
    "ivy450c": "devices.ivy450c",
    "carescape": "devices.carescape",
    "intellivue": "devices.intellivue",
}


def protocol_names() -> list[str]:
    """Return the names of protocols whose module is installed and loads."""
    names = []
    for name in _MODULES:
        try:
            get(name)
        except ValueError:
            continue
        names.append(name)
    return names


def get(name: str) -> ProtocolSpec:
    """Return the spec of a protocol by name; ValueError with the choices if unknown."""
    module = _MODULES.get(name)
    if module is None:
        raise ValueError(f"unknown protocol '{name}'; known: {', '.join(_MODULES)}")
    try:
        spec = importlib.import_module(module).SPEC
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"protocol '{name}' is not available in this build ({exc})") from None
    return spec
