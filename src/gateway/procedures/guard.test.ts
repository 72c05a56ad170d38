import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger, isStrataError } from '../../kernel/index.js';
import { Authorizer, type Action, type Identity } from '../../security/index.js';
import type { ModelStateChange, ServingModule, ServingService } from '../../serving/index.js';
import { VectorModule, type CollectionChange } from '../../vector/index.js';
import {
  scaleConfig,
  scaleHandler,
  startServing,
  writeModel,
} from '../../../test/support/model-repository.js';
import { guardServing, guardVector, type Caller } from './guard.js';

/** A caller whose permissions the real Authorizer decides; quotas and audit are not under test here. */
class AuthorizedCaller implements Caller {
  readonly storedVectors = undefined;
  readonly #authorizer = new Authorizer();

  constructor(private readonly identity: Identity) {}

  get tenant(): string {
    return this.identity.tenant;
  }

  countInference(): Promise<void> {
    return Promise.resolve();
  }

  authorize(action: Action, resource: string): void {
    this.#authorizer.check(this.identity, action, resource);
  }

  audit(): Promise<void> {
    return Promise.resolve();
  }
}

/** A viewer whose credential's scopes cover reading `resources` only. */
function viewerOf(...resources: string[]): Caller {
  return new AuthorizedCaller({
    subject: 'watcher',
    tenant: 'default',
    roles: ['viewer'],
    scopes: resources.map((resource) => `read:${resource}`),
    via: 'api-key',
  });
}

function permissionDenied(error: unknown): boolean {
  assert.ok(isStrataError(error), `expected a StrataError, got ${String(error)}`);
  assert.equal(error.code, 'PERMISSION_DENIED', error.message);
  return true;
}

describe('guard: watching changes', () => {
  let directory: string;
  let servingModule: ServingModule;
  let serving: ServingService;
  let vectorModule: VectorModule;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'strata-guard-watch-'));
    const repo = join(directory, 'models');
    await writeModel(repo, 'double', scaleConfig(), { 1: { 'model.js': scaleHandler('guard-double', 2) } });
    ({ module: servingModule, serving } = await startServing(repo, { startupModels: [] }));
    vectorModule = new VectorModule({
      dataDir: join(directory, 'data'),
      registry: new Registry(),
      config: {
        storage: { fsync: 'never', fsyncIntervalMs: 100, segmentBytes: 1 << 20, snapshotsKept: 2 },
        snapshotEveryOperations: 10_000,
        snapshots: { scheduleMinutes: 0, keep: 3, maxUploadBytes: 1 << 20 },
      },
      logger: createLogger('silent'),
    });
    await vectorModule.start();
  });

  after(async () => {
    await vectorModule.stop();
    await servingModule.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('lets a caller with read on the model watch it, and passes its listener through', async () => {
    const seen: ModelStateChange[] = [];
    const stop = guardServing(serving, viewerOf('model:double')).watchModels('double', (change) =>
      seen.push(change),
    );
    await serving.load('double');
    stop();
    assert.deepEqual(
      seen.map((change) => change.state),
      ['LOADING', 'READY'],
    );
  });

  it('refuses PERMISSION_DENIED to watch a model, or every model, without read on it', () => {
    const guarded = guardServing(serving, viewerOf('model:double'));
    assert.throws(() => guarded.watchModels('other', () => undefined), permissionDenied);
    assert.throws(() => guarded.watchModels(undefined, () => undefined), permissionDenied);
    assert.doesNotThrow(() => {
      guardServing(serving, viewerOf('model:*')).watchModels(undefined, () => undefined)();
    });
  });

  it('lets a caller with read on the collection watch it, and passes its listener through', async () => {
    const seen: CollectionChange[] = [];
    const stop = guardVector(vectorModule.procedures, viewerOf('collection:orders')).watchCollections(
      'orders',
      (change) => seen.push(change),
    );
    await vectorModule.procedures.createCollection('orders', { vectors: { size: 2, distance: 'Dot' } });
    stop();
    assert.deepEqual(seen, [{ collection: 'orders', change: 'created', pointsCount: 0 }]);
  });

  it('refuses PERMISSION_DENIED to watch a collection, or every collection, without read on it', () => {
    const guarded = guardVector(vectorModule.procedures, viewerOf('collection:orders'));
    assert.throws(() => guarded.watchCollections('customers', () => undefined), permissionDenied);
    assert.throws(() => guarded.watchCollections(undefined, () => undefined), permissionDenied);
    assert.doesNotThrow(() => {
      guardVector(vectorModule.procedures, viewerOf('collection:*')).watchCollections(
        undefined,
        () => undefined,
      )();
    });
  });
});
