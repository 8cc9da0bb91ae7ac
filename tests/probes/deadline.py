# Independent client (Debian python3-grpcio, no generated stubs): Generate with deadlines of 0.3-4 s against
# `unimog serve --role all --urls http://127.0.0.1:5710`, then the gateway's unimog_rpc_errors_total. Issue 16 item 11.
# Run: /usr/bin/python3 tests/probes/deadline.py 127.0.0.1:5710 127.0.0.1:6710
import grpc, os, sys, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wire import generate_request
req = generate_request("a cat on a sofa", 200)
addr=sys.argv[1]; metrics=sys.argv[2]
ch=grpc.insecure_channel(addr)
gen=ch.unary_stream('/unimog.v1.Gateway/Generate')
for d in [0.3,1.0,2.0,4.0]:
    t=time.time()
    try:
        for _ in gen(req, timeout=d): pass
        print(d,"OK")
    except grpc.RpcError as e:
        print(d, e.code(), round(time.time()-t,2))
time.sleep(2)
text=urllib.request.urlopen(f"http://{metrics}/metrics").read().decode()
for l in text.splitlines():
    if l.startswith("unimog_rpc_errors_total"): print(l)
