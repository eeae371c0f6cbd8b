/// <reference lib="webworker" />
import { solveProof, type Challenge } from '@strangers/safety/solver';
import { deriveKey } from 'altcha-lib/algorithms/web/sha';
import type { DeriveKeyFunction } from 'altcha-lib/types';

// The Web Worker that solves a proof-of-work challenge off the page's thread (built as
// proof-worker.js). It counts the attempts so the page can show progress; the page
// terminates the worker to abort.

export type WorkerAnswer = { type: 'progress'; attempts: number } | { type: 'done'; proof: string } | { type: 'failed'; message: string };

const PROGRESS_EVERY_MS = 100;

self.onmessage = async (event: MessageEvent<{ challenge: Challenge }>) => {
  let attempts = 0;
  let reported = 0;
  const counting: DeriveKeyFunction = (parameters, salt, password) => {
    attempts += 1;
    const now = performance.now();
    if (now - reported >= PROGRESS_EVERY_MS) {
      reported = now;
      postMessage({ type: 'progress', attempts } satisfies WorkerAnswer);
    }
    return deriveKey(parameters, salt, password);
  };
  try {
    const proof = await solveProof(event.data.challenge, { deriveKey: counting });
    postMessage({ type: 'done', proof } satisfies WorkerAnswer);
  } catch (error) {
    postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies WorkerAnswer);
  }
};
