"""The --device ROLE=PROTOCOL:PORT[@BAUD] specification, parsed with clear errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from devices import registry
from devices.sim.port import sim_scenario

ROLES = ("pulseox", "nibp")

#: A Windows COM port as typed: com3, COM3, or the device path \\.\COM12.
_COM = re.compile(r"(?:\\\\\.\\)?com(\d+)", re.IGNORECASE)


def port_name(port: str) -> str:
    r"""Return a port's name as its users know it: 'COM3' for com3 or \\.\COM3; any other name unchanged.

    pyserial opens COM3 as such on Windows; '/dev/cu.usbserial-1420' (macOS),
    '/dev/ttyUSB0' (Linux) and URLs such as socket://127.0.0.1:5555 pass as written.
    """
    com = _COM.fullmatch(port)
    return f"COM{int(com.group(1))}" if com else port


@dataclass(frozen=True)
class DeviceSpec:
    """Which device fills which role, on which port, at which line speed."""

    role: str
    protocol: str
    port: str  # anything serial.serial_for_url accepts, or sim[:SCENARIO] for a simulated device
    baudrate: int | None = None  # None: the protocol's default
    source: str = ""  # the name its values are stored and shown under; "" until named (see name_sources)

    @property
    def simulated(self) -> bool:
        """Tell whether the port is a simulated device (sim or sim:SCENARIO), which any number of devices may use."""
        return sim_scenario(self.port) is not None

    @property
    def name(self) -> str:
        """Return the source name, or the role while the spec is not yet named."""
        return self.source or self.role

    @classmethod
    def parse(cls, text: str) -> "DeviceSpec":
        """Parse 'pulseox=cms50dplus:/dev/ttyUSB0@19200'; ValueError says what is wrong and how to write it."""
        hint = "write ROLE=PROTOCOL:PORT[@BAUD], e.g. pulseox=cms50dplus:/dev/ttyUSB0"
        role, sep, rest = text.partition("=")
        if not sep or not role:
            raise ValueError(f"device '{text}': missing ROLE=; {hint}")
        role = role.strip()
        if role not in ROLES:
            raise ValueError(f"device '{text}': role '{role}' is not one of {', '.join(ROLES)}")
        protocol, sep, port = rest.partition(":")
        if not sep or not protocol or not port:
            raise ValueError(f"device '{text}': missing PROTOCOL:PORT; {hint}")
        spec = registry.get(protocol)  # ValueError lists the known protocols
        if role not in spec.roles:
            raise ValueError(f"device '{text}': protocol '{protocol}' cannot act as {role}")
        baud = None
        head, at, tail = port.rpartition("@")
        if at and tail.isdigit() and head:
            port, baud = head, int(tail)
            if not 300 <= baud <= 4_000_000:
                raise ValueError(f"device '{text}': baud rate {baud} is not plausible")
        sim_scenario(port)  # a simulator port with an unknown scenario: ValueError names the scenarios
        return cls(role=role, protocol=protocol, port=port_name(port), baudrate=baud)

    def __str__(self) -> str:
        baud = f"@{self.baudrate}" if self.baudrate else ""
        return f"{self.role}={self.protocol}:{self.port}{baud}"


def name_sources(specs: list[DeviceSpec], taken: set[str] | frozenset[str] = frozenset()) -> list[DeviceSpec]:
    """Give each device its source name: the role for the first of a role, then role-2, role-3...

    Names in `taken` (devices already connected) are skipped, so a device added
    during a session never takes another's name.
    """
    used = set(taken)
    out = []
    for spec in specs:
        name, n = spec.role, 1
        while name in used:
            n += 1
            name = f"{spec.role}-{n}"
        used.add(name)
        out.append(replace(spec, source=name))
    return out
