// A generic client that knows nothing of the server's protos: it asks server reflection for the service
// list and their FileDescriptorProtos, builds the types from those descriptors alone, and calls a method.
//   node reflection.mjs --target HOST:PORT --version v1|v1alpha --call facematch.interop.v1.Interop/Unary
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { loadGrpcProto, print, loaderOptions } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    version: { type: 'string', default: 'v1' },
    call: { type: 'string', default: 'facematch.interop.v1.Interop/Unary' },
  },
});
const watchdog = setTimeout(() => { console.error('timed out'); process.exit(3); }, 60000);

const reflectionPkg = loadGrpcProto(`grpc/reflection/${opts.version}/reflection.proto`).grpc.reflection[opts.version];
const reflection = new reflectionPkg.ServerReflection(opts.target, grpc.credentials.createInsecure());
const stream = reflection.ServerReflectionInfo({ deadline: Date.now() + 30000 });
const responses = stream[Symbol.asyncIterator]();
async function ask(request) {
  stream.write({ host: '', ...request });
  const next = await responses.next();
  return next.value;
}

const listed = await ask({ list_services: '' });
const services = listed.list_services_response.service.map(s => s.name);

// FileDescriptorProto.name is field 1 (a length-delimited string); protoc writes it first.
function descriptorName(bytes) {
  if (bytes[0] !== 0x0a) return null;
  let len = 0, shift = 0, i = 1;
  for (;;) { const b = bytes[i++]; len |= (b & 0x7f) << shift; if (!(b & 0x80)) break; shift += 7; }
  return bytes.subarray(i, i + len).toString('utf8');
}

const files = new Map(); // dedupe descriptors by content
let healthFile = null;
for (const name of services) {
  const answer = await ask({ file_containing_symbol: name });
  const protos = answer.file_descriptor_response.file_descriptor_proto;
  if (name === 'grpc.health.v1.Health') healthFile = descriptorName(protos[0]);
  for (const bytes of protos) files.set(bytes.toString('base64'), bytes);
}
// Asked by the file name the server itself reported, as a tool would after browsing.
const byName = await ask({ file_by_filename: healthFile ?? 'unknown' });
const unknown = await ask({ file_containing_symbol: 'no.such.Symbol' });
const methodSymbol = await ask({ file_containing_symbol: opts.call.replace('/', '.') });
stream.end();

// FileDescriptorSet { repeated FileDescriptorProto file = 1; }: field 1, length-delimited, per file.
const parts = [];
for (const bytes of files.values()) {
  let n = bytes.length;
  const varint = [];
  do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; varint.push(b); } while (n);
  parts.push(Buffer.from([0x0a, ...varint]), bytes);
}
const definition = protoLoader.loadFileDescriptorSetFromBuffer(Buffer.concat(parts), loaderOptions);
const loaded = grpc.loadPackageDefinition(definition);

const [serviceName, methodName] = opts.call.split('/');
let ServiceClient = loaded;
for (const part of serviceName.split('.')) ServiceClient = ServiceClient[part];
const client = new ServiceClient(opts.target, grpc.credentials.createInsecure());
const result = await new Promise(resolve =>
  client[methodName]({ text: 'called through reflection' }, { deadline: Date.now() + 20000 },
    (err, res) => resolve({ code: err ? err.code : 0, details: err ? err.details : '', text: res ? res.text : null })));

print({
  services,
  file_count: files.size,
  types: Object.keys(definition).sort(),
  health_file: healthFile,
  by_filename_count: byName.file_descriptor_response ? byName.file_descriptor_response.file_descriptor_proto.length : 0,
  method_symbol_found: !!methodSymbol.file_descriptor_response,
  unknown_error: unknown.error_response ? { code: unknown.error_response.error_code, message: unknown.error_response.error_message } : null,
  call: result,
});
clearTimeout(watchdog);
client.close();
reflection.close();
