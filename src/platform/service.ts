import { StrataError, type Lifecycle } from '../kernel/index.js';

/** A module's state, after grafana/dskit services: New → Starting → Running → Stopping → Terminated | Failed. */
export type ServiceState = 'new' | 'starting' | 'running' | 'stopping' | 'terminated' | 'failed';

export type StateListener = (service: Service, previous: ServiceState) => void;

/** Wraps a module's lifecycle and tracks its state, so that readiness and shutdown can ask. */
export class Service {
  #state: ServiceState = 'new';
  #failure: unknown;
  readonly #listeners: StateListener[] = [];

  constructor(
    readonly name: string,
    private readonly lifecycle: Lifecycle,
  ) {}

  get state(): ServiceState {
    return this.#state;
  }

  /** Why the service is `failed`; undefined otherwise. */
  get failure(): unknown {
    return this.#failure;
  }

  onStateChange(listener: StateListener): void {
    this.#listeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') {
      throw new StrataError('INTERNAL', `module ${this.name} cannot start from state ${this.#state}`);
    }
    this.#transition('starting');
    try {
      await this.lifecycle.start();
    } catch (cause) {
      this.#fail(cause);
      throw cause;
    }
    this.#transition('running');
  }

  /** Stops a started service; a no-op for one that never started or already ended. */
  async stop(): Promise<void> {
    if (this.#state === 'new') {
      this.#transition('terminated');
      return;
    }
    if (this.#state === 'terminated' || this.#state === 'stopping') return;
    const wasFailed = this.#state === 'failed';
    if (!wasFailed) this.#transition('stopping');
    try {
      // A failed start may have acquired part of its resources: stopping releases them.
      await this.lifecycle.stop();
    } catch (cause) {
      this.#fail(cause);
      throw cause;
    }
    if (!wasFailed) this.#transition('terminated');
  }

  #fail(cause: unknown): void {
    this.#failure = cause;
    this.#transition('failed');
  }

  #transition(next: ServiceState): void {
    const previous = this.#state;
    this.#state = next;
    for (const listener of this.#listeners) listener(this, previous);
  }
}
