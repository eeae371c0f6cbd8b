import type { ProofChallenge } from '@strangers/client';
import type { WorkerAnswer } from './proof-worker.js';

/** Progress shows only when solving takes longer than this (most solves are quicker). */
const SHOW_PROGRESS_AFTER_MS = 300;

export interface ProofView {
  box: HTMLElement;
  bar: HTMLProgressElement;
}

/** The challenge's difficulty (`data.d`: the largest possible counter, so the most attempts). */
function difficulty(challenge: ProofChallenge): number {
  const data = (challenge.parameters as { data?: { d?: unknown } }).data;
  return typeof data?.d === 'number' && data.d > 0 ? data.d : 0;
}

/**
 * The SDK's `solveProof` for the page: each challenge is solved in its own Web Worker (so
 * the page never blocks), with a progress bar when it takes more than ~300 ms. The bar
 * runs toward the challenge's worst case; a solve usually ends before it is full.
 */
export function workerSolver(view: ProofView): (challenge: ProofChallenge, options: { signal: AbortSignal }) => Promise<string> {
  let active = 0;
  return (challenge, { signal }) =>
    new Promise<string>((resolve, reject) => {
      const worker = new Worker(new URL('proof-worker.js', document.baseURI), { type: 'module' });
      const most = difficulty(challenge);
      active += 1;
      const showTimer = window.setTimeout(() => {
        view.bar.value = 0;
        view.box.hidden = false;
      }, SHOW_PROGRESS_AFTER_MS);
      const finish = () => {
        window.clearTimeout(showTimer);
        worker.terminate();
        active -= 1;
        if (active === 0) view.box.hidden = true;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        finish();
        reject(new Error('proof of work aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
        const answer = event.data;
        if (answer.type === 'progress') {
          if (most > 0) view.bar.value = Math.min(99, Math.floor((answer.attempts / most) * 100));
          return;
        }
        finish();
        if (answer.type === 'done') resolve(answer.proof);
        else reject(new Error(answer.message));
      };
      worker.onerror = (event) => {
        finish();
        reject(new Error(event.message || 'the proof-of-work worker failed'));
      };
      worker.postMessage({ challenge });
    });
}
