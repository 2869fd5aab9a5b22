// Shared helpers of the grpc-js interop scripts: proto paths, metadata <-> JSON, response summaries.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const interopProto = path.join(repoRoot, 'tests', 'interop', 'protos', 'interop.proto');
export const grpcProtoRoot = path.join(repoRoot, 'tests', 'interop', 'protos');

export const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function loadInterop() {
  const def = protoLoader.loadSync(interopProto, loaderOptions);
  return grpc.loadPackageDefinition(def).facematch.interop.v1;
}

export function loadGrpcProto(relative) {
  const def = protoLoader.loadSync(relative, { ...loaderOptions, includeDirs: [grpcProtoRoot] });
  return grpc.loadPackageDefinition(def);
}

/** Metadata as {key: [value...]}, binary values as "b64:<base64>". */
export function metadataToJson(md) {
  if (!md) return null;
  const out = {};
  for (const [key, values] of Object.entries(md.getMap ? collect(md) : {})) out[key] = values;
  return out;
}

function collect(md) {
  const out = {};
  for (const key of Object.keys(md.getMap())) {
    out[key] = md.get(key).map(v => (Buffer.isBuffer(v) ? 'b64:' + v.toString('base64') : String(v)));
  }
  return out;
}

export function sha256(buf) {
  return createHash('sha256').update(buf ?? Buffer.alloc(0)).digest('hex');
}

export function summarize(res) {
  if (!res) return null;
  return {
    text: res.text,
    index: res.index,
    message_count: res.message_count,
    total_bytes: String(res.total_bytes),
    request_encoding: res.request_encoding,
    payload_len: res.payload ? res.payload.length : 0,
    payload_sha256: sha256(res.payload),
  };
}

export function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

export function pattern(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = i % 251;
  return b;
}
