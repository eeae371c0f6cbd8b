/**
 * The "Abuse prevention costs" section: measured by packages/safety's own benches, not by
 * `npm run bench`, so kept here as text and carried into every regenerated BENCHMARKS.md.
 * Revisit after re-running `npm run bench:pow -w @strangers/safety` and `bench:filters`.
 */
export const ABUSE_COSTS = [
  '## Abuse prevention costs (packages/safety benches, not generated)',
  '',
  'Measured by `npm run bench:pow -w @strangers/safety` and `npm run bench:filters -w @strangers/safety`, **one run each, on',
  'this 2-core box while it was heavily loaded by other work (1-minute load average ≈ 17)**: absolute figures are pessimistic;',
  'a re-run on a quiet box is due. Details and tuning: docs/abuse-prevention.md.',
  '',
  '| proof of work (`PROOF_OF_WORK`) | median |',
  '| --- | ---: |',
  '| server CPU per challenge made (`createChallenge`: welcome, burst, refusal) | 285 µs |',
  '| server CPU per proof verified (decode, zod, two HMACs, `SET NX` on a real Redis) | 601 µs |',
  '| client, Chromium (WebCrypto), one attempt | 27–34 µs (≈ 15 µs on a quieter box) |',
  '| client, Chromium, solve at `POW_DIFFICULTY` 50 000 (the welcome default) | 0.9 s (0.2–2.0 s over 9 runs) |',
  '| client, Chromium, solve at `POW_ADAPTIVE_DIFFICULTY` 500 000 (after a burst) | 8.5 s (1.4–15.6 s) |',
  '| client, Node (`solveProofNode`, node:crypto), one attempt | ≈ 13 µs (Node\'s WebCrypto ≈ 90 µs) |',
  '',
  'The solve time is luck as much as speed: the secret counter is uniform in [1, difficulty]. A verification happens once per',
  'session (and once per burst of `next`), not per message.',
  '',
  '| content filters, all on (500-word list, contacts in a young chat, repeats tracked), 24 ordinary chat lines | per message |',
  '| --- | ---: |',
  '| wall time, median of 5 rounds (load ≈ 17) | 8.6 µs (7.3–16 µs) |',
  '| wall time, shorter probes during development (load ≈ 9) | 2.7–3.7 µs |',
  '',
  'The goal is ≤ 5 µs a message for the built-in filters. Measured where it counts, in the relay of section 1 (its table',
  '"Content filters on"): the gateways spent 1.6 µs more CPU per message with every filter on than without, at 10 k msg/s',
  'in the full run of 2026-12-01 on a quiet box, and 4.8 µs in a shorter run minutes later (the two gateways\' CPU per',
  'message varies by a few µs between runs, so the goal holds with little room). Not measured: the moderation hook\'s',
  'added latency (at most `MODERATION_HOOK_TIMEOUT_MS` per held message by construction).',
  '',
];
