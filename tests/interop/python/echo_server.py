#!/usr/bin/python3
"""grpcio (Debian python3-grpcio) as an independent server that compresses every response with gzip.

Serves facematch.interop.v1.Interop/Unary and /ServerStream on raw bytes, without generated code: an
EchoRequest carrying only text (1) and payload (2) is byte-for-byte a valid EchoResponse with the same
text and payload, so echoing the request bytes answers it. Request metadata named x-* is echoed in the
response headers and, as x-trailer-*, in the trailers. Prints {"port": N} and serves until stdin closes.
"""
import json
import sys
from concurrent import futures

import grpc


def _echo_metadata(context):
    headers, trailers = [], []
    for key, value in context.invocation_metadata():
        if key.startswith("x-"):
            headers.append((key, value))
            trailers.append(("x-trailer-" + key[2:], value))
    context.send_initial_metadata(headers)
    context.set_trailing_metadata(trailers)


def unary(request, context):
    _echo_metadata(context)
    return request


def server_stream(request, context):
    _echo_metadata(context)
    for _ in range(3):
        yield request


def main():
    handler = grpc.method_handlers_generic_handler("facematch.interop.v1.Interop", {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
    })
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        handlers=[handler],
        compression=grpc.Compression.Gzip,
        options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)],
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
