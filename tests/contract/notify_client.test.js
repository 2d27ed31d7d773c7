// The official GOV.UK Notify Node client against Bode: every client method,
// success and error paths, with Notify's exact shapes and texts.
// run_contract.py provides a running API and the services, keys and
// templates named in the environment.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { NotifyClient } = require('notifications-node-client');

const env = process.env;
const URL = env.BODE_URL;
const live = new NotifyClient(URL, env.KEY_LIVE);
const team = new NotifyClient(URL, env.KEY_TEAM);
const testKey = new NotifyClient(URL, env.KEY_TEST);
const other = new NotifyClient(URL, env.OTHER_KEY_LIVE);
const trial = new NotifyClient(URL, env.TRIAL_KEY_LIVE);
const limited = new NotifyClient(URL, env.LIMITED_KEY_LIVE);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const PERSONALISATION = { name: 'Ada', date: '1 May', extra: 'yes' };

// Resolves to the error response of a call that must fail.
async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err.response, `no HTTP response: ${err.message}`);
    return err.response;
  }
  assert.fail('expected the call to fail');
}

async function expectError(promise, status, error, message) {
  const res = await failure(promise);
  assert.equal(res.status, status);
  assert.equal(res.data.status_code, status);
  assert.ok(Array.isArray(res.data.errors), JSON.stringify(res.data));
  const found = res.data.errors.find((e) => e.message === message);
  assert.ok(found, `no "${message}" in ${JSON.stringify(res.data.errors)}`);
  assert.equal(found.error, error);
}

// Polls until the notification reaches status (the worker delivers
// through the sandbox provider; test keys follow the magic recipients).
async function waitForStatus(client, id, status) {
  const deadline = Date.now() + 20000;
  let last;
  while (Date.now() < deadline) {
    last = (await client.getNotificationById(id)).data;
    if (last.status === status) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${id} is ${last && last.status}, not ${status}`);
}

function bode(...args) {
  return execFileSync(env.BODE_BIN, args, { env }).toString().trim();
}

test('sendEmail returns Notify\'s 201 body', async () => {
  const res = await live.sendEmail(env.EMAIL_TEMPLATE, 'Someone@Example.com', {
    personalisation: PERSONALISATION,
    reference: 'ref-email-1',
  });
  assert.equal(res.status, 201);
  const d = res.data;
  assert.match(d.id, UUID);
  assert.equal(d.reference, 'ref-email-1');
  assert.equal(d.uri, `${URL}/v2/notifications/${d.id}`);
  assert.equal(d.template.id, env.EMAIL_TEMPLATE);
  assert.equal(d.template.version, 1);
  assert.equal(d.template.uri,
    `${URL}/services/${env.SERVICE_ID}/templates/${env.EMAIL_TEMPLATE}`);
  assert.equal(d.scheduled_for, null);
  assert.equal(d.content.subject, 'Hello Ada');
  assert.equal(d.content.body,
    'Dear Ada,\n\nYour appointment is on 1 May.\n\nBring your letter.');
  assert.match(d.content.from_email, /@/);
  assert.equal(d.content.one_click_unsubscribe_url, null);
  assert.deepEqual(d.sanitised_content, {});

  const got = await live.getNotificationById(d.id);
  assert.equal(got.status, 200);
  assert.equal(got.data.id, d.id);
  assert.equal(got.data.type, 'email');
  assert.equal(got.data.email_address, 'someone@example.com');
  assert.equal(got.data.phone_number, null);
  // The worker may already have taken it.
  assert.ok(['created', 'sending', 'delivered'].includes(got.data.status));
  assert.equal(got.data.reference, 'ref-email-1');
  assert.equal(got.data.subject, 'Hello Ada');
  assert.match(got.data.created_at, TIME);
  // The worker may already have delivered it.
  if (got.data.status === 'created') {
    assert.equal(got.data.sent_at, null);
    assert.equal(got.data.completed_at, null);
  } else {
    assert.match(got.data.sent_at, TIME);
  }
  assert.equal(got.data.template.uri,
    `${URL}/v2/template/${env.EMAIL_TEMPLATE}/version/1`);
  assert.equal(got.data.cost_in_pounds, 0);
  assert.equal(got.data.is_cost_data_ready, true);
  for (const key of ['line_1', 'line_6', 'postcode', 'postage',
    'created_by_name', 'scheduled_for', 'one_click_unsubscribe_url']) {
    assert.ok(key in got.data, `missing ${key}`);
  }
});

test('sendSms returns the rendered text and the sender', async () => {
  const res = await live.sendSms(env.SMS_TEMPLATE, '07700 900123', {
    personalisation: { code: '123456' },
    reference: null,
  });
  assert.equal(res.status, 201);
  assert.equal(res.data.content.body, 'Your code is 123456');
  assert.equal(typeof res.data.content.from_number, 'string');
  assert.equal(res.data.reference, null);
  const got = await live.getNotificationById(res.data.id);
  assert.equal(got.data.phone_number, '447700900123');
  assert.equal(got.data.type, 'sms');
  // Cost data is ready once a provider has the message, as in Notify; the
  // worker may already have sent it.
  if (got.data.status === 'created') {
    assert.equal(got.data.is_cost_data_ready, false);
    assert.equal(got.data.cost_in_pounds, null);
  } else {
    assert.equal(got.data.is_cost_data_ready, true);
    assert.equal(got.data.cost_in_pounds, 0);
  }
});

test('letters are refused as Notify refuses a service without them',
  async () => {
    await expectError(live.sendLetter(env.EMAIL_TEMPLATE, {
      personalisation: { address_line_1: 'A', address_line_2: 'B',
        address_line_3: 'SW1A 1AA' },
    }), 400, 'BadRequestError', 'Service is not allowed to send letters');
    await expectError(live.sendPrecompiledLetter('ref', Buffer.from('%PDF')),
      400, 'BadRequestError', 'Service is not allowed to send letters');
  });

test('validation errors use Notify\'s texts', async () => {
  await expectError(live.sendEmail(env.EMAIL_TEMPLATE, 'not-an-email',
    { personalisation: PERSONALISATION }), 400, 'ValidationError',
  'email_address Not a valid email address');
  await expectError(live.sendSms(env.SMS_TEMPLATE, '0772345678910',
    { personalisation: { code: '1' } }), 400, 'ValidationError',
  'phone_number Too many digits');
  await expectError(live.sendEmail('not-a-uuid', 'a@example.com', {}), 400,
    'ValidationError', 'template_id is not a valid UUID');
  await expectError(live.sendEmail(env.EMAIL_TEMPLATE, 'a@example.com',
    { personalisation: { name: 'Ada' } }), 400, 'BadRequestError',
  'Missing personalisation: date, extra');
  await expectError(live.sendSms(env.EMAIL_TEMPLATE, '07700900123', {}),
    400, 'BadRequestError', 'email template is not suitable for sms notification');
  await expectError(live.sendEmail('00000000-0000-4000-8000-000000000000',
    'a@example.com', {}), 400, 'BadRequestError', 'Template not found');
  await expectError(live.sendEmail(env.EMAIL_TEMPLATE, 'a@example.com', {
    personalisation: PERSONALISATION, reference: 'x'.repeat(1001),
  }), 400, 'ValidationError', `reference ${'x'.repeat(1001)} is too long`);
});

test('getPdfForLetterNotification answers as for a non-letter', async () => {
  const sms = await live.sendSms(env.SMS_TEMPLATE, '07700900126',
    { personalisation: { code: '1' } });
  await expectError(live.getPdfForLetterNotification(sms.data.id), 400,
    'BadRequestError', 'Notification is not a letter');
  await expectError(live.getPdfForLetterNotification(
    '00000000-0000-4000-8000-000000000000'), 404, 'NoResultFound',
  'No result found');
});

test('notifications are delivered and test keys follow Notify\'s magic '
  + 'recipients', async () => {
  const email = await live.sendEmail(env.EMAIL_TEMPLATE, 'a@example.com',
    { personalisation: PERSONALISATION });
  const done = await waitForStatus(live, email.data.id, 'delivered');
  assert.match(done.sent_at, TIME);
  assert.match(done.completed_at, TIME);
  const sms = await live.sendSms(env.SMS_TEMPLATE, '07700900123',
    { personalisation: { code: '5' } });
  const smsDone = await waitForStatus(live, sms.data.id, 'delivered');
  assert.equal(smsDone.is_cost_data_ready, true);
  assert.equal(smsDone.cost_details.billable_sms_fragments, 1);
  const cases = [
    ['sms', '07700900003', 'temporary-failure'],
    ['sms', '07700900002', 'permanent-failure'],
    ['email', 'temp-fail@simulator.notify', 'temporary-failure'],
    ['email', 'perm-fail@simulator.notify', 'permanent-failure'],
    ['email', 'x@example.com', 'delivered'],
  ];
  for (const [kind, to, want] of cases) {
    const r = kind === 'sms'
      ? await testKey.sendSms(env.SMS_TEMPLATE, to,
        { personalisation: { code: '5' } })
      : await testKey.sendEmail(env.EMAIL_TEMPLATE, to,
        { personalisation: PERSONALISATION });
    await waitForStatus(testKey, r.data.id, want);
  }
});

test('getNotificationById errors', async () => {
  await expectError(live.getNotificationById('nope'), 400, 'ValidationError',
    'notification_id is not a valid UUID');
  await expectError(live.getNotificationById(
    '00000000-0000-4000-8000-000000000000'), 404, 'NoResultFound',
  'No result found');
});

test('services are isolated from each other', async () => {
  const mine = await live.sendSms(env.SMS_TEMPLATE, '07700900124',
    { personalisation: { code: '1' } });
  await expectError(other.getNotificationById(mine.data.id), 404,
    'NoResultFound', 'No result found');
  await expectError(other.getTemplateById(env.SMS_TEMPLATE), 404,
    'NoResultFound', 'No result found');
  await expectError(other.sendSms(env.SMS_TEMPLATE, '07700900124',
    { personalisation: { code: '1' } }), 400, 'BadRequestError',
  'Template not found');
  const list = await other.getNotifications();
  assert.ok(list.data.notifications.every((n) => n.id !== mine.data.id));
});

test('getNotifications filters, pages and hides other key types',
  async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = await live.sendSms(env.SMS_TEMPLATE, '07700900125', {
        personalisation: { code: String(i) }, reference: 'page-ref',
      });
      ids.push(r.data.id);
    }
    const t = await testKey.sendSms(env.SMS_TEMPLATE, '07700900125', {
      personalisation: { code: 'T' }, reference: 'page-ref',
    });
    const all = await live.getNotifications('sms', null, 'page-ref');
    assert.equal(all.status, 200);
    assert.deepEqual(all.data.notifications.map((n) => n.id),
      ids.slice().reverse());
    assert.ok(all.data.links.current.startsWith(`${URL}/v2/notifications?`));
    assert.ok(all.data.links.next.includes(`older_than=${ids[0]}`));
    const older = await live.getNotifications('sms', null, 'page-ref',
      ids[2]);
    assert.deepEqual(older.data.notifications.map((n) => n.id),
      [ids[1], ids[0]]);
    const none = await live.getNotifications('sms', 'technical-failure',
      'page-ref');
    assert.deepEqual(none.data.notifications, []);
    assert.equal(none.data.links.next, undefined);
    const mine = await testKey.getNotifications(null, null, 'page-ref');
    assert.deepEqual(mine.data.notifications.map((n) => n.id), [t.data.id]);
    const letters = await live.getNotifications('letter');
    assert.deepEqual(letters.data.notifications, []);
    await expectError(live.getNotifications('sms', 'elephant'), 400,
      'ValidationError', 'status elephant is not one of [cancelled, created, '
      + 'sending, sent, delivered, pending, failed, technical-failure, '
      + 'temporary-failure, permanent-failure, pending-virus-check, '
      + 'validation-failed, virus-scan-failed, returned-letter, accepted, '
      + 'received]');
    await expectError(live.getNotifications('fax'), 400, 'ValidationError',
      'template_type fax is not one of [sms, email, letter]');
  });

test('templates: get, get version, list and preview', async () => {
  const t = await live.getTemplateById(env.EMAIL_TEMPLATE);
  assert.equal(t.status, 200);
  assert.equal(t.data.id, env.EMAIL_TEMPLATE);
  assert.equal(t.data.type, 'email');
  assert.equal(t.data.version, 1);
  assert.equal(t.data.name, 'Appointment');
  assert.equal(t.data.subject, 'Hello ((name))');
  assert.match(t.data.created_at, TIME);
  assert.equal(t.data.updated_at, null);
  assert.deepEqual(t.data.personalisation, {
    name: { required: true }, date: { required: true },
    extra: { required: true },
  });
  assert.equal(t.data.postage, null);
  assert.equal(t.data.letter_contact_block, null);
  const v1 = await live.getTemplateByIdAndVersion(env.EMAIL_TEMPLATE, 1);
  assert.equal(v1.data.version, 1);
  await expectError(live.getTemplateByIdAndVersion(env.EMAIL_TEMPLATE, 9),
    404, 'NoResultFound', 'No result found');
  await expectError(live.getTemplateById('x'), 400, 'ValidationError',
    'id is not a valid UUID');
  const emails = await live.getAllTemplates('email');
  assert.deepEqual(emails.data.templates.map((x) => x.id),
    [env.EMAIL_TEMPLATE]);
  const all = await live.getAllTemplates();
  assert.equal(all.data.templates.length, 2);
  const p = await live.previewTemplateById(env.EMAIL_TEMPLATE,
    PERSONALISATION);
  assert.equal(p.status, 200);
  assert.equal(p.data.subject, 'Hello Ada');
  assert.ok(p.data.html.includes('Ada'));
  assert.equal(p.data.body,
    'Dear Ada,\n\nYour appointment is on 1 May.\n\nBring your letter.');
  const sms = await live.previewTemplateById(env.SMS_TEMPLATE, { code: '9' });
  assert.equal(sms.data.body, 'Your code is 9');
  assert.equal(sms.data.html, null);
  await expectError(live.previewTemplateById(env.EMAIL_TEMPLATE, {}), 400,
    'BadRequestError', 'Missing personalisation: name, date, extra');
});

test('getReceivedTexts returns an empty page', async () => {
  const r = await live.getReceivedTexts();
  assert.equal(r.status, 200);
  assert.deepEqual(r.data.received_text_messages, []);
  assert.equal(r.data.links.current, `${URL}/v2/received-text-messages`);
  assert.equal(r.data.links.next, undefined);
});

test('team keys only reach the team', async () => {
  await expectError(team.sendEmail(env.EMAIL_TEMPLATE, 'stranger@example.com',
    { personalisation: PERSONALISATION }), 400, 'BadRequestError',
  'Can\u2019t send to this recipient using a team-only API key');
  const ok = await team.sendEmail(env.EMAIL_TEMPLATE,
    'Team.Member@example.gov.uk', { personalisation: PERSONALISATION });
  assert.equal(ok.status, 201);
  const sms = await team.sendSms(env.SMS_TEMPLATE, '+44 7700 900456',
    { personalisation: { code: '1' } });
  assert.equal(sms.status, 201);
});

test('trial services only reach the team with a live key', async () => {
  await expectError(trial.sendSms(env.TRIAL_SMS_TEMPLATE, '07700900999',
    { personalisation: { code: '1' } }), 400, 'BadRequestError',
  'Can\u2019t send to this recipient when service is in trial mode \u2013 '
  + 'see https://www.notifications.service.gov.uk/trial-mode');
  const ok = await trial.sendSms(env.TRIAL_SMS_TEMPLATE, '07700900456',
    { personalisation: { code: '1' } });
  assert.equal(ok.status, 201);
});

test('test keys accept any recipient and are recorded as test', async () => {
  const r = await testKey.sendEmail(env.EMAIL_TEMPLATE,
    'perm-fail@simulator.notify', { personalisation: PERSONALISATION });
  assert.equal(r.status, 201);
  await waitForStatus(testKey, r.data.id, 'permanent-failure');
});

test('smoke-test recipients get a 201 and nothing is stored', async () => {
  const r = await live.sendEmail(env.EMAIL_TEMPLATE,
    'simulate-delivered@notifications.service.gov.uk',
    { personalisation: PERSONALISATION });
  assert.equal(r.status, 201);
  assert.match(r.data.id, UUID);
  await expectError(live.getNotificationById(r.data.id), 404,
    'NoResultFound', 'No result found');
  const s = await live.sendSms(env.SMS_TEMPLATE, '07700900111',
    { personalisation: { code: '1' } });
  assert.equal(s.status, 201);
  await expectError(live.getNotificationById(s.data.id), 404,
    'NoResultFound', 'No result found');
});

test('authentication errors', async () => {
  const wrongSecret = `bad-${env.SERVICE_ID}-00000000-0000-4000-8000-000000000000`;
  await expectError(new NotifyClient(URL, wrongSecret).getAllTemplates(), 403,
    'AuthError', 'Invalid token: API key not found');
  const unknown = 'x-00000000-0000-4000-8000-000000000000-'
    + '00000000-0000-4000-8000-000000000000';
  await expectError(new NotifyClient(URL, unknown).getAllTemplates(), 403,
    'AuthError', 'Invalid token: service not found');

  const key = bode('key', 'create', env.SERVICE_ID, '--type', 'live',
    '--json');
  const made = JSON.parse(key);
  const soon = new NotifyClient(URL, made.key);
  assert.equal((await soon.getAllTemplates()).status, 200);
  bode('key', 'revoke', env.SERVICE_ID, made.id);
  await new Promise((r) => setTimeout(r, 400)); // the API caches 200 ms
  await expectError(soon.getAllTemplates(), 403, 'AuthError',
    'Invalid token: API key revoked');
});

test('rate limits and daily limits answer 429', async () => {
  const send = () => limited.sendEmail(env.LIMITED_EMAIL_TEMPLATE,
    'a@example.com', { personalisation: PERSONALISATION });
  const first = await send();
  assert.equal(first.status, 201);
  assert.equal(first.headers['ratelimit-limit'], '6');
  await send();
  await expectError(send(), 429, 'TooManyRequestsError',
    'Exceeded send limits (email: 2) for today');
  const res = await failure(send());
  assert.equal(res.status, 429);
  assert.equal(res.data.errors[0].error, 'RateLimitError');
  assert.equal(res.data.errors[0].message,
    'Exceeded rate limit for key type LIVE of 6 requests per 60 seconds');
  assert.ok(Number(res.headers['retry-after']) >= 1);
});
