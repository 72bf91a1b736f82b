// The official Lark Node SDK (@larksuiteoapi/node-sdk) against the emulator, as a Node user
// meets it on the first day: the Open API client books, WSClient receives a meeting's events over
// the long connection, EventDispatcher behind the SDK's own HTTP adapter receives the next
// meeting's events over an encrypted webhook, and a wrong secret reaches the SDK's error path
// once, without retries. Exits 0 when every check passed, 1 at the first failure or after 90 s.
//
// Usage: node interop.js BASE_URL APP_ID APP_SECRET OWNER_OPEN_ID ENCRYPT_KEY VERIFICATION_TOKEN
'use strict';

const http = require('http');
const lark = require('@larksuiteoapi/node-sdk');

const [BASE, APP_ID, APP_SECRET, OWNER, ENCRYPT_KEY, VERIFICATION_TOKEN] = process.argv.slice(2);
const MEETING_EVENTS = [
  'vc.meeting.meeting_started_v1',
  'vc.meeting.join_meeting_v1',
  'vc.meeting.leave_meeting_v1',
  'vc.meeting.meeting_ended_v1',
];

function fail(what) {
  console.error(`FAIL ${what}`);
  process.exit(1);
}
setTimeout(() => fail('not every check finished within 90 s'), 90_000).unref();

// The SDK's log lines, kept for the checks and echoed on stderr.
const logged = [];
const logger = Object.fromEntries(
  ['error', 'warn', 'info', 'debug', 'trace'].map((level) => [
    level,
    (...args) => {
      const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      logged.push(`${level} ${line}`);
      console.error(`[sdk ${level}] ${line}`);
    },
  ]),
);

async function control(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) fail(`${method} ${path}: ${JSON.stringify(answer)}`);
  return answer;
}

const client = new lark.Client({
  appId: APP_ID,
  appSecret: APP_SECRET,
  domain: BASE,
  logger,
  loggerLevel: lark.LoggerLevel.warn,
});

/** Books a meeting with the SDK's own `vc.reserve.apply`; its reservation. */
async function book(topic) {
  const answer = await client.vc.reserve.apply({
    params: { user_id_type: 'open_id' },
    data: {
      end_time: String(Math.floor(Date.now() / 1000) + 3600),
      owner_id: OWNER,
      meeting_settings: { topic },
    },
  });
  if (answer.code !== 0 || !answer.data.reserve.id) fail(`apply: ${JSON.stringify(answer)}`);
  console.log(`ok client.vc.reserve.apply booked ${answer.data.reserve.id} (${topic})`);
  return answer.data.reserve;
}

/** Starts the reservation's meeting, lets a second user join and leave, and ends it. */
async function drive(reserve) {
  const path = `/_emulator/reserves/${reserve.id}/meeting`;
  await control('POST', path, {});
  await control('POST', `${path}/participants`, { id: 'ou_demo_bob' });
  await control('POST', `${path}/leave`, { user_id: 'ou_demo_bob' });
  await control('DELETE', path);
}

/**
 * An EventDispatcher recording each meeting event it hands to a handler; `done` resolves once the
 * meeting numbered `meetingNo()` has ended.
 */
function recorder(options, meetingNo) {
  const seen = [];
  let ended;
  const done = new Promise((resolve) => (ended = resolve));
  const handlers = Object.fromEntries(
    MEETING_EVENTS.map((type) => [
      type,
      async (data) => {
        const meeting = data.meeting || (data.event && data.event.meeting) || {};
        seen.push({ type, id: data.event_id, meetingNo: meeting.meeting_no });
        if (type === 'vc.meeting.meeting_ended_v1' && meeting.meeting_no === meetingNo()) ended();
      },
    ]),
  );
  const dispatcher = new lark.EventDispatcher({ ...options, logger, loggerLevel: lark.LoggerLevel.warn });
  return { dispatcher: dispatcher.register(handlers), seen, done };
}

/** The events of one meeting arrived once each, in the order they happened. */
function checkArrivals(how, seen, meetingNo) {
  const mine = seen.filter((e) => e.meetingNo === meetingNo);
  const types = mine.map((e) => e.type);
  const expected = [
    'vc.meeting.meeting_started_v1',
    'vc.meeting.join_meeting_v1',
    'vc.meeting.join_meeting_v1',
    'vc.meeting.leave_meeting_v1',
  ];
  if (JSON.stringify(types.slice(0, 4)) !== JSON.stringify(expected) || types.at(-1) !== 'vc.meeting.meeting_ended_v1') {
    fail(`${how}: events of meeting ${meetingNo} arrived as ${JSON.stringify(types)}`);
  }
  const ids = mine.map((e) => e.id);
  if (new Set(ids).size !== ids.length) fail(`${how}: an event was handled twice: ${JSON.stringify(ids)}`);
  console.log(`ok ${how} received meeting ${meetingNo}: ${types.length} events once each, in order`);
}

function within(ms, promise, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(what)), ms))]).catch((e) =>
    fail(e.message),
  );
}

async function longConnection() {
  let reserve = null;
  const { dispatcher, seen, done } = recorder({}, () => reserve && reserve.meeting_no);
  let ready;
  const connected = new Promise((resolve) => (ready = resolve));
  const ws = new lark.WSClient({
    appId: APP_ID,
    appSecret: APP_SECRET,
    domain: BASE,
    logger,
    loggerLevel: lark.LoggerLevel.info,
    onReady: () => ready(),
    onError: (e) => fail(`WSClient with the printed demo credentials: ${e.message}`),
  });
  ws.start({ eventDispatcher: dispatcher });
  await within(15_000, connected, 'WSClient with the printed demo credentials never became ready');
  console.log('ok WSClient connected with the demo credentials the emulator printed');
  reserve = await book('node-sdk long connection');
  await drive(reserve);
  await within(20_000, done, 'WSClient never received the meeting_ended_v1 of its meeting');
  // Give the SDK time to acknowledge the last event, then make sure nothing comes twice.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  ws.close({ force: true });
  checkArrivals('WSClient', seen, reserve.meeting_no);
}

async function webhook() {
  let reserve = null;
  const { dispatcher, seen, done } = recorder(
    { encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN },
    () => reserve && reserve.meeting_no,
  );
  const server = http.createServer(lark.adaptDefault('/events', dispatcher, { autoChallenge: true }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/events`;
  // The emulator sends the encrypted URL-verification challenge; the adapter must echo it.
  await control('POST', '/_emulator/event_callbacks', { url });
  console.log('ok adaptDefault answered the encrypted URL-verification challenge');
  reserve = await book('node-sdk webhook');
  await drive(reserve);
  await within(20_000, done, 'EventDispatcher never received the meeting_ended_v1 of its meeting');
  await new Promise((resolve) => setTimeout(resolve, 500));
  server.close();
  checkArrivals('EventDispatcher over an encrypted webhook', seen, reserve.meeting_no);
}

async function wrongSecret() {
  const before = logged.length;
  let reported;
  const refused = new Promise((resolve) => (reported = resolve));
  const ws = new lark.WSClient({
    appId: APP_ID,
    appSecret: 'not-the-secret',
    domain: BASE,
    logger,
    loggerLevel: lark.LoggerLevel.info,
    onReady: () => fail('WSClient with a wrong secret reported ready'),
    onError: (e) => reported(e),
  });
  ws.start({ eventDispatcher: new lark.EventDispatcher({}) });
  const error = await within(15_000, refused, 'a wrong secret never reached WSClient.onError');
  if (!/10014/.test(error.message)) fail(`the wrong secret was reported as: ${error.message}`);
  // No retries after a refusal: one endpoint call in the next 3 s, not a loop.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const attempts = logged.slice(before).filter((l) => l.includes('code: 10014')).length;
  if (attempts !== 1) fail(`the wrong secret was tried ${attempts} times`);
  ws.close({ force: true });
  console.log(`ok a wrong secret reached WSClient.onError once (${error.message}), no retries`);
}

(async () => {
  await longConnection();
  await webhook();
  await wrongSecret();
  console.log('ok every Node SDK check passed');
  process.exit(0);
})().catch((e) => fail(e.stack || String(e)));
