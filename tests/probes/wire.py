# Protobuf wire encoding by hand (no generated stubs), for the probes beside this file.
def varint(n):
    out = b''
    while True:
        b = n & 0x7f; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])

def field(num, wire_type, payload):
    """A field: wire type 0 takes a varint payload, 2 a length-delimited one."""
    return varint(num << 3 | wire_type) + (varint(len(payload)) + payload if wire_type == 2 else payload)

def generate_request(text, steps, side=None):
    """unimog.v1.GenerateRequest: prompt.text (1.2), width (3), height (4), steps (5)."""
    size = field(3, 0, varint(side)) + field(4, 0, varint(side)) if side else b''
    return field(1, 2, field(2, 2, text.encode())) + size + field(5, 0, varint(steps))
