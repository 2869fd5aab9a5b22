#!/usr/bin/python3
"""grpcio (Debian python3-grpcio, C-core) as a client of the server under test. One scenario per run; prints
one JSON line with what it observed; the C# test asserts.

    /usr/bin/python3 client.py --target 127.0.0.1:PORT --scenario NAME --stubs DIR [--arg VALUE]

DIR holds the Python message modules that Debian's protoc generated from tests/interop/protos (the test runs
protoc; grpcio's own code generator is not packaged): calls go through grpcio's generic multi-callables with
those messages' serializers.
"""
import argparse
import base64
import hashlib
import json
import sys
import threading

import grpc

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--scenario", required=True)
parser.add_argument("--stubs", required=True)
parser.add_argument("--arg", default="")
opts = parser.parse_args()


def load(relative):
    # By file path: the generated health and reflection modules sit under grpc/..., which would shadow grpcio.
    import importlib.util
    spec = importlib.util.spec_from_file_location(relative.replace("/", "_"), f"{opts.stubs}/{relative}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


interop_pb2 = load("interop_pb2.py")
health_pb2 = load("grpc/health/v1/health_pb2.py")
reflection_pb2 = load("grpc/reflection/v1/reflection_pb2.py")

SERVICE = "/facematch.interop.v1.Interop/"
compression = grpc.Compression.Gzip if opts.scenario == "compress" else grpc.Compression.NoCompression
channel = grpc.insecure_channel(opts.target, options=[
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
], compression=compression)


def method(kind, name, request=interop_pb2.EchoRequest, response=interop_pb2.EchoResponse, path=None):
    factory = getattr(channel, kind)
    return factory(path or SERVICE + name, request_serializer=request.SerializeToString,
                   response_deserializer=response.FromString)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def pattern(size):
    return bytes(i % 251 for i in range(size))


def summarize(r):
    return {"text": r.text, "index": r.index, "message_count": r.message_count, "total_bytes": r.total_bytes,
            "request_encoding": r.request_encoding, "payload_len": len(r.payload), "payload_sha256": sha(r.payload)}


def metadata_json(md):
    out = {}
    for key, value in md or ():
        out.setdefault(key, []).append("b64:" + base64.b64encode(value).decode() if isinstance(value, bytes) else value)
    return out


def error(e):
    return {"code": e.code().value[0], "details": e.details()}


def unary():
    call = method("unary_unary", "Unary")
    md = (("x-user", "dave"), ("x-data-bin", bytes([0, 1, 2, 250, 255])))
    response, info = call.with_call(interop_pb2.EchoRequest(text="hello from grpcio", payload=pattern(1000)),
                                    metadata=md, timeout=20)
    return {"code": 0, "response": summarize(response), "headers": metadata_json(info.initial_metadata()),
            "trailers": metadata_json(info.trailing_metadata())}


def client_stream():
    call = method("stream_unary", "ClientStream")
    requests = (interop_pb2.EchoRequest(text=str(i), payload=pattern(1000)) for i in range(10))
    return {"code": 0, "response": summarize(call(requests, timeout=20))}


def server_stream():
    call = method("unary_stream", "ServerStream")
    messages = [summarize(m) for m in call(interop_pb2.EchoRequest(text="s", response_count=30, response_size=300), timeout=20)]
    return {"code": 0, "messages": messages}


def duplex():
    # Strict ping-pong: the next ping is queued only after the previous answer arrived.
    call = method("stream_stream", "Duplex")
    answered = threading.Semaphore(0)
    echoes = []

    def pings():
        for i in range(20):
            yield interop_pb2.EchoRequest(text=f"ping {i}")
            answered.acquire()

    for r in call(pings(), timeout=20):
        echoes.append(f"{r.text}#{r.index}")
        answered.release()
    return {"code": 0, "echoes": echoes}


def deadline():
    call = method("unary_stream", "ServerStream")
    stream = call(interop_pb2.EchoRequest(text=opts.arg, hang=True, response_count=1), timeout=2)
    first = False
    try:
        for _ in stream:
            first = True
    except grpc.RpcError as e:
        return {**error(e), "first_message": first}
    return {"code": 0, "first_message": first}


def cancel():
    call = method("unary_stream", "ServerStream")
    stream = call(interop_pb2.EchoRequest(text=opts.arg, hang=True, response_count=1), timeout=20)
    next(stream)
    stream.cancel()
    try:
        for _ in stream:
            pass
    except grpc.RpcError as e:
        return error(e)
    return {"code": 0}


def large():
    # One request of exactly --arg bytes: payload field tag, length varint, payload.
    total = int(opts.arg)
    varint = lambda n: 1 if n < 128 else 2 if n < 16384 else 3 if n < 2097152 else 4  # noqa: E731
    payload_len = total - 1 - varint(total - 5)
    try:
        r = method("unary_unary", "Unary")(interop_pb2.EchoRequest(payload=b"\x07" * payload_len), timeout=60)
        return {"code": 0, "sent_payload_len": payload_len, "response": summarize(r)}
    except grpc.RpcError as e:
        return {**error(e), "sent_payload_len": payload_len}


def compress():
    r = method("unary_unary", "Unary")(interop_pb2.EchoRequest(text="compressible", payload=b"a" * 200000, response_size=200000), timeout=20)
    return {"code": 0, "response": summarize(r)}


def fail():
    code, message = opts.arg.split(":", 1)
    try:
        method("unary_unary", "Unary")(interop_pb2.EchoRequest(fail_code=int(code), fail_message=message), timeout=20)
        return {"code": 0}
    except grpc.RpcError as e:
        return {**error(e), "trailers": metadata_json(e.trailing_metadata())}


def health():
    call = method("unary_unary", None, health_pb2.HealthCheckRequest, health_pb2.HealthCheckResponse, "/grpc.health.v1.Health/Check")
    r = call(health_pb2.HealthCheckRequest(service=opts.arg), timeout=20)
    return {"code": 0, "status": health_pb2.HealthCheckResponse.ServingStatus.Name(r.status)}


def reflection():
    call = method("stream_stream", None, reflection_pb2.ServerReflectionRequest, reflection_pb2.ServerReflectionResponse,
                  "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
    answers = list(call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=20))
    return {"code": 0, "services": sorted(s.name for s in answers[0].list_services_response.service)}


scenarios = {f.__name__: f for f in (unary, client_stream, server_stream, duplex, deadline, cancel, large, compress,
                                     fail, health, reflection)}
try:
    print(json.dumps(scenarios[opts.scenario]()), flush=True)
except grpc.RpcError as e:
    print(json.dumps(error(e)), flush=True)
finally:
    channel.close()
