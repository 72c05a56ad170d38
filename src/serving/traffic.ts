import type { ModelConfig } from './model-config.js';

type TrafficConfig = NonNullable<ModelConfig['traffic']>;

export interface RouteInput {
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Whether a version is loaded and ready. */
  readonly ready: (version: number) => boolean;
  /** The highest ready version, the default when no policy applies. */
  readonly latest: number | undefined;
}

/**
 * Routing between the versions of one model for requests that name no version (KServe's canary
 * rollout, Seldon's A/B and shadow). Order: an A/B header match wins; then the canary split;
 * then the latest ready version. A version named by the policy but not ready is skipped, so a
 * version loading or unloading never fails requests that another version can serve.
 */
export class TrafficPolicy {
  readonly #config: TrafficConfig | undefined;
  readonly #random: () => number;
  #canaryRequests = 0;
  #canaryFailures = 0;
  #rolledBack = false;

  constructor(config: TrafficConfig | undefined, random: () => number = Math.random) {
    this.#config = config;
    this.#random = random;
  }

  get rolledBack(): boolean {
    return this.#rolledBack;
  }

  choose(input: RouteInput): number | undefined {
    const config = this.#config;
    const ab = config?.ab;
    if (ab !== undefined) {
      const value = input.headers[ab.header.toLowerCase()];
      const version = value === undefined ? undefined : ab.versions[value];
      if (version !== undefined && input.ready(version)) return version;
    }
    const canary = config?.canary;
    if (canary !== undefined) {
      const toCanary =
        !this.#rolledBack && this.#random() * 100 < canary.weight && input.ready(canary.canary);
      if (toCanary) return canary.canary;
      if (input.ready(canary.stable)) return canary.stable;
    }
    return input.latest;
  }

  /** The version to mirror a request served by `primary` to, if any. */
  shadowOf(primary: number, ready: (version: number) => boolean): number | undefined {
    const shadow = this.#config?.shadow;
    if (shadow === undefined || shadow.version === primary || !ready(shadow.version)) return undefined;
    return this.#random() * 100 < shadow.percent ? shadow.version : undefined;
  }

  /**
   * Counts an outcome of the canary version (system failures only: a client's bad input says
   * nothing about the version). Returns true when this outcome triggers the rollback.
   */
  record(version: number, failed: boolean): boolean {
    const canary = this.#config?.canary;
    if (canary?.rollback_error_rate === undefined || version !== canary.canary || this.#rolledBack)
      return false;
    this.#canaryRequests++;
    if (failed) this.#canaryFailures++;
    if (
      this.#canaryRequests >= canary.rollback_min_requests &&
      this.#canaryFailures / this.#canaryRequests > canary.rollback_error_rate
    ) {
      this.#rolledBack = true;
      return true;
    }
    return false;
  }
}
