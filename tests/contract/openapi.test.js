// docs/openapi.yaml against the running API: every response below is
// validated (status, content type, body and declared headers) against what
// the spec declares for its path, method and status, and every route in
// src/api/router.c must be in the spec. v2 calls go through the official
// notifications-node-client, so bodies are what a client sees; health,
// metrics, receipts, 404/405 and header-level cases use fetch.
// run_contract.py provides a running API and the services, keys and
// templates named in the environment.
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const YAML = require('yaml');
const { NotifyClient } = require('notifications-node-client');

const ROOT = path.resolve(__dirname, '..', '..');
const SPEC = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'),
  'utf8'));
const ROUTER = fs.readFileSync(path.join(ROOT, 'src', 'api', 'router.c'),
  'utf8');

const env = process.env;
const URL = env.BODE_URL;
const live = new NotifyClient(URL, env.KEY_LIVE);
const testKey = new NotifyClient(URL, env.KEY_TEST);
const other = new NotifyClient(URL, env.OTHER_KEY_LIVE);
const limited = new NotifyClient(URL, env.LIMITED_KEY_LIVE);
const PERSONALISATION = { name: 'Ada', date: '1 May', extra: 'yes' };
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch',
  'trace'];

// The whole spec is one schema resource, so every `$ref` resolves and any
// part of it can be compiled by JSON pointer. OpenAPI's own keywords are
// not JSON Schema: strict mode off, and our extension keyword declared.
const SPEC_ID = 'https://bode.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addKeyword({ keyword: 'x-bode-extension', schemaType: 'boolean' });
ajv.addSchema(SPEC, SPEC_ID);

const ptrEscape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
function deref(ref) {
  assert.ok(ref.startsWith('#/'), `only local refs: ${ref}`);
  return ref.slice(2).split('/').reduce((o, k) => {
    const key = k.replace(/~1/g, '/').replace(/~0/g, '~');
    assert.ok(o && key in o, `dangling $ref ${ref}`);
    return o[key];
  }, SPEC);
}
function validatorAt(pointer) {
  const v = ajv.getSchema(SPEC_ID + pointer);
  assert.ok(v, `no schema at ${pointer}`);
  return v;
}

// Which (path, method, status) triples real responses have been checked
// against, to prove every operation was exercised.
const checked = new Set();

// A response object and the pointer to it, following one $ref.
function declaredResponse(p, method, status) {
  const op = SPEC.paths[p] && SPEC.paths[p][method];
  assert.ok(op, `spec has no ${method.toUpperCase()} ${p}`);
  const r = op.responses[String(status)];
  assert.ok(r, `spec declares no ${status} for ${method.toUpperCase()} ${p}`);
  if (r.$ref) return { pointer: r.$ref.slice(1), resp: deref(r.$ref) };
  return {
    pointer: `/paths/${ptrEscape(p)}/${method}/responses/${status}`,
    resp: r,
  };
}

function checkAgainst(where, pointer, resp, res) {
  const types = Object.keys(resp.content || {});
  const mt = types.find((t) => res.contentType.split(';')[0].trim() === t);
  assert.ok(mt, `${where}: ${res.status} has content type `
    + `"${res.contentType}", spec says ${JSON.stringify(types)}`);
  const validate = validatorAt(
    `#${pointer}/content/${ptrEscape(mt)}/schema`);
  assert.ok(validate(res.body), `${where}: ${res.status} body does not `
    + `match the spec: ${ajv.errorsText(validate.errors)}\n`
    + JSON.stringify(res.body).slice(0, 2000));
  for (const [name, h] of Object.entries(resp.headers || {})) {
    const header = h.$ref ? deref(h.$ref) : h;
    const value = res.header(name);
    if (value === null || value === undefined) {
      assert.ok(!header.required, `${where}: missing header ${name}`);
      continue;
    }
    const v = ajv.compile(header.schema);
    assert.ok(v(value), `${where}: header ${name}: ${value} `
      + `${ajv.errorsText(v.errors)}`);
  }
  // Notify's v2 errors: status_code is the HTTP status.
  if (res.body && typeof res.body === 'object' && 'status_code' in res.body) {
    assert.equal(res.body.status_code, res.status, where);
  }
}

// Validates res against what the spec declares for p, method and its
// status; returns res for further assertions.
function check(p, method, res) {
  const { pointer, resp } = declaredResponse(p, method, res.status);
  checkAgainst(`${method.toUpperCase()} ${p}`, pointer, resp, res);
  checked.add(`${method} ${p} ${res.status}`);
  return res;
}

// Validates res against a shared component response (for answers that
// belong to no one operation: unknown routes, 405).
function checkComponent(name, res, status) {
  assert.equal(res.status, status);
  const pointer = `/components/responses/${name}`;
  checkAgainst(name, pointer, deref(`#${pointer}`), res);
  checked.add(`component ${name} ${res.status}`);
  return res;
}

function fromAxios(r) {
  let body = r.data;
  if (Buffer.isBuffer(body) || body instanceof ArrayBuffer) {
    body = JSON.parse(Buffer.from(body).toString('utf8'));
  }
  return {
    status: r.status,
    contentType: String(r.headers['content-type'] || ''),
    header: (n) => r.headers[n.toLowerCase()],
    body,
  };
}

// The response of a client call, whether it succeeded or not.
async function client(promise) {
  try {
    return fromAxios(await promise);
  } catch (err) {
    if (!err.response) throw err;
    return fromAxios(err.response);
  }
}

// Notify's token, as the clients make it (docs: securitySchemes.notifyJwt).
function jwt(key) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    iss: key.slice(-73, -37), iat: Math.floor(Date.now() / 1000),
  })}`;
  const sig = crypto.createHmac('sha256', key.slice(-36)).update(head)
    .digest('base64url');
  return `${head}.${sig}`;
}

async function raw(method, p, { key, body, headers = {}, base = URL } = {}) {
  const h = { ...headers };
  if (key) h.Authorization = `Bearer ${jwt(key)}`;
  if (body !== undefined && !h['Content-Type']) {
    h['Content-Type'] = 'application/json';
  }
  const r = await fetch(base + p, {
    method,
    headers: h,
    body: body === undefined || typeof body === 'string' ? body
      : JSON.stringify(body),
  });
  const text = await r.text();
  const contentType = r.headers.get('content-type') || '';
  return {
    status: r.status,
    contentType,
    header: (n) => r.headers.get(n),
    body: contentType.startsWith('application/json') ? JSON.parse(text) : text,
  };
}

function errorOf(res, error, message) {
  assert.ok(res.body.errors.some((e) => e.error === error
    && (message === undefined || e.message === message)),
  `no ${error} "${message}" in ${JSON.stringify(res.body)}`);
}

// The route table, as written in router.c: [{methods, pattern}].
function routerRoutes() {
  const table = ROUTER.match(/routes\[\]\s*=\s*\{([\s\S]*?)\n\};/);
  assert.ok(table, 'route table not found in src/api/router.c');
  const routes = [];
  const re = /\{\s*((?:M\(\w+\)\s*\|?\s*)+),\s*"([^"]+)"\s*,\s*\w+\s*\}/g;
  let m;
  while ((m = re.exec(table[1])) !== null) {
    const methods = [...m[1].matchAll(/M\((\w+)\)/g)]
      .map((x) => x[1].toLowerCase());
    routes.push({ methods, pattern: m[2] });
  }
  return routes;
}
const shape = (p) => p.replace(/\{[^}]+\}/g, '{}');

test('the spec is OpenAPI 3.1 and every component schema compiles', () => {
  assert.match(SPEC.openapi, /^3\.1\.\d+$/);
  assert.equal(SPEC.jsonSchemaDialect,
    'https://json-schema.org/draft/2020-12/schema');
  assert.equal(SPEC.components.securitySchemes.notifyJwt.scheme, 'bearer');
  for (const name of Object.keys(SPEC.components.schemas)) {
    validatorAt(`#/components/schemas/${ptrEscape(name)}`);
  }
  // Every $ref anywhere points at something.
  const walk = (o) => {
    if (!o || typeof o !== 'object') return;
    if (typeof o.$ref === 'string') deref(o.$ref);
    Object.values(o).forEach(walk);
  };
  walk(SPEC);
  for (const [p, item] of Object.entries(SPEC.paths)) {
    for (const method of METHODS.filter((x) => item[x])) {
      const op = item[method];
      assert.ok(op.operationId, `${method} ${p}: no operationId`);
      for (const status of Object.keys(op.responses)) {
        const { pointer, resp } = declaredResponse(p, method, status);
        for (const mt of Object.keys(resp.content || {})) {
          validatorAt(`#${pointer}/content/${ptrEscape(mt)}/schema`);
        }
      }
    }
  }
});

test('every route in src/api/router.c is in the spec, and no other',
  () => {
    const routes = routerRoutes();
    assert.ok(routes.length >= 17, `parsed only ${routes.length} routes`);
    const specOps = new Set();
    for (const [p, item] of Object.entries(SPEC.paths)) {
      for (const method of METHODS.filter((x) => item[x])) {
        specOps.add(`${method} ${shape(p)}`);
      }
    }
    const routerOps = new Set();
    for (const r of routes) {
      for (const method of r.methods) {
        const op = `${method} ${shape(r.pattern)}`;
        routerOps.add(op);
        assert.ok(specOps.has(op),
          `${method.toUpperCase()} ${r.pattern} is served but not in `
          + 'docs/openapi.yaml');
      }
    }
    for (const op of specOps) {
      assert.ok(routerOps.has(op), `docs/openapi.yaml describes ${op}, `
        + 'which src/api/router.c does not serve');
    }
  });

test('POST /v2/notifications/email and /sms: 201, 400, 401, 403', async () => {
  const email = check('/v2/notifications/email', 'post',
    await client(live.sendEmail(env.EMAIL_TEMPLATE, 'a@example.com',
      { personalisation: PERSONALISATION, reference: 'openapi' })));
  assert.equal(email.status, 201);
  for (const h of ['RateLimit-Limit', 'RateLimit-Remaining',
    'RateLimit-Reset']) {
    assert.ok(email.header(h), `201 without ${h}`);
  }
  const sms = check('/v2/notifications/sms', 'post',
    await client(live.sendSms(env.SMS_TEMPLATE, '07700900123',
      { personalisation: { code: '1' } })));
  assert.equal(sms.status, 201);
  // The test key's 201 has the same shape.
  assert.equal(check('/v2/notifications/sms', 'post',
    await client(testKey.sendSms(env.SMS_TEMPLATE, '07700900003',
      { personalisation: { code: '1' } }))).status, 201);

  errorOf(check('/v2/notifications/email', 'post',
    await client(live.sendEmail(env.EMAIL_TEMPLATE, 'not-an-email',
      { personalisation: PERSONALISATION }))), 'ValidationError');
  errorOf(check('/v2/notifications/sms', 'post',
    await client(live.sendSms(env.EMAIL_TEMPLATE, '07700900123', {}))),
  'BadRequestError');
  errorOf(check('/v2/notifications/email', 'post',
    await raw('POST', '/v2/notifications/email', { key: env.KEY_LIVE,
      body: '{"email_address":' })), 'BadRequestError',
  'Invalid JSON supplied in POST data');
  const several = check('/v2/notifications/sms', 'post',
    await raw('POST', '/v2/notifications/sms', { key: env.KEY_LIVE,
      body: { foo: 1 } }));
  assert.ok(several.body.errors.length >= 2);
  errorOf(check('/v2/notifications/email', 'post',
    await raw('POST', '/v2/notifications/email', { body: {} })), 'AuthError',
  'Unauthorized: authentication token must be provided');
  errorOf(check('/v2/notifications/sms', 'post',
    await raw('POST', '/v2/notifications/sms', { body: {},
      headers: { Authorization: 'Basic abc' } })), 'AuthError');
  const bad = new NotifyClient(URL,
    `bad-${env.SERVICE_ID}-${NO_SUCH_ID}`);
  errorOf(check('/v2/notifications/email', 'post',
    await client(bad.sendEmail(env.EMAIL_TEMPLATE, 'a@example.com', {}))),
  'AuthError', 'Invalid token: API key not found');
});

test('POST with Idempotency-Key: 201 replay, 422 and 400', async () => {
  const body = { email_address: 'a@example.com',
    template_id: env.EMAIL_TEMPLATE, personalisation: PERSONALISATION };
  const key = `openapi-${crypto.randomUUID()}`;
  const send = (b, k) => raw('POST', '/v2/notifications/email',
    { key: env.KEY_LIVE, body: b, headers: { 'Idempotency-Key': k } });
  const first = check('/v2/notifications/email', 'post', await send(body, key));
  assert.equal(first.status, 201);
  const again = check('/v2/notifications/email', 'post',
    await send(body, key));
  assert.equal(again.status, 201);
  assert.equal(again.header('Idempotent-Replayed'), 'true');
  assert.equal(again.body.id, first.body.id);
  const conflict = check('/v2/notifications/email', 'post',
    await send({ ...body, reference: 'other' }, key));
  assert.equal(conflict.status, 422);
  errorOf(conflict, 'IdempotencyError');
  const tooLong = check('/v2/notifications/email', 'post',
    await send(body, 'k'.repeat(256)));
  assert.equal(tooLong.status, 400);
  errorOf(tooLong, 'ValidationError');
});

// Sends only the head of a request whose Content-Length is over the body
// limit, and reads the answer (Bode answers without reading the body).
function oversized(p, key) {
  const u = new globalThis.URL(URL);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let data = '';
    sock.setTimeout(10000, () => sock.destroy(new Error('no answer')));
    sock.on('connect', () => sock.write(`POST ${p} HTTP/1.1\r\n`
      + `Host: ${u.host}\r\nAuthorization: Bearer ${jwt(key)}\r\n`
      + 'Content-Type: application/json\r\n'
      + `Content-Length: ${64 * 1024 * 1024}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d) => { data += d; });
    sock.on('error', (e) => (data ? sock.emit('end') : reject(e)));
    sock.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let body = rest.join('\r\n\r\n');
      if (/chunked/i.test(headers['transfer-encoding'] || '')) {
        body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n[\s\S]*$/, '');
      }
      resolve({
        status: Number(lines[0].split(' ')[1]),
        contentType: headers['content-type'] || '',
        header: (n) => headers[n.toLowerCase()],
        body: JSON.parse(body),
      });
    });
  });
}

test('POST larger than the body limit: 413', async () => {
  for (const p of ['/v2/notifications/email', '/v2/notifications/sms']) {
    const res = await oversized(p, env.KEY_LIVE);
    assert.equal(res.status, 413);
    errorOf(check(p, 'post', res), 'RequestEntityTooLarge');
  }
});

test('POST /v2/notifications/letter: 400, 401', async () => {
  errorOf(check('/v2/notifications/letter', 'post',
    await client(live.sendLetter(env.EMAIL_TEMPLATE, { personalisation: {
      address_line_1: 'A', address_line_2: 'B', address_line_3: 'SW1A 1AA',
    } }))), 'BadRequestError', 'Service is not allowed to send letters');
  check('/v2/notifications/letter', 'post',
    await client(live.sendPrecompiledLetter('ref', Buffer.from('%PDF'))));
  assert.equal(check('/v2/notifications/letter', 'post',
    await raw('POST', '/v2/notifications/letter', { body: {} })).status, 401);
});

test('GET /v2/notifications/{id} and /pdf: 200, 400, 404', async () => {
  const sms = await live.sendSms(env.SMS_TEMPLATE, '07700900123',
    { personalisation: { code: '7' } });
  const email = await live.sendEmail(env.EMAIL_TEMPLATE, 'b@example.com',
    { personalisation: PERSONALISATION });
  // Both before and after delivery (cost data differs for texts).
  const deadline = Date.now() + 20000;
  let seen = new Set();
  while (Date.now() < deadline) {
    const got = check('/v2/notifications/{id}', 'get',
      await client(live.getNotificationById(sms.data.id)));
    assert.equal(got.status, 200);
    seen.add(got.body.status);
    if (got.body.status === 'delivered') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(seen.has('delivered'), `never delivered: ${[...seen]}`);
  seen = null;
  assert.equal(check('/v2/notifications/{id}', 'get',
    await client(live.getNotificationById(email.data.id))).status, 200);
  assert.equal(check('/v2/notifications/{id}', 'get',
    await client(live.getNotificationById('nope'))).status, 400);
  assert.equal(check('/v2/notifications/{id}', 'get',
    await client(other.getNotificationById(sms.data.id))).status, 404);
  assert.equal(check('/v2/notifications/{id}', 'get',
    await raw('GET', `/v2/notifications/${NO_SUCH_ID}`,
      { headers: { Authorization: 'Bearer not.a.jwt' } })).status, 403);

  errorOf(check('/v2/notifications/{id}/pdf', 'get',
    await client(live.getPdfForLetterNotification(sms.data.id))),
  'BadRequestError', 'Notification is not a letter');
  assert.equal(check('/v2/notifications/{id}/pdf', 'get',
    await client(live.getPdfForLetterNotification(NO_SUCH_ID))).status, 404);
});

test('GET /v2/notifications: 200 (pages, filters), 400', async () => {
  const page = check('/v2/notifications', 'get',
    await client(live.getNotifications()));
  assert.equal(page.status, 200);
  assert.ok(page.body.notifications.length > 0);
  assert.ok(page.body.links.next);
  const filtered = check('/v2/notifications', 'get',
    await client(live.getNotifications('email', 'failed', 'openapi')));
  assert.equal(filtered.status, 200);
  const empty = check('/v2/notifications', 'get', await raw('GET',
    `/v2/notifications?template_type=sms&status=sending&status=delivered&older_than=${NO_SUCH_ID}&include_jobs=true`,
    { key: env.KEY_LIVE }));
  assert.deepEqual(empty.body.notifications, []);
  errorOf(check('/v2/notifications', 'get',
    await client(live.getNotifications('fax'))), 'ValidationError',
  'template_type fax is not one of [sms, email, letter]');
  errorOf(check('/v2/notifications', 'get',
    await raw('GET', '/v2/notifications?colour=red&status=elephant',
      { key: env.KEY_LIVE })), 'ValidationError');
});

test('templates: get, version, list, preview: 200, 400, 404', async () => {
  assert.equal(check('/v2/template/{id}', 'get',
    await client(live.getTemplateById(env.EMAIL_TEMPLATE))).status, 200);
  assert.equal(check('/v2/template/{id}', 'get',
    await client(live.getTemplateById(env.SMS_TEMPLATE))).status, 200);
  assert.equal(check('/v2/template/{id}', 'get',
    await client(live.getTemplateById('x'))).status, 400);
  assert.equal(check('/v2/template/{id}', 'get',
    await client(other.getTemplateById(env.EMAIL_TEMPLATE))).status, 404);

  const v = '/v2/template/{id}/version/{version}';
  assert.equal(check(v, 'get', await client(
    live.getTemplateByIdAndVersion(env.EMAIL_TEMPLATE, 1))).status, 200);
  const noVersion = check(v, 'get', await client(
    live.getTemplateByIdAndVersion(env.EMAIL_TEMPLATE, 9)));
  assert.equal(noVersion.status, 404);
  errorOf(noVersion, 'NoResultFound');
  const notInt = check(v, 'get', await raw('GET',
    `/v2/template/${env.EMAIL_TEMPLATE}/version/one`, { key: env.KEY_LIVE }));
  assert.equal(notInt.status, 404);
  assert.equal(notInt.body.result, 'error');
  assert.equal(check(v, 'get', await client(
    live.getTemplateByIdAndVersion('x', 1))).status, 400);

  for (const type of [undefined, 'email', 'sms', 'letter']) {
    assert.equal(check('/v2/templates', 'get',
      await client(live.getAllTemplates(type))).status, 200);
  }
  errorOf(check('/v2/templates', 'get',
    await client(live.getAllTemplates('fax'))), 'ValidationError');

  const p = '/v2/template/{id}/preview';
  assert.equal(check(p, 'post', await client(
    live.previewTemplateById(env.EMAIL_TEMPLATE, PERSONALISATION))).status,
  200);
  assert.equal(check(p, 'post', await client(
    live.previewTemplateById(env.SMS_TEMPLATE, { code: '9' }))).status, 200);
  errorOf(check(p, 'post', await client(
    live.previewTemplateById(env.EMAIL_TEMPLATE, {}))), 'BadRequestError',
  'Missing personalisation: name, date, extra');
  assert.equal(check(p, 'post', await client(
    other.previewTemplateById(env.EMAIL_TEMPLATE, PERSONALISATION))).status,
  404);
  assert.equal(check(p, 'post', await raw('POST',
    `/v2/template/${env.SMS_TEMPLATE}/preview`, { body: {} })).status, 401);
});

test('GET /v2/received-text-messages: 200, 400, 403', async () => {
  assert.equal(check('/v2/received-text-messages', 'get',
    await client(live.getReceivedTexts())).status, 200);
  assert.equal(check('/v2/received-text-messages', 'get',
    await raw('GET', `/v2/received-text-messages?older_than=${NO_SUCH_ID}`,
      { key: env.KEY_LIVE })).status, 200);
  errorOf(check('/v2/received-text-messages', 'get',
    await raw('GET', '/v2/received-text-messages?older_than=x',
      { key: env.KEY_LIVE })), 'ValidationError',
  'older_than is not a valid UUID');
  const unknown = new NotifyClient(URL,
    `x-${NO_SUCH_ID}-${NO_SUCH_ID}`);
  errorOf(check('/v2/received-text-messages', 'get',
    await client(unknown.getReceivedTexts())), 'AuthError',
  'Invalid token: service not found');
});

test('429: daily limit and rate limit', async () => {
  const send = () => client(limited.sendEmail(env.LIMITED_EMAIL_TEMPLATE,
    'a@example.com', { personalisation: PERSONALISATION }));
  let daily;
  let rate;
  for (let i = 0; i < 12 && !rate; i++) {
    const res = check('/v2/notifications/email', 'post', await send());
    if (res.status === 201) continue;
    assert.equal(res.status, 429);
    if (res.body.errors[0].error === 'RateLimitError') rate = res;
    else daily = daily || res;
  }
  assert.ok(daily, 'no daily-limit 429');
  errorOf(daily, 'TooManyRequestsError', 'Exceeded send limits (email: 2) '
    + 'for today');
  assert.ok(rate, 'no rate-limit 429');
  assert.ok(Number(rate.header('Retry-After')) >= 1);
  assert.equal(rate.header('RateLimit-Remaining'), '0');
  // The bucket is shared with texts (a token may have come back meanwhile).
  const sms = check('/v2/notifications/sms', 'post', await client(
    limited.sendSms(env.LIMITED_SMS_TEMPLATE, '07700900123',
      { personalisation: { code: '1' } })));
  assert.ok([201, 429].includes(sms.status));
});

test('health: GET /, GET|POST /_status, ?simple=1, live, ready', async () => {
  for (const p of ['/', '/_status']) {
    const full = check(p, 'get', await raw('GET', p));
    assert.equal(full.status, 200);
    assert.match(full.body.db_version, /^redis /);
    assert.deepEqual(check(p, 'get', await raw('GET', `${p}?simple=1`)).body,
      { status: 'ok' });
  }
  assert.equal(check('/_status', 'post', await raw('POST', '/_status'))
    .status, 200);
  assert.equal(check('/_status', 'post', await raw('POST',
    '/_status?simple=yes')).status, 200);
  assert.equal(check('/_status/live', 'get', await raw('GET', '/_status/live'))
    .status, 200);
  assert.equal(check('/_status/ready', 'get',
    await raw('GET', '/_status/ready')).status, 200);
});

test('GET /metrics is Prometheus text', async () => {
  const m = check('/metrics', 'get', await raw('GET', '/metrics'));
  assert.equal(m.status, 200);
  assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

test('unknown routes and methods answer in the v1 shape', async () => {
  checkComponent('RouteNotFound', await raw('GET', '/nope'), 404);
  checkComponent('RouteNotFound', await raw('GET', '/v2/notification'), 404);
  const m = checkComponent('MethodNotAllowed',
    await raw('DELETE', '/v2/templates', { key: env.KEY_LIVE }), 405);
  assert.match(m.header('Allow'), /GET/);
  checkComponent('MethodNotAllowed', await raw('PUT', '/_status'), 405);
});

// Receipts need a provider that takes them: a second API on the same Redis
// with the http provider and a receipt secret.
const RECEIPT_SECRET = 'openapi-receipt-secret-0123456789';
let receiptApi;
after(() => {
  if (receiptApi && receiptApi.exitCode === null) receiptApi.kill('SIGTERM');
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

async function startReceiptApi() {
  const port = await freePort();
  let out = '';
  receiptApi = spawn(env.BODE_BIN, ['api'], {
    env: { ...env, BODE_PORT: String(port),
      BODE_REDIS_SOCKET: env.BODE_REDIS_SOCKET,
      BODE_EMAIL_PROVIDERS: 'http', BODE_SMS_PROVIDERS: 'sandbox',
      BODE_HTTP_URL: 'http://127.0.0.1:9/send',
      BODE_HTTP_CHANNELS: 'email',
      BODE_HTTP_RECEIPT_SECRET: RECEIPT_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  receiptApi.stdout.on('data', (d) => { out += d; });
  receiptApi.stderr.on('data', (d) => { out += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    assert.equal(receiptApi.exitCode, null, `bode api exited: ${out}`);
    try {
      if ((await fetch(`${base}/_status/live`)).ok) return base;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`bode api with the http provider did not start: ${out}`);
}

test('POST /notifications/receipts/{provider}: 200, 400, 403, 404',
  async () => {
    const p = '/notifications/receipts/{provider}';
    // The sandbox takes no receipts, and unknown providers are route misses.
    assert.equal(check(p, 'post', await raw('POST',
      '/notifications/receipts/sandbox', { body: {} })).status, 404);
    assert.equal(check(p, 'post', await raw('POST',
      '/notifications/receipts/nobody', { body: {} })).status, 404);

    const base = await startReceiptApi();
    const secret = { 'X-Bode-Receipt-Secret': RECEIPT_SECRET };
    const ok = check(p, 'post', await raw('POST', '/notifications/receipts/http',
      { base, headers: secret, body: [
        { reference: 'no-such-reference', status: 'delivered' },
        { id: NO_SUCH_ID, status: 'permanent-failure', detail: 'bounced' },
      ] }));
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { result: 'success', applied: 0, unknown: 2 });
    errorOf(check(p, 'post', await raw('POST', '/notifications/receipts/http',
      { base, body: { reference: 'r', status: 'delivered' } })), 'AuthError');
    errorOf(check(p, 'post', await raw('POST', '/notifications/receipts/http',
      { base, headers: secret, body: { status: 'elephant' } })),
    'BadRequestError', 'Receipt not understood');
    receiptApi.kill('SIGTERM');
  });

test('GET/POST /d/{service_id}/{document_id}[/download]: 200, 403, 404',
  async () => {
    const files = new NotifyClient(URL, env.FILES_KEY_LIVE);
    const send = async (confirm) => {
      const res = await files.sendEmail(env.FILES_FILE_TEMPLATE,
        'ada@example.com', { personalisation: { name: 'Ada',
          link_to_file: files.prepareUpload('a,b\n1,2\n',
            { filename: 'a.csv', confirmEmailBeforeDownload: confirm }) } });
      const m = res.data.content.body.match(
        /\/d\/([0-9a-f-]{36})\/([0-9a-f-]{36})\?key=([A-Za-z0-9_-]{43})/);
      assert.ok(m, res.data.content.body);
      return { sid: m[1], did: m[2], key: m[3] };
    };
    const page = '/d/{service_id}/{document_id}';
    const dl = '/d/{service_id}/{document_id}/download';
    const open = await send(false);
    check(page, 'get', await raw('GET',
      `/d/${open.sid}/${open.did}?key=${open.key}`));
    check(page, 'get', await raw('GET',
      `/d/${open.sid}/${open.did}?key=${'A'.repeat(43)}`));
    assert.equal(check(dl, 'get', await raw('GET',
      `/d/${open.sid}/${open.did}/download?key=${open.key}`)).body,
    'a,b\n1,2\n');
    check(dl, 'get', await raw('GET',
      `/d/${open.sid}/${NO_SUCH_ID}/download?key=${open.key}`));
    const asks = await send(true);
    check(dl, 'get', await raw('GET',
      `/d/${asks.sid}/${asks.did}/download?key=${asks.key}`));
    const form = (address, key = asks.key) => raw('POST',
      `/d/${asks.sid}/${asks.did}/download`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ key, email_address: address })
          .toString(),
      });
    assert.equal(check(dl, 'post', await form('bob@example.com')).status, 403);
    assert.equal(check(dl, 'post', await form('ada@example.com')).status, 200);
    assert.equal(check(dl, 'post',
      await form('ada@example.com', 'B'.repeat(43))).status, 404);
  });

test('scheduled sends and bulk jobs: 200, 201, 400, 404', async () => {
  const when = new Date(Date.now() + 3600 * 1000).toISOString();
  const sent = check('/v2/notifications/email', 'post',
    await client(live.apiClient.post('/v2/notifications/email', {
      email_address: 'a@example.com', template_id: env.EMAIL_TEMPLATE,
      personalisation: PERSONALISATION, scheduled_for: when })));
  assert.equal(sent.status, 201);
  assert.equal(sent.body.scheduled_for, when);
  const p = '/v2/notifications/{id}/cancel';
  assert.equal(check(p, 'post', await client(live.apiClient.post(
    `/v2/notifications/${sent.body.id}/cancel`, {}))).status, 200);
  errorOf(check(p, 'post', await client(live.apiClient.post(
    `/v2/notifications/${sent.body.id}/cancel`, {}))), 'BadRequestError');
  assert.equal(check(p, 'post', await client(live.apiClient.post(
    `/v2/notifications/${NO_SUCH_ID}/cancel`, {}))).status, 404);

  const bulk = '/v2/notifications/bulk';
  const job = check(bulk, 'post', await client(live.apiClient.post(bulk, {
    name: 'spec.csv', template_id: env.SMS_TEMPLATE,
    rows: [['phone number', 'code'], ['07700900123', '1']],
    scheduled_for: when })));
  assert.equal(job.status, 201);
  errorOf(check(bulk, 'post', await client(live.apiClient.post(bulk, {
    name: 'spec.csv', template_id: env.SMS_TEMPLATE,
    rows: [['phone number', 'code'], ['nope', '1']] }))),
  'BadRequestError',
  'Some rows have errors. Row 0 - `phone number`: invalid recipient.');
  const id = job.body.data.id;
  assert.equal(check(`${bulk}/{id}`, 'get', await client(
    live.apiClient.get(`${bulk}/${id}`))).status, 200);
  assert.equal(check(`${bulk}/{id}`, 'get', await client(
    live.apiClient.get(`${bulk}/${NO_SUCH_ID}`))).status, 404);
  assert.equal(check(`${bulk}/{id}/cancel`, 'post', await client(
    live.apiClient.post(`${bulk}/${id}/cancel`, {}))).status, 200);
  errorOf(check(`${bulk}/{id}/cancel`, 'post', await client(
    live.apiClient.post(`${bulk}/${id}/cancel`, {}))), 'BadRequestError');
});

test('POST /notifications/inbound/{provider}: 200, 400, 403, 404',
  async () => {
    const p = '/notifications/inbound/{provider}';
    assert.equal(check(p, 'post', await raw('POST',
      '/notifications/inbound/sandbox', { body: {} })).status, 404);
    const base = await startReceiptApi();
    const secret = { 'X-Bode-Receipt-Secret': RECEIPT_SECRET };
    require('node:child_process').execFileSync(env.BODE_BIN, ['service',
      'inbound-number', 'add', env.SERVICE_ID, '+447700900555'], { env });
    const ok = check(p, 'post', await raw('POST', '/notifications/inbound/http',
      { base, headers: secret, body: { from: '07700900123',
        to: '447700900555', message: 'Yes please', reference: 'oa-1' } }));
    assert.equal(ok.body.result, 'success');
    // With a text to list, the list is checked item by item too.
    const page = check('/v2/received-text-messages', 'get',
      await client(live.getReceivedTexts()));
    assert.ok(page.body.received_text_messages.some((t) => t.id === ok.body.id));
    const none = check(p, 'post', await raw('POST',
      '/notifications/inbound/http', { base, headers: secret,
        body: { from: '07700900123', to: '447700900556', message: 'x' } }));
    assert.deepEqual(none.body, { result: 'success' });
    errorOf(check(p, 'post', await raw('POST', '/notifications/inbound/http',
      { base, body: { from: '1', to: '2', message: 'x' } })), 'AuthError');
    errorOf(check(p, 'post', await raw('POST', '/notifications/inbound/http',
      { base, headers: secret, body: { from: '07700900123' } })),
    'BadRequestError', 'Inbound text not understood');
    receiptApi.kill('SIGTERM');
  });

test('every operation in the spec was checked against a real response',
  () => {
    const missing = [];
    for (const [p, item] of Object.entries(SPEC.paths)) {
      for (const method of METHODS.filter((x) => item[x])) {
        if (![...checked].some((c) => c.startsWith(`${method} ${p} `))) {
          missing.push(`${method.toUpperCase()} ${p}`);
        }
      }
    }
    assert.deepEqual(missing, []);
    const statuses = new Set([...checked].map((c) => c.split(' ').pop()));
    for (const s of ['200', '201', '400', '401', '403', '404', '405', '413',
      '422', '429']) {
      assert.ok(statuses.has(s), `no ${s} response was checked`);
    }
  });
