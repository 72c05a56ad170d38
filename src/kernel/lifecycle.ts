/**
 * What a module hands the platform: something that can be started and stopped. The platform wraps
 * it in a state-tracking service (platform/service.ts); modules need not track state themselves.
 */
export interface Lifecycle {
  /** Acquire resources and begin work. Rejects if the module cannot run; the platform then stops the rest. */
  start(): Promise<void>;
  /** Release everything `start` acquired. Called once, also after a failed start of another module. */
  stop(): Promise<void>;
}

/** A lifecycle with nothing to acquire or release. */
export const noLifecycle: Lifecycle = Object.freeze({
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
});
