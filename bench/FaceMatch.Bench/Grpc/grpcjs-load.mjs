// grpc-js (1.14.7, from tests/interop/node) as a load generator against our server's bench Echo service.
// Reports completed unary calls per second at a given concurrency, or echoed messages per second on
// duplex streams with a window of messages in flight per stream. Bounded by --seconds.
//   node grpcjs-load.mjs --target 127.0.0.1:PORT --mode unary|duplex --seconds 10 --concurrency 32 --payload 64
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', '..', 'tests', 'interop', 'node', 'package.json'));
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const { values: o } = parseArgs({
  options: {
    target: { type: 'string' },
    mode: { type: 'string', default: 'unary' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    window: { type: 'string', default: '64' },
    payload: { type: 'string', default: '64' },
  },
});
const def = protoLoader.loadSync(path.join(here, 'bench.proto'), { keepCase: true, longs: Number, defaults: true });
const Echo = grpc.loadPackageDefinition(def).facematch.bench.v1.Echo;
const client = new Echo(o.target, grpc.credentials.createInsecure());
const message = { sequence: 1, payload: Buffer.alloc(Number(o.payload)) };
const until = Date.now() + Number(o.seconds) * 1000;
let done = 0;
let errors = 0;

async function unaryWorker() {
  while (Date.now() < until) {
    await new Promise(resolve => client.Unary(message, err => {
      if (err) errors++; else done++;
      resolve();
    }));
  }
}

async function duplexWorker() {
  const call = client.Duplex({ deadline: until + 10000 });
  const window = Number(o.window);
  let inFlight = 0;
  await new Promise(resolve => {
    const pump = () => {
      while (inFlight < window && Date.now() < until) { call.write(message); inFlight++; }
      if (Date.now() >= until && inFlight === 0) call.end();
    };
    call.on('data', () => { done++; inFlight--; pump(); });
    call.on('error', () => { errors++; resolve(); });
    call.on('end', resolve);
    pump();
  });
}

await new Promise((resolve, reject) => client.waitForReady(Date.now() + 10000, e => (e ? reject(e) : resolve())));
const started = Date.now();
const worker = o.mode === 'duplex' ? duplexWorker : unaryWorker;
await Promise.all(Array.from({ length: Number(o.concurrency) }, worker));
const elapsed = (Date.now() - started) / 1000;
console.log(JSON.stringify({
  mode: o.mode, concurrency: Number(o.concurrency), payload: Number(o.payload),
  completed: done, errors, seconds: elapsed, per_second: Math.round(done / elapsed),
}));
client.close();
