// How often the options page syncs while a team membership waits for the admin's confirmation.
// Each sync signs in (one challenge), and the server allows 30 sign-in challenges a minute per IP
// (docs/SERVER.md), shared by every member behind that address. So: every 5 s for the first 30 s
// (the admin is likely confirming right now), then doubling (10, 20, 40 s) to one a minute.
// The schedule starts over on the user's own action (connect, sync) and when the page is shown
// again after being hidden (then with a sync right away). Polling goes on while the page is hidden
// (at the slowing schedule): the member may be confirming in another tab, and this page must
// notice the confirmation.

export const PENDING_POLL_FIRST_MS = 5_000;
/** How long the first, fast polling lasts. */
export const PENDING_POLL_FAST_FOR_MS = 30_000;
export const PENDING_POLL_MAX_MS = 60_000;

/**
 * The next wait, given the waits already made since the schedule (re)started: 5 s while less than
 * 30 s have passed, then twice the previous wait, at most 60 s.
 */
export function nextPollDelay(waits) {
  const elapsed = waits.reduce((sum, w) => sum + w, 0);
  if (elapsed < PENDING_POLL_FAST_FOR_MS) return PENDING_POLL_FIRST_MS;
  return Math.min(PENDING_POLL_MAX_MS, 2 * waits[waits.length - 1]);
}

/**
 * A poll of `run` on that schedule. `update(pending)` after each rendering of the team status:
 * polls while pending, stops otherwise. `reset()` on a user action. `visible(shown)` on the page's
 * visibilitychange. Timers are injected (tests use fakes).
 */
export function pendingPoll(run, { setTimer = setTimeout, clearTimer = clearTimeout } = {}) {
  let timer = null;
  let waits = []; // since the schedule (re)started
  let pending = false;

  function stop() {
    if (timer !== null) clearTimer(timer);
    timer = null;
  }

  function schedule() {
    stop();
    if (!pending) return;
    const delay = nextPollDelay(waits);
    waits.push(delay);
    timer = setTimer(() => {
      timer = null;
      run();
    }, delay);
  }

  return {
    /** After a rendering of the team status: the next poll while pending. */
    update(isPending) {
      pending = isPending;
      if (!pending) waits = [];
      schedule();
    },
    /** A user action (connect, sync): the schedule starts over. */
    reset() {
      waits = [];
    },
    /** The page was shown again: while pending, a poll now and the schedule started over. */
    visible(shown) {
      if (!shown || !pending) return;
      stop();
      waits = [];
      run();
    },
    /** The wait scheduled last (ms), or null when no poll is scheduled. */
    get delay() {
      return timer === null ? null : waits[waits.length - 1];
    },
  };
}
