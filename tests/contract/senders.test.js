// Email reply-to addresses and SMS senders through the official Notify
// Node client: emailReplyToId and smsSenderId choose one of the service's,
// another service's id gets Notify's BadRequestError, and the sandbox
// provider is handed the sender chosen.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { NotifyClient } = require('notifications-node-client');

const env = process.env;
const live = new NotifyClient(env.BODE_URL, env.KEY_LIVE);
const OUTBOX = path.join(path.dirname(env.BODE_REDIS_SOCKET), 'outbox.jsonl');

function bode(...args) {
  return execFileSync(env.BODE_BIN, args, { env }).toString().trim();
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

async function outboxEntry(id) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (fs.existsSync(OUTBOX)) {
      const found = fs.readFileSync(OUTBOX, 'utf8').split('\n')
        .filter((l) => l).map((l) => JSON.parse(l)).find((m) => m.id === id);
      if (found) return found;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${id} never reached the sandbox outbox`);
}

const sid = env.SERVICE_ID;
const replyTo = bode('service', 'reply-to', 'add', sid, 'replies@example.gov.uk');
const sender = bode('service', 'sms-sender', 'add', sid, 'COUNCIL');
const theirs = bode('service', 'reply-to', 'add', env.OTHER_SERVICE_ID,
  'other@example.gov.uk');
const theirSender = bode('service', 'sms-sender', 'add', env.OTHER_SERVICE_ID,
  'OTHERS');

test('sendEmail with emailReplyToId sets the Reply-To', async () => {
  const res = await live.sendEmail(env.EMAIL_TEMPLATE, 'someone@example.com', {
    personalisation: { name: 'Ada', date: '1 May', extra: 'yes' },
    emailReplyToId: replyTo,
  });
  assert.equal(res.status, 201);
  const sent = await outboxEntry(res.data.id);
  assert.equal(sent.reply_to, 'replies@example.gov.uk');
});

test('sendSms with smsSenderId sends from that sender', async () => {
  const res = await live.sendSms(env.SMS_TEMPLATE, '07700 900123', {
    personalisation: { code: '1' },
    smsSenderId: sender,
  });
  assert.equal(res.status, 201);
  assert.equal(res.data.content.from_number, 'COUNCIL');
  const sent = await outboxEntry(res.data.id);
  assert.equal(sent.sms_sender, 'COUNCIL');
});

test('ids of another service get Notify\'s BadRequestError', async () => {
  let res = await failure(live.sendEmail(env.EMAIL_TEMPLATE,
    'someone@example.com', {
      personalisation: { name: 'Ada', date: '1 May', extra: 'yes' },
      emailReplyToId: theirs,
    }));
  assert.equal(res.status, 400);
  assert.deepEqual(res.data.errors, [{
    error: 'BadRequestError',
    message: `email_reply_to_id ${theirs} does not exist in database for ` +
      `service id ${sid}`,
  }]);
  res = await failure(live.sendSms(env.SMS_TEMPLATE, '07700 900123', {
    personalisation: { code: '1' },
    smsSenderId: theirSender,
  }));
  assert.equal(res.status, 400);
  assert.deepEqual(res.data.errors, [{
    error: 'BadRequestError',
    message: `sms_sender_id ${theirSender} does not exist in database for ` +
      `service id ${sid}`,
  }]);
});
