"""What every registered protocol owes the import and the prober: frame counts, byte rate, a safe probe."""

import random

import pytest

from devices import registry
from devices.sim.capture import device_bytes

PROTOCOLS = registry.protocol_names()


def role_of(spec):
    return "pulseox" if "pulseox" in spec.roles else "nibp"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_simulated_output_decodes_and_most_bytes_make_frames(protocol):
    spec = registry.get(protocol)
    data = device_bytes(protocol, 60)
    parser = spec.parser(role_of(spec))
    parser.feed(data, 0.0)
    assert parser.frames > 0 and parser.decodes()
    assert parser.framed >= 0.9 * parser.bytes_in == 0.9 * len(data)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_random_bytes_do_not_decode(protocol):
    spec = registry.get(protocol)
    parser = spec.parser(role_of(spec))
    parser.feed(random.Random(7).randbytes(20_000), 0.0)
    assert not parser.decodes()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_declared_byte_rate_matches_the_simulated_device(protocol):
    spec = registry.get(protocol)
    seconds = 120
    measured = len(device_bytes(protocol, seconds, nibp_every_s=10 * seconds)) / seconds  # an idle NIBP module
    assert spec.byte_rate == pytest.approx(measured, rel=0.25)
    assert spec.nominal_byte_rate <= spec.settings.bytes_per_s


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_probe_query_never_starts_a_measurement(protocol):
    driver = registry.get(protocol).driver()
    query = driver.probe_query() + driver.probe_restore()
    if driver.supports("nibp_start"):
        assert driver.command("nibp_start", 0.0) not in query


def test_a_protocol_without_a_byte_rate_is_spread_at_the_line_speed():
    spec = registry.get("nonin")
    from dataclasses import replace

    assert replace(spec, byte_rate=0.0).nominal_byte_rate == pytest.approx(9600 / 10)
    assert registry.get("carescape").settings.bytes_per_s == pytest.approx(19200 / 11)
