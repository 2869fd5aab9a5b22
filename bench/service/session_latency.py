#!/usr/bin/python3
"""Latency of Authenticate sessions through a running `facematch serve`, as a phone SDK sees it.

    bench/service/session_latency.py --target 127.0.0.1:50051 --admin-token TOKEN --photo PATH [--frames 5] [--sessions 50]

Creates a tenant (ADVISORY liveness), enrolls PHOTO, then runs SESSIONS Authenticate sessions one after another,
each FRAMES copies of PHOTO sent in strict ping-pong (a frame's feedback before the next frame), and prints one
JSON object with p50/p90/p99/max in ms, from the first message written to the result read. Messages come from
Debian's protoc over src/FaceMatch.Server/Protos/facematch.proto (scripts/proto-messages.py); calls are grpcio's
generic ones.
Loopback only; bounded by --sessions.
"""
import argparse, json, os, subprocess, sys, tempfile, threading, time
import grpc

p = argparse.ArgumentParser()
p.add_argument("--target", required=True)
p.add_argument("--admin-token", required=True)
p.add_argument("--photo", required=True)
p.add_argument("--frames", type=int, default=5)
p.add_argument("--sessions", type=int, default=50)
o = p.parse_args()
if not o.target.startswith(("127.", "localhost", "[::1]")):
    sys.exit("loopback targets only")

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = tempfile.mkdtemp()
subprocess.run([sys.executable, os.path.join(root, "scripts/proto-messages.py"), out], check=True)
sys.path.insert(0, out)
import facematch_pb2 as fm  # noqa: E402

channel = grpc.insecure_channel(o.target, options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
def unary(service, method, req, resp, token):
    return channel.unary_unary(f"/facematch.v1.{service}/{method}", request_serializer=req.SerializeToString,
                               response_deserializer=resp.FromString)
def call(service, method, request, resp_type, token):
    return unary(service, method, type(request), resp_type, token)(request, metadata=(("authorization", "Bearer " + token),), timeout=60)

admin = o.admin_token
tenant = call("Admin", "CreateTenant", fm.CreateTenantRequest(name="latency bench"), fm.Tenant, admin)
call("Admin", "SetPolicy", fm.SetPolicyRequest(tenant_id=tenant.tenant_id, policy=fm.Policy(liveness=fm.LIVENESS_MODE_ADVISORY)), fm.Tenant, admin)
token = call("Admin", "IssueToken", fm.IssueTokenRequest(tenant_id=tenant.tenant_id, mode=fm.TOKEN_MODE_PRODUCTION), fm.IssuedToken, admin).token
photo = open(o.photo, "rb").read()

def session(method, start):
    stream = channel.stream_stream(f"/facematch.v1.FaceMatch/{method}", request_serializer=fm.SessionRequest.SerializeToString,
                                   response_deserializer=fm.SessionEvent.FromString)
    answered = threading.Semaphore(0)
    def requests():
        yield fm.SessionRequest(start=start)
        for i in range(o.frames):
            yield fm.SessionRequest(frame=fm.Frame(image=photo, capture_time_ms=1000 + 100 * i))
            answered.acquire()
    for event in stream(requests(), metadata=(("authorization", "Bearer " + token),), timeout=60):
        if event.HasField("result"):
            return event.result
        answered.release()

template = session("Enroll", fm.SessionStart()).template_id
session("Authenticate", fm.SessionStart(template_id=template))  # warm-up
times = []
for _ in range(o.sessions):
    t = time.perf_counter()
    result = session("Authenticate", fm.SessionStart(template_id=template))
    times.append((time.perf_counter() - t) * 1000)
    assert result.match, result
times.sort()
pct = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(json.dumps({"sessions": len(times), "frames": o.frames, "p50_ms": round(pct(0.50), 1), "p90_ms": round(pct(0.90), 1),
                  "p99_ms": round(pct(0.99), 1), "max_ms": round(times[-1], 1)}))
call("Admin", "DeleteTenant", fm.DeleteTenantRequest(tenant_id=tenant.tenant_id), fm.DeleteTenantResponse, admin)
