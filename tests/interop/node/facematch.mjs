// grpc-js as a client of a running `facematch serve`: one end-to-end scenario of facematch.v1 over real
// bidirectional streams. Prints one JSON line with what it observed (status codes, scores, template ids, the order
// of sends and feedback per session); the C# test decides what is right. Only a protocol failure (a call the
// scenario needs that does not answer OK) stops it early, printed as {"error": ...} with exit code 1.
//   node facematch.mjs --target HOST:PORT --proto path/to/facematch.proto < scenario.json
// scenario.json (one JSON document on stdin, so that no token shows in the process's command line):
//   { "admin_token": "...",
//     "person": { "enroll": [photo...], "genuine": [photo...] },   // enrolled in one session; probes held out
//     "others": [{ "name": "...", "photos": [photo...] }],         // the rest of the tenant's gallery
//     "impostors": [photo...] }                                     // other people, authenticated as the person
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { loaderOptions, print } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    proto: { type: 'string' },
    'call-seconds': { type: 'string', default: '120' },
    'feedback-wait-seconds': { type: 'string', default: '30' },
  },
});
const scenario = JSON.parse(fs.readFileSync(0, 'utf8'));
const callMs = Number(opts['call-seconds']) * 1000;
const feedbackWaitMs = Number(opts['feedback-wait-seconds']) * 1000;

const v1 = grpc.loadPackageDefinition(protoLoader.loadSync(opts.proto, loaderOptions)).facematch.v1;
const channelOptions = { 'grpc.max_receive_message_length': 16 << 20, 'grpc.max_send_message_length': 16 << 20 };
const credentials = grpc.credentials.createInsecure();
const faceMatch = new v1.FaceMatch(opts.target, credentials, channelOptions);
const admin = new v1.Admin(opts.target, credentials, channelOptions);
const statusNames = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));
const photo = p => fs.readFileSync(p);

class ProtocolError extends Error {}

function bearer(token) {
  const md = new grpc.Metadata();
  if (token !== null) md.set('authorization', 'Bearer ' + token);
  return md;
}

function outcome(err, res) {
  return { code: err ? err.code : 0, status: statusNames[err ? err.code : 0], details: err ? err.details : '', response: res ?? null };
}

/** A unary call's status and response; never throws. */
function call(client, method, request, token) {
  return new Promise(resolve =>
    client[method](request, bearer(token), { deadline: Date.now() + callMs }, (err, res) => resolve(outcome(err, res))));
}

/** A unary call the scenario cannot go on without. */
async function must(client, method, request, token) {
  const r = await call(client, method, request, token);
  if (r.code !== 0) throw new ProtocolError(`${method}: ${r.status} ${r.details}`);
  return r.response;
}

function feedbackSummary(f) {
  return { frame_index: f.frame_index, face_found: f.face_found, quality: f.quality, liveness: f.liveness, hints: f.hints };
}

function resultSummary(r) {
  return {
    session_id: r.session_id, template_id: r.template_id, enrolled: r.enrolled, reason: r.reason,
    live: r.live, liveness_score: r.liveness_score, match: r.match, match_score: r.match_score,
    candidates: r.candidates.map(c => ({ template_id: c.template_id, score: c.score })),
  };
}

/**
 * One session as a phone SDK runs it: `start`, then each frame, waiting for that frame's feedback before the next is
 * sent. Everything seen goes into `order` as it happens: "send start", "send frame i", "feedback i", "half_close",
 * "result", "status NAME". A server that held feedback back would show as "no feedback i" and a "send frame i+1"
 * ahead of "feedback i". `messages` replaces the default start-then-frames sequence for bad sessions.
 */
async function session(method, token, { start = {}, frames = [], messages = null } = {}) {
  const call = faceMatch[method](bearer(token), { deadline: Date.now() + callMs });
  const s = { order: [], feedback: [], result: null, code: null, status: null, details: '' };
  let wake = () => {};
  const changed = () => new Promise(resolve => { wake = resolve; });
  async function until(done, ms) {
    const limit = Date.now() + ms;
    while (!done()) {
      const left = limit - Date.now();
      if (left <= 0) return false;
      let timer;
      await Promise.race([changed(), new Promise(resolve => { timer = setTimeout(resolve, left); })]);
      clearTimeout(timer);
    }
    return true;
  }
  call.on('data', ev => {
    if (ev.kind === 'feedback') {
      s.order.push(`feedback ${ev.feedback.frame_index}`);
      s.feedback.push(feedbackSummary(ev.feedback));
    } else if (ev.kind === 'result') {
      s.order.push('result');
      s.result = resultSummary(ev.result);
    }
    wake();
  });
  call.on('error', () => {});   // the status event carries it
  call.on('status', st => {
    s.code = st.code;
    s.status = statusNames[st.code];
    s.details = st.details;
    s.order.push(`status ${s.status}`);
    wake();
  });
  const send = (label, message) => { s.order.push(`send ${label}`); call.write(message); };

  if (messages) {
    messages.forEach((m, i) => send(m.start ? 'start' : `${Object.keys(m)[0]} ${i}`, m));
  } else {
    send('start', { start });
    let clock = 1000;
    for (let i = 0; i < frames.length && s.code === null && s.result === null; i++) {
      send(`frame ${i}`, { frame: { image: frames[i], capture_time_ms: clock += 100 } });
      if (!await until(() => s.feedback.length > i || s.result !== null || s.code !== null, feedbackWaitMs))
        s.order.push(`no feedback ${i} within ${feedbackWaitMs} ms`);
    }
  }
  if (s.code === null) {
    s.order.push('half_close');
    call.end();
  }
  await until(() => s.code !== null, callMs);
  if (s.code === null) call.cancel();
  return s;
}

/** A session the scenario needs: it must end OK with a result. */
async function mustSession(method, token, args) {
  const s = await session(method, token, args);
  if (s.code !== 0 || s.result === null) throw new ProtocolError(`${method}: ${s.status} ${s.details}`);
  return s;
}

async function run() {
  const adminToken = scenario.admin_token;
  const out = {};

  // Admin: a tenant whose sessions score liveness without requiring it (the probes are still photos), and tokens.
  const tenant = await must(admin, 'CreateTenant', { name: 'grpc-js e2e' }, adminToken);
  const policy = await must(admin, 'SetPolicy', { tenant_id: tenant.tenant_id, policy: { liveness: 'LIVENESS_MODE_ADVISORY' } }, adminToken);
  const production = await must(admin, 'IssueToken', { tenant_id: tenant.tenant_id, mode: 'TOKEN_MODE_PRODUCTION' }, adminToken);
  const spare = await must(admin, 'IssueToken', { tenant_id: tenant.tenant_id, mode: 'TOKEN_MODE_PRODUCTION' }, adminToken);
  const revoked = await must(admin, 'RevokeToken', { token_id: spare.token_id }, adminToken);
  out.tenant = { tenant_id: tenant.tenant_id, liveness: policy.policy.liveness };
  out.tokens = { production_token_id: production.token_id, production_mode: production.mode, revoked: revoked.revoked };
  const token = production.token;

  // Enrol the person from several photos in one session, then everyone else, one session each.
  const enrolled = await mustSession('Enroll', token, { start: { device: { sdk_version: 'grpc-js-e2e' } }, frames: scenario.person.enroll.map(photo) });
  out.enroll = { photos: scenario.person.enroll, ...enrolled };
  const personId = enrolled.result.template_id;
  out.gallery = [];
  for (const other of scenario.others) {
    const s = await mustSession('Enroll', token, { frames: other.photos.map(photo) });
    out.gallery.push({ name: other.name, template_id: s.result.template_id, enrolled: s.result.enrolled, reason: s.result.reason });
  }

  // The threshold the tenant's decisions use, as Compare reports it.
  const compare = await must(faceMatch, 'Compare', { image_a: photo(scenario.person.enroll[0]), image_b: photo(scenario.person.genuine[0]) }, token);
  out.threshold = compare.threshold;
  out.compare = compare;

  const probe = async (method, p, start) => {
    const s = await mustSession(method, token, { start, frames: [photo(p)] });
    return { photo: p, ...s };
  };
  out.authenticate = { genuine: [], impostor: [] };
  for (const p of scenario.person.genuine) out.authenticate.genuine.push(await probe('Authenticate', p, { template_id: personId }));
  for (const p of scenario.impostors) out.authenticate.impostor.push(await probe('Authenticate', p, { template_id: personId }));
  out.identify = [];
  for (const p of scenario.person.genuine) out.identify.push(await probe('Identify', p, { top_k: 3 }));

  // Erasure: the template is gone for Authenticate (NOT_FOUND) and for Identify.
  out.erasure = { delete: await call(faceMatch, 'DeleteTemplate', { template_id: personId }, token) };
  const gone = await session('Authenticate', token, { start: { template_id: personId }, frames: [photo(scenario.person.genuine[0])] });
  out.erasure.authenticate = { code: gone.code, status: gone.status, details: gone.details, order: gone.order, result: gone.result };
  out.erasure.identify = await probe('Identify', scenario.person.genuine[0], { top_k: 3 });
  out.erasure.delete_again = await call(faceMatch, 'DeleteTemplate', { template_id: personId }, token);

  // The contract's statuses, each from a call that would otherwise succeed or fail differently.
  const image = photo(scenario.person.genuine[0]);
  const compareRequest = { image_a: image, image_b: image };
  const streamStatus = s => ({ code: s.code, status: s.status, details: s.details, order: s.order });
  out.statuses = {
    no_token: await call(faceMatch, 'Compare', compareRequest, null),
    no_token_session: streamStatus(await session('Enroll', null, { frames: [image] })),
    unknown_token: await call(faceMatch, 'Compare', compareRequest, 'fm_not_a_token_' + 'x'.repeat(40)),
    revoked_token: await call(faceMatch, 'Compare', compareRequest, spare.token),
    tenant_token_on_admin: await call(admin, 'GetUsage', { tenant_id: tenant.tenant_id }, token),
    admin_token_on_facematch: await call(faceMatch, 'Compare', compareRequest, adminToken),
    admin_token_on_session: streamStatus(await session('Enroll', adminToken, { frames: [image] })),
    first_message_not_start: streamStatus(await session('Enroll', token, { messages: [{ frame: { image, capture_time_ms: 1 } }] })),
    non_image_frame: streamStatus(await session('Enroll', token, { frames: [Buffer.from('this is not a JPEG or a PNG, only text')] })),
  };
  for (const r of Object.values(out.statuses)) delete r.response;   // a refused call has none

  out.usage = await must(admin, 'GetUsage', { tenant_id: tenant.tenant_id }, adminToken);
  out.tenant.deleted = (await must(admin, 'DeleteTenant', { tenant_id: tenant.tenant_id }, adminToken)).deleted;
  return out;
}

let exitCode = 0;
try {
  print(await run());
} catch (e) {
  if (!(e instanceof ProtocolError)) throw e;
  print({ error: e.message });
  exitCode = 1;
} finally {
  faceMatch.close();
  admin.close();
}
process.exitCode = exitCode;
