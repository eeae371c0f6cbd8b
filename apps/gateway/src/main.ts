import { runService } from '@strangers/config';
import { loadGatewayConfig } from './config.js';
import { Gateway } from './gateway.js';

runService({
  name: 'gateway',
  loadConfig: () => loadGatewayConfig(),
  logger: (config) => ({ level: config.logLevel, base: { gateway: config.gatewayId } }),
  stoppingMessage: 'draining',
  // Below compose's stop_grace_period (30 s): the drain hands every session over, then closes.
  stopTimeoutMs: 25_000,
  async start(config, logger) {
    const gateway = new Gateway(config, logger);
    await gateway.start();
    logger.info({ port: gateway.port, host: config.host, metricsPort: gateway.metricsPort }, 'gateway listening');
    return { stop: () => gateway.stop() };
  },
});
