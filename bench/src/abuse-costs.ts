/**
 * The "Abuse prevention costs" section: measured by packages/safety's own benches, not by
 * `npm run bench`, so kept here as text and carried into every regenerated BENCHMARKS.md.
 * Revisit after re-running `npm run bench:pow -w @strangers/safety` and `bench:filters`.
 */
export const ABUSE_COSTS = [
  '## Abuse prevention costs (packages/safety benches, not generated)',
  '',
  'Measured by `npm run bench:pow -w @strangers/safety -- --runs 5` and `npm run bench:filters -w @strangers/safety` on',
  '2026-12-01 on this 2-core box, quiet (1-minute load average 0.75 and 1.20 at their starts). Details and tuning:',
  'docs/abuse-prevention.md.',
  '',
  '| proof of work (`PROOF_OF_WORK`) | median (min–max) |',
  '| --- | ---: |',
  '| server CPU per challenge made (`createChallenge`: welcome, burst, refusal) | 536 µs (424–719) |',
  '| server CPU per proof verified (decode, zod, the key-signature check, `SET NX` on a real Redis) | 826 µs (695–1030) |',
  '| client, Chromium (WebCrypto), one attempt | 8.5 µs |',
  '| client, Chromium, solve at `POW_DIFFICULTY` 50 000 (the welcome default) | 90 ms (43–386) |',
  '| client, Chromium, solve at 100 000 | 405 ms (289–946) |',
  '| client, Chromium, solve at `POW_ADAPTIVE_DIFFICULTY` 500 000 (after a burst) | 1.6 s (0.4–3.4) |',
  '| client, Node (`solveProofNode`, node:crypto), one attempt; solve at 50 000 / 500 000 | 4–5 µs; 51 ms / 754 ms |',
  '| client, Node\'s WebCrypto, one attempt | 115 µs |',
  '',
  'The solve time is luck as much as speed: the secret counter is uniform in [1, difficulty]. A verification happens once per',
  'session (and once per burst of `next`), not per message. An earlier run on a heavily loaded box (load ≈ 17) measured',
  '285 µs and 601 µs for the server steps, less than this quiet run: with 5 runs the server figures are the noisiest here.',
  '',
  '| content filters, all on (500-word list, contacts in a young chat, repeats tracked), 24 ordinary chat lines | CPU per message, median of 5 rounds |',
  '| --- | ---: |',
  '| `checkMessage`, every built-in filter | 2.57 µs (2.49–3.49) |',
  '| of which: normalising 0.19, links 0.13, contacts 0.40, the word list 0.69 | |',
  '',
  'The goal is ≤ 5 µs a message for the built-in filters. Measured where it counts, in the relay of section 1 (its table',
  '"Content filters on"): the gateways spent 1.6 µs more CPU per message with every filter on than without, at 10 k msg/s',
  'in the full run of 2026-12-01 on a quiet box, and 4.8 µs in a shorter run minutes later (the two gateways\' CPU per',
  'message varies by a few µs between runs, so the goal holds with little room). Not measured: the moderation hook\'s',
  'added latency (at most `MODERATION_HOOK_TIMEOUT_MS` per held message by construction).',
  '',
];
