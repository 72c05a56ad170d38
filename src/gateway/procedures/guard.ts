import type { Action } from '../../security/index.js';
import type { InferRequest, ServingProcedures } from '../../serving/index.js';
import type { VectorProcedures } from '../../vector/index.js';

/**
 * The guard layer of docs/decisions/0008: every procedure a transport calls goes through one of
 * these tables, which names the action and the resource it needs. The tables are typed over the
 * procedures' methods, so a method added to VectorProcedures or ServingProcedures without a rule
 * does not compile; a method missing at run time (a bug) is absent from the guarded object, so a
 * call to it fails rather than passes unchecked.
 */

/** One authenticated caller, as the guard needs it. */
export interface Caller {
  /** The tenant the caller acts within; it sees no other tenant's resources. */
  readonly tenant: string;
  /** The most points the tenant may store (its quota); undefined: no limit. */
  readonly storedVectors: number | undefined;
  /** Counts inference items against the tenant's daily quota; throws RATE_LIMITED when used up. */
  countInference(items: number): Promise<void>;
  /** Throws PERMISSION_DENIED unless the caller may do `action` on `resource`. */
  authorize(action: Action, resource: string): void;
  /** Appends a write's or an administrative call's outcome to the audit log. */
  audit(procedure: string, resource: string, outcome: 'success' | 'failure'): Promise<void>;
}

type Method<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];
type Args<F> = F extends (...args: infer A) => unknown ? A : never;

interface Rule<A extends readonly unknown[]> {
  readonly action: Action;
  /** The resource the call touches; a batched read names each, and every one must be allowed. */
  readonly resource: (...args: A) => string | readonly string[];
  /** Inference items the call counts against the tenant's daily quota (methods returning a promise only). */
  readonly items?: (...args: A) => number;
}

/**
 * `open`: anyone who reached the route may call it (readiness). `forTenant` has no rule: the
 * guard itself chooses the caller's tenant, and the guarded object has no forTenant to ask for another.
 */
type Rules<T> = { readonly [K in Exclude<Method<T>, 'forTenant'>]: Rule<Args<T[K]>> | 'open' };

const collection = (name: string): string => `collection:${name}`;
const model = (name: string): string => `model:${name}`;
const read = (resource: (name: string) => string): Rule<[string, ...unknown[]]> => ({
  action: 'read',
  resource,
});
const write = (resource: (name: string) => string): Rule<[string, ...unknown[]]> => ({
  action: 'write',
  resource,
});
/** Read on the one resource named, or on all of its type (`collection:*`) when no name is given. */
const readOneOrAll = (resource: (name: string) => string): Rule<[string | undefined, ...unknown[]]> => ({
  action: 'read',
  resource: (name) => resource(name ?? '*'),
});

/** The rows of an inference request: its first input's first dimension (1 for a scalar). */
function rows(request: InferRequest): number {
  return request.inputs[0]?.shape[0] ?? 1;
}

const vectorRules: Rules<VectorProcedures> = {
  listCollections: { action: 'read', resource: () => 'collection:*' },
  createCollection: write(collection),
  getCollection: read(collection),
  getCollections: { action: 'read', resource: (names: readonly string[]) => names.map(collection) },
  collectionExists: read(collection),
  updateCollection: write(collection),
  deleteCollection: write(collection),
  upsert: write(collection),
  retrieve: read(collection),
  getPoint: read(collection),
  deletePoints: write(collection),
  setPayload: write(collection),
  overwritePayload: write(collection),
  deletePayload: write(collection),
  clearPayload: write(collection),
  scroll: read(collection),
  count: read(collection),
  search: read(collection),
  searchBatch: read(collection),
  query: read(collection),
  queryBatch: read(collection),
  cluster: read(collection),
  setPca: write(collection),
  removePca: write(collection),
  createPayloadIndex: write(collection),
  deletePayloadIndex: write(collection),
  // A snapshot is a copy of the collection's data: whoever may read it may list and download
  // its snapshots; making, deleting and restoring one change what is stored, so they are writes.
  createSnapshot: write(collection),
  listSnapshots: read(collection),
  downloadSnapshot: read(collection),
  deleteSnapshot: write(collection),
  recoverSnapshot: write(collection),
  uploadSnapshot: write(collection),
  // The listener passes through untouched; the rule sees only the name.
  watchCollections: readOneOrAll(collection),
};

const servingRules: Rules<ServingProcedures> = {
  infer: { action: 'infer', resource: (request: InferRequest) => model(request.model), items: rows },
  serverReady: 'open',
  modelReady: read(model),
  modelMetadata: read(model),
  repositoryIndex: { action: 'read', resource: () => 'model:*' },
  load: { action: 'admin', resource: model },
  unload: { action: 'admin', resource: model },
  openaiModels: { action: 'read', resource: () => 'model:*' },
  embed: {
    action: 'infer',
    resource: model,
    items: (_model: string, texts: readonly string[]) => texts.length,
  },
  chatTarget: { action: 'infer', resource: model },
  watchModels: readOneOrAll(model),
};

/**
 * Calls `name` on `target` for `caller` under `rule`: checks the caller's access to the resources
 * the arguments name, counts inference items, and audits writes and administrative calls.
 */
function callGuarded(
  target: object,
  name: string,
  rule: Rule<unknown[]> | 'open',
  caller: Caller,
  args: unknown[],
): unknown {
  const call = (): unknown => (Reflect.get(target, name) as (...a: unknown[]) => unknown).apply(target, args);
  if (rule === 'open') return call();
  const resources = rule.resource(...args);
  if (typeof resources !== 'string') {
    for (const each of resources) caller.authorize(rule.action, each);
    return call();
  }
  const resource = resources;
  caller.authorize(rule.action, resource);
  if (rule.items !== undefined) return caller.countInference(rule.items(...args)).then(call);
  if (rule.action !== 'write' && rule.action !== 'admin') return call();
  // A change is answered only once its audit record is written, whatever its outcome.
  return Promise.resolve()
    .then(call)
    .then(
      async (result) => {
        await caller.audit(name, resource, 'success');
        return result;
      },
      async (error: unknown) => {
        await caller.audit(name, resource, 'failure');
        throw error;
      },
    );
}

/**
 * A class per rules table whose instances stand for one caller's view of one procedures object:
 * a method per rule, each checking the caller before it calls the target's. Built once, so a
 * request pays for one small object, not for a Proxy whose every call goes through a trap. Only
 * the procedures are reachable through it; a method without a rule is not there at all.
 */
function guardClass<T extends object>(rules: Rules<T>): new (target: T, caller: Caller) => T {
  class Guarded {
    constructor(
      readonly target: T,
      readonly caller: Caller,
    ) {}
  }
  for (const [name, rule] of Object.entries(rules) as [string, Rule<unknown[]> | 'open'][]) {
    Object.defineProperty(Guarded.prototype, name, {
      value: function (this: Guarded, ...args: unknown[]): unknown {
        return callGuarded(this.target, name, rule, this.caller, args);
      },
    });
  }
  return Guarded as unknown as new (target: T, caller: Caller) => T;
}

const GuardedVector = guardClass(vectorRules);
const GuardedServing = guardClass(servingRules);

/** The vector procedures as one caller may use them; the procedures themselves without a caller (authentication off). */
export function guardVector(procedures: VectorProcedures, caller: Caller | undefined): VectorProcedures {
  if (caller === undefined) return procedures;
  const tenant = procedures.forTenant(caller.tenant, { storedVectors: caller.storedVectors });
  return new GuardedVector(tenant, caller);
}

/** The serving procedures as one caller may use them; unchanged without a caller. */
export function guardServing(procedures: ServingProcedures, caller: Caller | undefined): ServingProcedures {
  return caller === undefined ? procedures : new GuardedServing(procedures.forTenant(caller.tenant), caller);
}
