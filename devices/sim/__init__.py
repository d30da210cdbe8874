"""Simulated devices: physiological scenarios rendered as each protocol's real wire bytes."""
