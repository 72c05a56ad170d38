import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BatchObserver } from './batcher.js';

/** Per model and version, as Triton's nv_inference_* metrics, under Strata's names. */
export class ServingMetrics {
  readonly requests: Counter<'model' | 'version' | 'outcome'>;
  readonly queueSeconds: Histogram<'model' | 'version'>;
  readonly computeSeconds: Histogram<'model' | 'version'>;
  readonly batchSize: Histogram<'model' | 'version'>;
  readonly pending: Gauge<'model' | 'version'>;
  readonly cache: Counter<'model' | 'version' | 'result'>;
  readonly shadow: Counter<'model' | 'version' | 'result'>;
  readonly rollbacks: Counter<'model' | 'version'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'strata_model_requests_total',
      help: 'Inference requests by model, version and outcome (success, failure).',
      labelNames: ['model', 'version', 'outcome'],
      registers,
    });
    this.queueSeconds = new Histogram({
      name: 'strata_model_queue_duration_seconds',
      help: 'Time a request waited in the model queue before its batch started.',
      labelNames: ['model', 'version'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.computeSeconds = new Histogram({
      name: 'strata_model_compute_duration_seconds',
      help: 'Time one batch took in the backend.',
      labelNames: ['model', 'version'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'strata_model_batch_size',
      help: 'Rows per executed batch.',
      labelNames: ['model', 'version'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.pending = new Gauge({
      name: 'strata_model_pending_requests',
      help: 'Requests waiting in the model queue.',
      labelNames: ['model', 'version'],
      registers,
    });
    this.cache = new Counter({
      name: 'strata_model_cache_requests_total',
      help: 'Response cache lookups by result (hit, miss), for models with response_cache enabled.',
      labelNames: ['model', 'version', 'result'],
      registers,
    });
    this.shadow = new Counter({
      name: 'strata_model_shadow_requests_total',
      help: 'Mirrored requests by result: match (same outputs as the primary), mismatch, error.',
      labelNames: ['model', 'version', 'result'],
      registers,
    });
    this.rollbacks = new Counter({
      name: 'strata_model_canary_rollbacks_total',
      help: 'Canary versions taken out of traffic because their error rate crossed the threshold.',
      labelNames: ['model', 'version'],
      registers,
    });
  }

  observer(model: string, version: number): BatchObserver {
    const labels = { model, version: String(version) };
    return {
      queued: (pending) => {
        this.pending.set(labels, pending);
      },
      dispatched: (rows, waits) => {
        this.batchSize.observe(labels, rows);
        for (const seconds of waits) this.queueSeconds.observe(labels, seconds);
      },
      computed: (seconds) => {
        this.computeSeconds.observe(labels, seconds);
      },
    };
  }

  /** Drops a version's series once it is unloaded, so that /metrics does not keep dead models. */
  forget(model: string, version: number): void {
    const labels = { model, version: String(version) };
    for (const metric of [this.queueSeconds, this.computeSeconds, this.batchSize, this.pending]) {
      metric.remove(labels);
    }
  }
}
