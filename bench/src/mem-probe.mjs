// Preloaded into every server under test: answers "memory" over the IPC channel with
// process.memoryUsage() taken after a full GC, so heap figures are live data, not garbage.
// The channel is unref'd so it never keeps a process alive on its own.
if (process.send) {
  process.on('message', (message) => {
    if (message !== 'memory') return;
    globalThis.gc?.();
    globalThis.gc?.();
    process.send(process.memoryUsage());
  });
  process.channel?.unref();
}
