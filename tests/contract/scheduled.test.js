// Scheduled sending and bulk jobs through the official GOV.UK Notify Node
// client. The client's sendEmail/sendSms accept no scheduled_for option
// (checkOptionsKeys refuses unknown keys) and it has no bulk method, so
// these go through the client's own signed request path (apiClient.post
// and apiClient.get: its JWT, its User-Agent, its error handling), as a
// GC Notify user of this client would. run_contract.py provides the API,
// the services, keys and templates named in the environment.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { NotifyClient } = require('notifications-node-client');

const env = process.env;
const URL = env.BODE_URL;
const live = new NotifyClient(URL, env.KEY_LIVE);

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

function ahead(seconds) {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err.response, `no HTTP response: ${err.message}`);
    return err.response;
  }
  assert.fail('expected the call to fail');
}

test('the client refuses scheduled_for in sendEmail options', async () => {
  await assert.rejects(live.sendEmail(env.EMAIL_TEMPLATE, 'a@example.com', {
    scheduled_for: ahead(60),
  }), /options configuration object/);
});

test('scheduled_for is honoured, echoed and cancellable', async () => {
  const when = ahead(3600);
  const res = await live.apiClient.post('/v2/notifications/email', {
    email_address: 'someone@example.com',
    template_id: env.EMAIL_TEMPLATE,
    personalisation: { name: 'Ada', date: '1 May', extra: 'yes' },
    scheduled_for: when,
  });
  assert.equal(res.status, 201);
  assert.equal(res.data.scheduled_for, when);
  const got = await live.getNotificationById(res.data.id);
  assert.equal(got.data.status, 'created');
  assert.match(got.data.scheduled_for, TIME);
  assert.equal(got.data.scheduled_for.slice(0, 19), when.slice(0, 19));

  const cancelled = await live.apiClient.post(
    `/v2/notifications/${res.data.id}/cancel`, {});
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.data.status, 'cancelled');
  const again = await live.getNotificationById(res.data.id);
  assert.equal(again.data.status, 'cancelled');
  const filtered = await live.getNotifications('email', 'cancelled');
  assert.ok(filtered.data.notifications.some((n) => n.id === res.data.id));
});

test('scheduled_for errors are GC Notify\'s', async () => {
  const res = await failure(live.apiClient.post('/v2/notifications/sms', {
    phone_number: '07700900123',
    template_id: env.SMS_TEMPLATE,
    personalisation: { code: '1' },
    scheduled_for: ahead(97 * 3600),
  }));
  assert.equal(res.status, 400);
  assert.deepEqual(res.data, {
    status_code: 400,
    errors: [{
      error: 'ValidationError',
      message: 'scheduled_for datetime can only be up to 96 hours in the future',
    }],
  });
});

test('a bulk job is created, read back and cancelled', async () => {
  const res = await live.apiClient.post('/v2/notifications/bulk', {
    name: 'contract.csv',
    template_id: env.SMS_TEMPLATE,
    csv: 'phone number,code\n07700900123,1\n07700900124,2\n',
    scheduled_for: ahead(3600),
  });
  assert.equal(res.status, 201);
  const job = res.data.data;
  assert.equal(job.job_status, 'scheduled');
  assert.equal(job.notification_count, 2);
  assert.equal(job.original_file_name, 'contract.csv');
  assert.equal(job.api_key.key_type, 'normal');
  const got = await live.apiClient.get(`/v2/notifications/bulk/${job.id}`);
  assert.deepEqual(got.data.data.statistics,
    [{ status: 'created', count: 2 }]);
  const cancelled = await live.apiClient.post(
    `/v2/notifications/bulk/${job.id}/cancel`, {});
  assert.equal(cancelled.data.data.job_status, 'cancelled');
});
