#!/usr/bin/python3
"""Python messages of facematch.proto for grpcio scripts: scripts/proto-messages.py OUT_DIR writes OUT_DIR/facematch_pb2.py.

Runs Debian's protoc over src/FaceMatch.Server/Protos/facematch.proto less its google.api.http annotations: they only
route the HTTP/JSON API and change no message, and the googleapis protos they import are not on Debian's include path.
"""
import os, re, subprocess, sys

out = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
proto = open(os.path.join(root, "src/FaceMatch.Server/Protos/facematch.proto")).read()
proto = proto.replace('import "google/api/annotations.proto";', "")
# rpc X(A) returns (B) {  // comment \n option (google.api.http) = { ... }; \n }  ->  rpc X(A) returns (B);  // comment
proto = re.sub(r"\s*\{[ ]*(//[^\n]*)?\s*option \(google\.api\.http\) = \{.*?\};\s*\}", r"; \1", proto)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "facematch.proto"), "w") as f:
    f.write(proto)
subprocess.run(["protoc", "-I", out, "--python_out=" + out, "facematch.proto"], check=True)
