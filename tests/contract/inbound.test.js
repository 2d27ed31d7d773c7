// Received texts through the official Notify Node client: texts arrive on
// Twilio's incoming-message webhook (form-encoded, X-Twilio-Signature) at a
// second `bode api` configured with the twilio provider, and
// getReceivedTexts pages them as Notify does.
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { execFileSync, spawn } = require('node:child_process');
const { NotifyClient } = require('notifications-node-client');

const env = process.env;
const live = new NotifyClient(env.BODE_URL, env.KEY_LIVE);
const other = new NotifyClient(env.BODE_URL, env.OTHER_KEY_LIVE);
const ACCOUNT = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'contract-twilio-auth-token';
let api;
after(() => {
  if (api && api.exitCode === null) api.kill('SIGTERM');
});

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startTwilioApi() {
  const port = await freePort();
  let out = '';
  api = spawn(env.BODE_BIN, ['api'], {
    env: { ...env, BODE_PORT: String(port),
      BODE_REDIS_SOCKET: env.BODE_REDIS_SOCKET,
      BODE_SMS_PROVIDERS: 'twilio', BODE_TWILIO_ACCOUNT_SID: ACCOUNT,
      BODE_TWILIO_AUTH_TOKEN: AUTH_TOKEN, BODE_TWILIO_FROM: '+447700900000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  api.stdout.on('data', (d) => { out += d; });
  api.stderr.on('data', (d) => { out += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    assert.equal(api.exitCode, null, `bode api exited: ${out}`);
    try {
      if ((await fetch(`${base}/_status/live`)).ok) return base;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`bode api with the twilio provider did not start: ${out}`);
}

// What Twilio sends for an incoming text, signed as Twilio signs it.
async function receive(base, sid, from, body) {
  const url = `${base}/notifications/inbound/twilio`;
  const params = { AccountSid: ACCOUNT, ApiVersion: '2010-04-01',
    Body: body, From: from, MessageSid: sid, NumMedia: '0',
    NumSegments: '1', SmsMessageSid: sid, SmsSid: sid,
    SmsStatus: 'received', To: '+447700900777' };
  const signed = url + Object.keys(params).sort()
    .map((k) => k + params[k]).join('');
  const sig = crypto.createHmac('sha1', AUTH_TOKEN).update(signed)
    .digest('base64');
  const res = await fetch(url, { method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': sig },
    body: new URLSearchParams(params).toString() });
  assert.equal(res.status, 200, await res.text());
}

test('getReceivedTexts returns texts newest first and pages', async () => {
  execFileSync(env.BODE_BIN, ['service', 'inbound-number', 'add',
    env.SERVICE_ID, '07700 900777'], { env });
  const base = await startTwilioApi();
  await receive(base, `SM${'1'.repeat(32)}`, '+447700900201', 'First reply');
  await new Promise((r) => setTimeout(r, 5));
  await receive(base, `SM${'2'.repeat(32)}`, '+447700900202', 'Second: ok & £5');
  const res = await live.getReceivedTexts();
  assert.equal(res.status, 200);
  const texts = res.data.received_text_messages;
  assert.deepEqual(texts.map((t) => t.content),
    ['Second: ok & £5', 'First reply']);
  assert.equal(texts[0].user_number, '447700900202');
  assert.equal(texts[0].notify_number, '447700900777');
  assert.equal(texts[0].service_id, env.SERVICE_ID);
  assert.match(texts[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(res.data.links.current,
    `${env.BODE_URL}/v2/received-text-messages`);
  assert.equal(res.data.links.next,
    `${env.BODE_URL}/v2/received-text-messages?older_than=${texts[1].id}`);
  const older = await live.getReceivedTexts(texts[0].id);
  assert.deepEqual(older.data.received_text_messages.map((t) => t.id),
    [texts[1].id]);
  const end = await live.getReceivedTexts(texts[1].id);
  assert.deepEqual(end.data.received_text_messages, []);
  assert.equal(end.data.links.next, undefined);
  // Another service sees none of them.
  const theirs = await other.getReceivedTexts();
  assert.deepEqual(theirs.data.received_text_messages, []);
  api.kill('SIGTERM');
});
