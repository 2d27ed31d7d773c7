// Sending a file by email with the official GOV.UK Notify Node client:
// prepareUpload + sendEmail against Bode, then the download link the
// recipient gets, with and without email confirmation, and Notify's error
// texts for uploads the client lets through. run_contract.py provides a
// running API and the FILES_ service (with a file contact) and template.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { NotifyClient } = require('notifications-node-client');

const env = process.env;
const URL = env.BODE_URL;
const files = new NotifyClient(URL, env.FILES_KEY_LIVE);
const noContact = new NotifyClient(URL, env.KEY_LIVE);
const LINK = /(http:\/\/[^\s)]+)\/d\/([0-9a-f-]{36})\/([0-9a-f-]{36})\?key=([A-Za-z0-9_-]{43})/;

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
  assert.deepEqual(res.data, { status_code: status,
    errors: [{ error, message }] });
}

async function send(to, upload) {
  const res = await files.sendEmail(env.FILES_FILE_TEMPLATE, to,
    { personalisation: { name: 'Ada', link_to_file: upload } });
  assert.equal(res.status, 201);
  const m = res.data.content.body.match(LINK);
  assert.ok(m, res.data.content.body);
  return { res, link: m[0], sid: m[2], did: m[3], key: m[4] };
}

test('prepareUpload + sendEmail: the link serves the file', async () => {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'),
    Buffer.alloc(5000, 7)]);
  const upload = files.prepareUpload(pdf, { filename: 'letter.pdf',
    confirmEmailBeforeDownload: false, retentionPeriod: '4 weeks' });
  const { res, link, sid, did, key } = await send('ada@example.com', upload);
  assert.equal(sid, env.FILES_SERVICE_ID);
  assert.match(res.data.content.body,
    /^Hello Ada, download your file: http:\/\//);
  // The notification, as the client reads it back, has the link only.
  const got = await files.getNotificationById(res.data.id);
  assert.ok(got.data.body.includes(link));
  assert.ok(!got.data.body.includes(upload.file.slice(0, 40)));

  const page = await fetch(link);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /You have a file to download/);
  assert.match(html, /files@example\.gov\.uk/);
  const file = await fetch(`${URL}/d/${sid}/${did}/download?key=${key}`);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'application/pdf');
  assert.equal(file.headers.get('content-disposition'),
    'attachment; filename="letter.pdf"; filename*=UTF-8\'\'letter.pdf');
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), pdf);
});

test('confirmEmailBeforeDownload (the default) asks for the address',
  async () => {
    const csv = 'name,date\nAda,1 May\n';
    const upload = files.prepareUpload(csv, { filename: 'dates.csv' });
    assert.equal(upload.confirm_email_before_download, null);
    const { sid, did, key } = await send('grace@example.com', upload);
    const direct = await fetch(`${URL}/d/${sid}/${did}/download?key=${key}`);
    assert.equal(direct.status, 403);
    assert.ok(!(await direct.text()).includes('Ada,1 May'));
    const post = (address) => fetch(`${URL}/d/${sid}/${did}/download`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key, email_address: address }).toString(),
    });
    const wrong = await post('ada@example.com');
    assert.equal(wrong.status, 403);
    assert.match(await wrong.text(), /This is not the email address/);
    const right = await post('Grace@Example.com');
    assert.equal(right.status, 200);
    assert.equal(right.headers.get('content-type'), 'text/csv');
    assert.equal(await right.text(), csv);
  });

test('uploads the client lets through get Notify\'s errors', async () => {
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n');
  const send2 = (client, upload) => client.sendEmail(
    env.FILES_FILE_TEMPLATE, 'ada@example.com',
    { personalisation: { name: 'Ada', link_to_file: upload } });
  await expectError(send2(files, files.prepareUpload(pdf,
    { retentionPeriod: '80 weeks' })), 400, 'ValidationError',
  'personalisation Unsupported value for retention_period: 80 weeks. '
    + 'Supported periods are from 1 to 78 weeks.');
  await expectError(send2(files, files.prepareUpload(pdf,
    { filename: 'noextension' })), 400, 'ValidationError',
  'personalisation `filename` must end with a file extension. For '
    + 'example, filename.csv');
  await expectError(send2(files, files.prepareUpload(pdf,
    { filename: 'tool.exe' })), 400, 'BadRequestError',
  'Unsupported file type \'.exe\'. Supported types are: \'.csv, .doc, '
    + '.docx, .jpeg, .jpg, .odt, .pdf, .png, .rtf, .txt, .xlsx\'');
  // The contract service has no file contact.
  const res = await failure(noContact.sendEmail(env.EMAIL_TEMPLATE,
    'ada@example.com', { personalisation: { name: 'Ada', date: '1 May',
      extra: files.prepareUpload(pdf) } }));
  assert.equal(res.status, 400);
  assert.match(res.data.errors[0].message,
    /^Send files by email has not been set up - /);
  // The client refuses more than 2 MB itself, with its own text.
  assert.throws(() => files.prepareUpload(Buffer.alloc(2 * 1024 * 1024 + 1)),
    /File is larger than 2MB/);
});
