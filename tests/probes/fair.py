# Independent client (Debian python3-grpcio): a 512x512 4-step Generate, then 1 s later a 64x64 2-step one;
# prints when each finishes. Issue 16 item 14 (fair scheduling). Against `unimog serve --role all --urls http://127.0.0.1:5710`.
# Run: /usr/bin/python3 tests/probes/fair.py 127.0.0.1:5710
import grpc, os, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wire import generate_request
def request(side, steps): return generate_request("a cat on a sofa", steps, side)
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
