import type { TargetCheck } from './report.js';
import type { Results } from './results.js';
import { fmtSpread } from './stats.js';

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Issue 23's resume goal and the exactly-once guarantee, from the resume case. */
export function resumeTargets(results: Results): TargetCheck[] {
  const resume = results.resume;
  if (!resume) return [];
  const p99 = resume.reconnectP99.median;
  const { runs } = resume;
  const sum = (pick: (run: (typeof runs)[number]) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const clients = sum((run) => run.clients);
  const back = sum((run) => run.resumed);
  const wrong = { lost: sum((run) => run.lost), duplicated: sum((run) => run.duplicated), misordered: sum((run) => run.misordered) };
  return [
    {
      target: 'resume after kill -9: p99 ≤ 1 s (reconnect → resumed)',
      measured: `${seconds(p99)} s (kill → back in the chat p99 ${seconds(resume.backP99.median)} s)`,
      met: p99 <= 1000,
      gap: `${(p99 / 1000).toFixed(1)}× the target`,
    },
    {
      target: 'across the kill, every acked message delivered exactly once, in seq order',
      measured: `${back}/${clients} clients back; ${sum((run) => run.acked)} acked: ${wrong.lost} lost, ${wrong.duplicated} duplicated, ${wrong.misordered} out of order`,
      met: back === clients && wrong.lost + wrong.duplicated + wrong.misordered === 0,
      gap: 'see section 5',
    },
  ];
}

export function resumeSection(results: Results): string[] {
  const resume = results.resume;
  if (!resume) return [];
  const settings = results.profile.resume;
  const s = (value: Parameters<typeof fmtSpread>[0]) => fmtSpread(value, seconds);
  const lines = [
    '## 5. Resume after a gateway kill -9',
    '',
    `Measured by \`${resume.command}\` on ${resume.date} (1-minute load average ${resume.load[0].toFixed(2)} → ${resume.load[1].toFixed(2)}).`,
    `${resume.pairs} pairs, one side on each of the two gateways, each client sending ${resume.ratePerClient} msg/s; ${settings.beforeKillMs} ms into the`,
    'traffic the gateway holding side a of every pair is killed with SIGKILL. Each side-a client, as soon as it sees its',
    'socket close, resumes on the surviving gateway directly (no proxy) with its token and the highest seq it has seen;',
    `the traffic goes on for ${settings.afterResumeMs} ms after the last resume, then every acked message must have arrived exactly once,`,
    `with the seq of its ack, in seq order. ${settings.reps}× on a fresh system each time (bench/src/resume-case.ts).`,
    '',
    'A killed owner is taken over at once: its liveness key (`GATEWAY_ALIVE_TTL_MS`, default 3 s) is still there, but',
    'Redis dropped its connections with the process, so the resuming gateway claims the session without asking it',
    '(`isOwnerDisconnected`, ARCHITECTURE.md "Resume"). A slow-but-alive owner keeps its connections and is asked for a',
    'handoff, as before, so it never keeps delivering into a session another gateway took.',
    '',
    '| seconds | p50 | p99 | max |',
    '| --- | --- | --- | --- |',
    `| reconnect (close seen) → \`resumed\` | ${s(resume.reconnectP50)} | ${s(resume.reconnectP99)} | ${s(resume.reconnectMax)} |`,
    `| kill → back in the chat | ${s(resume.backP50)} | ${s(resume.backP99)} | ${s(resume.backMax)} |`,
    '',
    '| run | clients back | acked | lost | duplicated | out of order | delivered, ack lost in the kill | `recovered: false` |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  resume.runs.forEach((run, index) => {
    lines.push(`| ${index + 1} | ${run.resumed}/${run.clients} | ${run.acked} | ${run.lost} | ${run.duplicated} | ${run.misordered} | ${run.deliveredUnacked} | ${run.unrecovered} |`);
  });
  const failures = resume.runs.flatMap((run) => run.failures);
  if (failures.length > 0) lines.push('', `Failed resumes (first few): ${failures.slice(0, 5).join('; ')}.`);
  lines.push('');
  return lines;
}
