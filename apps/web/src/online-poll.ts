import * as z from 'zod/mini';

/** How often the count is refreshed while the page is visible. */
export const ONLINE_POLL_MS = 15_000;
const onlineSchema = z.object({ online: z.number().check(z.int(), z.nonnegative()) });

/**
 * Refreshes the online count from the gateway's `GET /online` while the tab is visible
 * (during a chat no `waiting` frame carries it). A gateway without the endpoint (404) is
 * asked no more.
 */
export function pollOnline(show: (online: number) => void, active: () => boolean): void {
  let timer: number | undefined;
  let served = true;
  const schedule = () => {
    window.clearTimeout(timer);
    if (!served) return;
    timer = window.setTimeout(tick, ONLINE_POLL_MS);
  };
  const tick = async () => {
    if (document.visibilityState !== 'visible' || !active()) return schedule();
    try {
      const response = await fetch(new URL('/online', window.location.href), { cache: 'no-store' });
      if (response.status === 404) {
        served = false; // not served here: stop
        return;
      }
      if (response.ok) show(onlineSchema.parse(await response.json()).online);
    } catch {
      // offline or a bad answer: try again next time
    }
    schedule();
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') schedule();
  });
  schedule();
}
