// grpc-js as the client of a server under test (ours, in the C# tests). One scenario per run; prints
// one JSON line with what it observed (status code, details, messages, metadata); the C# test asserts.
//   node client.mjs --target 127.0.0.1:PORT --scenario NAME [--arg VALUE] [--ca cert.pem]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import { loadInterop, metadataToJson, print, summarize, pattern } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    scenario: { type: 'string' },
    arg: { type: 'string', default: '' },
    ca: { type: 'string' },
  },
});

const Interop = loadInterop().Interop;
const channelOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
};
if (opts.scenario === 'compress') channelOptions['grpc.default_compression_algorithm'] = 2; // gzip
const credentials = opts.ca
  ? grpc.credentials.createSsl(fs.readFileSync(opts.ca))
  : grpc.credentials.createInsecure();
const client = new Interop(opts.target, credentials, channelOptions);

function unary(method, request, { metadata = new grpc.Metadata(), deadlineMs } = {}) {
  return new Promise(resolve => {
    const out = { code: null };
    let callbackDone = false;
    let statusDone = false;
    const finish = () => { if (callbackDone && statusDone) resolve(out); };
    const callOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    const call = client[method](request, metadata, callOptions, (err, res) => {
      out.code = err ? err.code : 0;
      out.details = err ? err.details : '';
      out.response = summarize(res);
      callbackDone = true;
      finish();
    });
    call.on('metadata', md => { out.headers = metadataToJson(md); });
    call.on('status', st => { out.trailers = metadataToJson(st.metadata); statusDone = true; finish(); });
  });
}

function waitStatus(call) {
  return new Promise(resolve => call.on('status', st => resolve(st)));
}

const scenarios = {
  async unary() {
    const md = new grpc.Metadata();
    md.set('x-user', 'alice');
    md.set('x-data-bin', Buffer.from([0, 1, 2, 250, 255]));
    return unary('Unary', { text: 'hello from grpc-js', payload: pattern(1000) }, { metadata: md, deadlineMs: 20000 });
  },

  async client_stream() {
    const out = {};
    const status = await new Promise(resolve => {
      const call = client.ClientStream({ deadline: Date.now() + 20000 }, (err, res) => {
        out.code = err ? err.code : 0;
        out.details = err ? err.details : '';
        out.response = summarize(res);
      });
      call.on('status', resolve);
      for (let i = 0; i < 10; i++) call.write({ text: String(i), payload: pattern(1000) });
      call.end();
    });
    out.status_code = status.code;
    return out;
  },

  async server_stream() {
    const call = client.ServerStream({ text: 's', response_count: 30, response_size: 300 }, { deadline: Date.now() + 20000 });
    const status = waitStatus(call);
    const messages = [];
    try {
      for await (const m of call) messages.push(summarize(m));
    } catch (e) { /* status below */ }
    const st = await status;
    return { code: st.code, details: st.details, messages };
  },

  async duplex() {
    const call = client.Duplex({ deadline: Date.now() + 20000 });
    const status = waitStatus(call);
    const it = call[Symbol.asyncIterator]();
    const echoes = [];
    for (let i = 0; i < 20; i++) {
      call.write({ text: `ping ${i}` });
      const next = await it.next();            // the answer arrives before the next ping is sent
      echoes.push(next.value.text + '#' + next.value.index);
    }
    call.end();
    const last = await it.next();
    const st = await status;
    return { code: st.code, echoes, ended: last.done };
  },

  async deadline() {
    // Server streaming with a 2 s deadline: the first response proves the handler runs, then it hangs.
    const call = client.ServerStream({ text: opts.arg, hang: true, response_count: 1 }, { deadline: Date.now() + 2000 });
    const status = waitStatus(call);
    call.on('error', () => {});
    const first = await new Promise(resolve => { call.once('data', () => resolve(true)); call.once('status', () => resolve(false)); });
    const st = await status;
    return { code: st.code, details: st.details, first_message: first };
  },

  async cancel() {
    // Server streaming: cancel once the first response proves the handler is running.
    const call = client.ServerStream({ text: opts.arg, hang: true, response_count: 1 }, { deadline: Date.now() + 20000 });
    const status = waitStatus(call);
    call.on('error', () => {});
    await new Promise(resolve => call.once('data', resolve));
    call.cancel();
    const st = await status;
    return { code: st.code, details: st.details };
  },

  async server_cancel() {
    // Duplex: three pings answered, then the server ends the call with CANCELLED while we keep the stream open.
    const call = client.Duplex({ deadline: Date.now() + 20000 });
    const status = waitStatus(call);
    call.on('error', () => {});
    const echoes = [];
    call.on('data', m => echoes.push(m.text));
    for (let i = 0; i < 3; i++) call.write({ text: `ping ${i}` });
    call.write({ fail_code: 1, fail_message: 'server gave up' });
    const st = await status;
    return { code: st.code, details: st.details, echoes };
  },

  async large() {
    // A request whose whole message is exactly --arg bytes: payload field tag (1) + length varint + payload.
    const total = Number(opts.arg);
    let payloadLen = total - 1 - 4;
    const varintLen = n => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
    payloadLen = total - 1 - varintLen(payloadLen);
    const payload = Buffer.alloc(payloadLen, 7);
    const r = await unary('Unary', { payload }, { deadlineMs: 60000 });
    r.sent_payload_len = payloadLen;
    return r;
  },

  async compress() {
    // gzip-compressed requests (channel option); the server answers compressed if configured to.
    return unary('Unary', { text: 'compressible', payload: Buffer.alloc(200000, 'a'), response_size: 200000 }, { deadlineMs: 20000 });
  },

  async error() {
    const [code, ...message] = opts.arg.split(':');
    return unary('Unary', { fail_code: Number(code), fail_message: message.join(':') }, { deadlineMs: 20000 });
  },

  async internal() {
    return unary('Unary', { throw_internal: true }, { deadlineMs: 20000 });
  },

  async unimplemented() {
    const notBound = await unary('NotBound', { text: 'x' }, { deadlineMs: 20000 });
    const unknown = await new Promise(resolve => {
      client.makeUnaryRequest('/no.such.Service/Nothing', x => x, x => x, Buffer.alloc(0), { deadline: Date.now() + 20000 },
        (err) => resolve({ code: err ? err.code : 0, details: err ? err.details : '' }));
    });
    return { not_bound: notBound, unknown };
  },
};

const scenario = scenarios[opts.scenario];
if (!scenario) {
  console.error(`unknown scenario ${opts.scenario}`);
  process.exit(2);
}
const watchdog = setTimeout(() => { console.error('scenario timed out'); process.exit(3); }, 90000);
try {
  print(await scenario());
} finally {
  clearTimeout(watchdog);
  client.close();
}
