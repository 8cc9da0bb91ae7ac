# Independent client (Debian python3-grpcio): a 512x512 4-step Generate, then 1 s later a 64x64 2-step one;
# prints when each finishes. Issue 16 item 14 (fair scheduling). Against `unimog serve --role all --urls http://127.0.0.1:5710`.
# Run: /usr/bin/python3 tests/probes/fair.py 127.0.0.1:5710
import grpc, sys, threading, time
def varint(n):
    out = b''
    while True:
        b = n & 0x7f; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])
def field(num, wt, payload):
    return varint(num << 3 | wt) + (varint(len(payload)) + payload if wt == 2 else payload)
def request(side, steps):
    prompt = field(2, 2, "a cat on a sofa".encode())
    return field(1, 2, prompt) + field(3, 0, varint(side)) + field(4, 0, varint(side)) + field(5, 0, varint(steps))
gen = grpc.insecure_channel(sys.argv[1]).unary_stream('/unimog.v1.Gateway/Generate')
t0 = time.time(); done = {}
def run(name, side, steps):
    start = time.time()
    for _ in gen(request(side, steps), timeout=600): pass
    done[name] = (round(start - t0, 2), round(time.time() - t0, 2))
large = threading.Thread(target=run, args=("512x512 4 steps", 512, 4)); large.start()
time.sleep(1.0)
run("64x64 2 steps", 64, 2)
large.join()
for k, (s, e) in done.items(): print(f"{k}: started {s} s, finished {e} s, took {round(e - s, 2)} s")
