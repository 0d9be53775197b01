// The options page's polling of a pending team membership (extension/options/pending-poll.js):
// 5 s for the first 30 s, then doubling to a minute; from the start again on a user action and
// when the page is shown again; stopped once the membership is no longer pending.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  PENDING_POLL_FAST_FOR_MS,
  PENDING_POLL_FIRST_MS,
  PENDING_POLL_MAX_MS,
  nextPollDelay,
  pendingPoll,
} from '../../extension/options/pending-poll.js';

/** Fake timers: `fire()` runs the one pending timer. */
function fakeTimers() {
  const t = {
    pending: null,
    cleared: 0,
    setTimer(fn, ms) {
      assert.equal(t.pending, null, 'one timer at a time');
      t.pending = { fn, ms };
      return t.pending;
    },
    clearTimer(handle) {
      if (handle === t.pending) t.pending = null;
      t.cleared += 1;
    },
    fire() {
      const { fn } = t.pending;
      t.pending = null;
      fn();
    },
  };
  return t;
}

/** The waits of a schedule left pending for `minutes`. */
function waitsFor(minutes) {
  const waits = [];
  let elapsed = 0;
  while (elapsed < minutes * 60_000) {
    const delay = nextPollDelay(waits);
    waits.push(delay);
    elapsed += delay;
  }
  return waits;
}

test('the schedule: 5 s for 30 s, then 10, 20, 40 s, then once a minute', () => {
  assert.deepEqual(waitsFor(5), [5000, 5000, 5000, 5000, 5000, 5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000]);
  assert.equal(PENDING_POLL_FIRST_MS, 5000);
  assert.equal(PENDING_POLL_FAST_FOR_MS, 30_000);
  assert.equal(PENDING_POLL_MAX_MS, 60_000);
});

test('the schedule keeps sign-in challenges well under the server limit (30 a minute per IP)', () => {
  const waits = waitsFor(60);
  // Polls in each minute of a pending hour: the old fixed 5 s poll made 12 in every minute.
  const perMinute = new Array(60).fill(0);
  let at = 0;
  for (const w of waits) {
    at += w;
    if (at < 3_600_000) perMinute[Math.floor(at / 60_000)] += 1;
  }
  assert.ok(perMinute[0] <= 7, `first minute: ${perMinute[0]}`);
  assert.ok(perMinute.slice(2).every((n) => n === 1), `then one a minute: ${perMinute}`);
  assert.ok(waits.reduce((n) => n + 1, 0) < 75, `${waits.length} polls in an hour (the old poll: 720)`);
});

test('pendingPoll: polls while pending, backs off, stops when no longer pending', () => {
  const timers = fakeTimers();
  let runs = 0;
  const poll = pendingPoll(() => {
    runs += 1;
  }, timers);
  poll.update(false);
  assert.equal(timers.pending, null, 'nothing to wait for');
  poll.update(true);
  const seen = [];
  for (let i = 0; i < 10; i += 1) {
    seen.push(timers.pending.ms);
    assert.equal(poll.delay, timers.pending.ms);
    timers.fire();
    poll.update(true); // the sync rendered: still pending
  }
  assert.equal(runs, 10);
  assert.deepEqual(seen, [5000, 5000, 5000, 5000, 5000, 5000, 10_000, 20_000, 40_000, 60_000]);
  assert.equal(timers.pending.ms, 60_000);

  // Confirmed: the next rendering is not pending; no more polls.
  poll.update(false);
  assert.equal(timers.pending, null);
  assert.equal(poll.delay, null);
  // Pending again later (a new connect): the schedule starts over.
  poll.update(true);
  assert.equal(timers.pending.ms, 5000);
});

test('pendingPoll: a user action and the page shown again start the schedule over', () => {
  const timers = fakeTimers();
  let runs = 0;
  const poll = pendingPoll(() => {
    runs += 1;
  }, timers);
  poll.update(true);
  for (let i = 0; i < 8; i += 1) {
    timers.fire();
    poll.update(true);
  }
  assert.equal(timers.pending.ms, 40_000);
  // The user pressed Sync: the rendering that follows waits 5 s again.
  poll.reset();
  poll.update(true);
  assert.equal(timers.pending.ms, 5000);

  for (let i = 0; i < 8; i += 1) {
    timers.fire();
    poll.update(true);
  }
  assert.equal(timers.pending.ms, 40_000);
  // Hidden: nothing changes (the confirmation may come while the member is in another tab).
  poll.visible(false);
  assert.equal(timers.pending.ms, 40_000);
  // Shown again: a poll right away, the waiting one cancelled, then 5 s.
  const before = runs;
  poll.visible(true);
  assert.equal(runs, before + 1);
  assert.equal(timers.pending, null);
  poll.update(true);
  assert.equal(timers.pending.ms, 5000);

  // Not pending: showing the page does nothing.
  poll.update(false);
  poll.visible(true);
  assert.equal(runs, before + 1);
  assert.equal(timers.pending, null);
});
