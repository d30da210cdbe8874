"""Device side: bytes <-> values. Pure protocol parsers and encoders, transports,
reader threads and simulators. Owns the value types (devices.values) every layer speaks; imports nothing from monitor/ or ui/"""
