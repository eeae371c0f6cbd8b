// Preloaded with `node --require` into artillery: replaces its posthog-node telemetry client
// with a no-op, so a load test only ever talks to its target (artillery 2.0.21 still builds
// and flushes a client even with ARTILLERY_DISABLE_TELEMETRY=true).
'use strict';
const Module = require('node:module');

class NoopPostHog {
  capture() {}
  identify() {}
  flush() {}
  async shutdownAsync() {}
  async shutdown() {}
  on() {}
}

const load = Module._load;
Module._load = function loadWithoutTelemetry(request, parent, isMain) {
  if (request === 'posthog-node') return { PostHog: NoopPostHog, default: NoopPostHog };
  return load.call(this, request, parent, isMain);
};
process.env.ARTILLERY_DISABLE_TELEMETRY = 'true';
