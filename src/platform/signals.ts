import type { Logger } from '../kernel/index.js';
import type { Platform } from './platform.js';

/**
 * Runs until SIGTERM or SIGINT, then shuts the platform down gracefully and resolves with the exit
 * code: 0 when every in-flight request finished and every module stopped cleanly, 1 otherwise. A
 * second signal during shutdown exits at once (the operator insisted).
 */
export function untilSignal(platform: Platform, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting for shutdown');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      platform.shutdown().then(
        (result) => {
          logger.info({ clean: result.clean }, 'Strata stopped');
          resolve(result.clean ? 0 : 1);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
