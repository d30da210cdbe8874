"""Device side: bytes <-> values. Pure protocol parsers and encoders, transports,
reader threads and simulators. Imports the value types of monitor.sample, never Qt."""
