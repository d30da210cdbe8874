"""The --device ROLE=PROTOCOL:PORT[@BAUD] specification, parsed with clear errors."""

from __future__ import annotations

from dataclasses import dataclass

from devices import registry

ROLES = ("pulseox", "nibp")


@dataclass(frozen=True)
class DeviceSpec:
    """Which device fills which role, on which port, at which line speed."""

    role: str
    protocol: str
    port: str  # anything serial.serial_for_url accepts
    baudrate: int | None = None  # None: the protocol's default

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
        return cls(role=role, protocol=protocol, port=port, baudrate=baud)

    def __str__(self) -> str:
        baud = f"@{self.baudrate}" if self.baudrate else ""
        return f"{self.role}={self.protocol}:{self.port}{baud}"
