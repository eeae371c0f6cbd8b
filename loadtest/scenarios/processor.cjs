// Artillery processor speaking PROTOCOL.md. The ws engine has no latency metric of its own,
// so the functions here emit them:
//   chat.relay_ms  partner's send → our receipt (the text carries the send time; one clock:
//                  every VU runs on the load-generating machine)
//   chat.ack_ms    our message → its ack          chat.pair_ms  join → paired
//   room.relay_ms  a room line's send → receipt by another member
'use strict';

const FRAME_TIMEOUT_MS = Number(process.env.FRAME_TIMEOUT_MS || 15000);

/** Gateway base URLs: TARGETS (comma-separated) or the config target. */
function pickBase(fallback) {
  const list = (process.env.TARGETS || process.env.TARGET || fallback || '').split(',').filter(Boolean);
  return list[Math.floor(Math.random() * list.length)].replace(/\/$/, '');
}

/** Per-VU state: frames not yet awaited, and who is waiting for which frame type. */
function state(context) {
  if (!context.strangers) context.strangers = { frames: [], waiters: [], paired: false, sent: 0 };
  return context.strangers;
}

function connectChat(wsArgs, context, done) {
  wsArgs.target = `${pickBase(wsArgs.target)}/ws`;
  done();
}

function connectRoom(wsArgs, context, done) {
  context.vars.user = `lt_${Math.random().toString(36).slice(2, 10)}`;
  wsArgs.target = `${pickBase(wsArgs.target)}/chat/${context.vars.user}`;
  done();
}

/** Resolves with the next frame matching `match`, or null after the timeout. */
function waitFor(context, match, timeoutMs = FRAME_TIMEOUT_MS) {
  const s = state(context);
  const index = s.frames.findIndex(match);
  if (index >= 0) return Promise.resolve(s.frames.splice(index, 1)[0]);
  return new Promise((resolve) => {
    const waiter = { match, resolve };
    waiter.timer = setTimeout(() => {
      s.waiters.splice(s.waiters.indexOf(waiter), 1);
      resolve(null);
    }, timeoutMs);
    s.waiters.push(waiter);
  });
}

function deliver(s, frame) {
  const index = s.waiters.findIndex((waiter) => waiter.match(frame));
  if (index < 0) {
    if (s.frames.length < 100) s.frames.push(frame);
    return;
  }
  const [waiter] = s.waiters.splice(index, 1);
  clearTimeout(waiter.timer);
  waiter.resolve(frame);
}

function onChatFrame(context, events, raw) {
  const s = state(context);
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch {
    events.emit('counter', 'chat.bad_frame', 1);
    return;
  }
  switch (frame.type) {
    case 'message':
      events.emit('histogram', 'chat.relay_ms', Date.now() - Number.parseInt(frame.text, 10));
      events.emit('counter', 'chat.received', 1);
      return;
    case 'paired':
      s.paired = true;
      break;
    case 'partner_left':
      s.paired = false;
      events.emit('counter', `chat.partner_left.${frame.reason}`, 1);
      break;
    case 'error':
      events.emit('counter', `chat.error.${frame.code}`, 1);
      break;
  }
  deliver(s, frame);
}

function awaitWelcome(context, events, done) {
  context.ws.on('message', (data) => onChatFrame(context, events, data.toString()));
  waitFor(context, (frame) => frame.type === 'welcome').then((frame) => done(frame ? undefined : new Error('no welcome')));
}

function pairUp(context, events, started, done) {
  const s = state(context);
  waitFor(context, (frame) => frame.type === 'paired').then((frame) => {
    if (frame) events.emit('histogram', 'chat.pair_ms', Date.now() - started);
    else events.emit('counter', 'chat.pair_timeout', 1);
    s.paired = Boolean(frame);
    done();
  });
}

function joinAndPair(context, events, done) {
  const started = Date.now();
  context.ws.send(JSON.stringify({ type: 'join' }));
  pairUp(context, events, started, done);
}

/** Sends one message (if paired) and waits for its ack. */
function sendMessage(context, events, done) {
  const s = state(context);
  if (!s.paired) {
    events.emit('counter', 'chat.skipped_unpaired', 1);
    return done();
  }
  const id = `m${++s.sent}`;
  const started = Date.now();
  context.ws.send(JSON.stringify({ type: 'message', text: `${started}|hello from artillery`, id }));
  waitFor(context, (frame) => (frame.type === 'ack' && frame.id === id) || frame.type === 'error', 5000).then((frame) => {
    if (frame && frame.type === 'ack') events.emit('histogram', 'chat.ack_ms', Date.now() - started);
    else events.emit('counter', 'chat.not_acked', 1);
    done();
  });
}

/** `next`: end this chat and look for another stranger. */
function nextStranger(context, events, done) {
  const s = state(context);
  const started = Date.now();
  s.paired = false;
  context.ws.send(JSON.stringify({ type: 'next' }));
  pairUp(context, events, started, done);
}

function leave(context, events, done) {
  state(context).paired = false;
  context.ws.send(JSON.stringify({ type: 'leave' }));
  done();
}

// --- the shared room (PROTOCOL.md §2): plain text frames ---

function awaitRoomWelcome(context, events, done) {
  const s = state(context);
  context.ws.on('message', (data) => {
    const text = data.toString();
    const line = /^[A-Za-z0-9_.-]+: (\d+)\|/.exec(text);
    if (line) {
      events.emit('histogram', 'room.relay_ms', Date.now() - Number(line[1]));
      events.emit('counter', 'room.received', 1);
      return;
    }
    deliver(s, { type: 'text', text });
  });
  const welcome = `Welcome ${context.vars.user}!`;
  waitFor(context, (frame) => frame.text === welcome).then((frame) => done(frame ? undefined : new Error('no room welcome')));
}

function sayInRoom(context, events, done) {
  context.ws.send(`${Date.now()}|hi all`);
  events.emit('counter', 'room.sent', 1);
  done();
}

module.exports = {
  connectChat,
  connectRoom,
  awaitWelcome,
  joinAndPair,
  sendMessage,
  nextStranger,
  leave,
  awaitRoomWelcome,
  sayInRoom,
};
