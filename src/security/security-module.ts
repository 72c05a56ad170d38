import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { StrataError, type Lifecycle, type Logger } from '../kernel/index.js';
import type { AuditEntry, AuditLog } from './audit/record.js';
import { openAuditLog, openKeyStore, type BackendContext } from './backends.js';
import type { RouteClass, SecurityConfig, TenantQuotas } from './config.js';
import type { ApiKeyStore } from './identity/api-key.js';
import { Authorizer } from './identity/authorizer.js';
import { CertificateIdentities, type ClientCertificate } from './identity/certificate-identities.js';
import type { Identity } from './identity/identity.js';
import { JwtVerifier } from './identity/jwt-verifier.js';
import type { Action } from './identity/resources.js';
import { FailedAuthentications } from './limits/failed-authentications.js';
import { rateLimitedError } from './limits/headers.js';
import type { QuotaDecision, QuotaRule, RateDecision, RateRule } from './limits/limits.js';
import { MemoryQuotaCounter } from './limits/memory-quota-counter.js';
import { MemoryRateLimiter } from './limits/memory-rate-limiter.js';
import { RedisQuotaCounter } from './limits/redis-quota-counter.js';
import { RedisRateLimiter } from './limits/redis-rate-limiter.js';
import { connect } from './postgres.js';

/** Token buckets and daily counts; in this process they answer at once, without a promise. */
interface Limits {
  take(key: string, rule: RateRule): RateDecision | Promise<RateDecision>;
  consume(key: string, rule: QuotaRule, amount: number): QuotaDecision | Promise<QuotaDecision>;
}

interface Bucket {
  readonly key: string;
  readonly rule: RateRule;
  /** The limit as a refusal names it. */
  readonly what: string;
}

/** A tenant's daily quota of requests or of inference items. */
interface Quota {
  readonly key: string;
  readonly rule: QuotaRule;
  /** What it counts, as a refusal names it. */
  readonly what: string;
}

/** What a request of one identity to one route class takes: its buckets, then its tenant's request quota. */
interface Admission {
  readonly buckets: readonly Bucket[];
  readonly requests: Quota | undefined;
}

/**
 * Takes one token from each bucket in turn, from `from` on, refusing at the first empty one; the
 * tightest decision. In a loop while the limits answer at once, so the in-memory case allocates
 * no callbacks.
 */
function takeAll(
  limits: Limits,
  buckets: readonly Bucket[],
  from: number,
  tightest: RateDecision | undefined,
): RateDecision | undefined | Promise<RateDecision | undefined> {
  for (let i = from; i < buckets.length; i++) {
    const bucket = buckets[i];
    if (bucket === undefined) break;
    const taken = limits.take(bucket.key, bucket.rule);
    if (taken instanceof Promise) {
      return taken.then((decision) => takeAll(limits, buckets, i + 1, tighter(decision, bucket, tightest)));
    }
    tightest = tighter(taken, bucket, tightest);
  }
  return tightest;
}

/** The decision with fewer tokens left; RATE_LIMITED when `decision` is a refusal. */
function tighter(decision: RateDecision, bucket: Bucket, tightest: RateDecision | undefined): RateDecision {
  if (!decision.allowed) throw rateLimitedError(decision, bucket.what);
  return tightest === undefined || decision.remaining < tightest.remaining ? decision : tightest;
}

/** Throws RATE_LIMITED when the quota refused. */
function counted(decision: QuotaDecision, quota: Quota): void {
  if (!decision.allowed) throw rateLimitedError(decision, quota.what);
}

/**
 * Counts `amount` against the quota: undefined once counted when the limits answer at once, a
 * promise when they do not. Throws (or rejects with) RATE_LIMITED when the quota is used up.
 */
function count(limits: Limits, quota: Quota, amount: number): undefined | Promise<void> {
  const decision = limits.consume(quota.key, quota.rule, amount);
  if (decision instanceof Promise) {
    return decision.then((settled) => {
      counted(settled, quota);
    });
  }
  counted(decision, quota);
  return undefined;
}

/** The API key or token the credentials carry: `api-key`, else `Authorization: Bearer`. */
function tokenOf(credentials: Credentials): string | undefined {
  return credentials.apiKey ?? /^Bearer\s+(\S+)\s*$/i.exec(credentials.authorization ?? '')?.[1];
}

export interface SecurityModuleOptions {
  readonly dataDir: string;
  readonly config: SecurityConfig;
  readonly logger: Logger;
  /** `backends.redis.url`, used when `rateLimit.backend` is `redis`. */
  readonly redisUrl: string;
  /** `backends.postgres.url`, used when the key store or the audit sink is `postgres`. */
  readonly postgresUrl: string;
}

/** The credentials a request carries, as the transports find them (HTTP headers, gRPC metadata). */
export interface Credentials {
  /** `Authorization` header value (`Bearer <token>`). */
  readonly authorization?: string | undefined;
  /** `api-key` header value (Qdrant's clients). */
  readonly apiKey?: string | undefined;
  /** The connection's client certificate, only when the TLS handshake verified it (mTLS). */
  readonly clientCertificate?: ClientCertificate | undefined;
  /**
   * The client's address (an HTTP request's `ip`, a gRPC call's peer), whose failed attempts are
   * counted (`rateLimit.failedAuthentications`); none: not counted.
   */
  readonly source?: string | undefined;
}

/**
 * Security for one process (docs/decisions/0008): who a request is (API keys, JWT), what it may
 * do (Authorizer), how often (token buckets per key and per tenant), and the audit log. The
 * transports hand it credentials; the gateway's guard asks it before each procedure.
 */
export class SecurityModule implements Lifecycle {
  readonly authorizer: Authorizer;
  readonly #certificates: CertificateIdentities;
  #keys: ApiKeyStore | undefined;
  #jwt: JwtVerifier | undefined;
  #audit: AuditLog | undefined;
  #limits: Limits | undefined;
  #failures: FailedAuthentications | undefined;
  /** Each tenant's quotas, merged from configuration once. */
  readonly #quotas = new Map<string, TenantQuotas>();
  /** What each identity's requests take, by route class (#admissionOf). */
  readonly #admissions = new WeakMap<Identity, Map<RouteClass | undefined, Admission>>();
  #redis: Redis | undefined;
  /** One pool for the key table and the audit table. */
  #postgres: pg.Pool | undefined;

  constructor(private readonly options: SecurityModuleOptions) {
    this.authorizer = new Authorizer(options.config.identity.roles);
    this.#certificates = new CertificateIdentities(options.config.identity.certificates);
  }

  /** Whether requests must authenticate (`security.auth.enabled`). */
  get enabled(): boolean {
    return this.options.config.auth.enabled;
  }

  get keys(): ApiKeyStore {
    if (this.#keys === undefined) {
      throw new StrataError(
        'NOT_READY',
        'API keys are not available: authentication is switched off or not started',
      );
    }
    return this.#keys;
  }

  async start(): Promise<void> {
    const { config, dataDir, logger } = this.options;
    if (!config.auth.enabled) {
      logger.warn('authentication is switched off (security.auth.enabled=false): every request is trusted');
      return;
    }
    const backends: BackendContext = {
      config,
      dataDir,
      logger,
      postgres: () =>
        (this.#postgres ??= connect({ connectionString: this.options.postgresUrl }, logger).pool),
    };
    // Records name who acted, so without authentication there is nothing to write, and the
    // whole log is not read (to resume its chain) at every start.
    if (config.audit.enabled) this.#audit = await openAuditLog(backends);
    this.#keys = await openKeyStore(backends);
    if (config.identity.jwt !== undefined) this.#jwt = JwtVerifier.create(config.identity.jwt);
    this.#limits = this.#createLimits();
    const limits = this.#limits;
    this.#failures = new FailedAuthentications(
      (key, rule) => limits.take(key, rule),
      config.rateLimit.failedAuthentications,
    );
    await this.#firstStart();
  }

  /** Releases what start acquired, also after a failed start; the audit log first, while its pool is open. */
  async stop(): Promise<void> {
    const audit = this.#audit;
    const postgres = this.#postgres;
    this.#audit = undefined;
    this.#postgres = undefined;
    this.#redis?.disconnect();
    this.#redis = undefined;
    try {
      await audit?.close();
    } finally {
      await postgres?.end();
    }
  }

  /**
   * The identity the credentials prove. `api-key` or `Authorization: Bearer`; a bearer value that
   * starts with `strata_` is an API key, anything else a JWT. Without either, a verified client
   * certificate: a credential sent with the request is the more specific claim, so it wins over
   * the connection's certificate. Throws UNAUTHENTICATED; RATE_LIMITED, without checking them,
   * while the credentials' source has failed too often (`rateLimit.failedAuthentications`).
   */
  async authenticate(credentials: Credentials): Promise<Identity> {
    const source = credentials.source;
    if (source === undefined || this.#failures === undefined) return this.#identify(credentials);
    this.#failures.check(source);
    try {
      return await this.#identify(credentials);
    } catch (error) {
      if (error instanceof StrataError && error.code === 'UNAUTHENTICATED') await this.#failed(source);
      throw error;
    }
  }

  async #identify(credentials: Credentials): Promise<Identity> {
    const token = tokenOf(credentials);
    if (token === undefined) {
      const malformed = credentials.authorization !== undefined;
      if (!malformed && credentials.clientCertificate !== undefined) {
        return this.#certificates.identify(credentials.clientCertificate);
      }
      throw new StrataError(
        'UNAUTHENTICATED',
        malformed
          ? 'the Authorization header must be `Bearer <API key or token>`'
          : 'this route needs credentials: send an API key as `Authorization: Bearer <key>` or `api-key: <key>`, or a bearer token',
        { details: { reason: malformed ? 'malformed' : 'missing' } },
      );
    }
    if (token.startsWith('strata_') || this.#jwt === undefined) return this.keys.verify(token);
    return this.#jwt.verify(token);
  }

  /**
   * Counts a failed authentication of `source`; says so in the log when that used up its bucket.
   * A limits backend that fails (Redis down) leaves the failure uncounted: the caller still gets
   * its UNAUTHENTICATED, not the backend's error.
   */
  async #failed(source: string): Promise<void> {
    try {
      if (await this.#failures?.failed(source)) {
        const { ratePerSecond, burst } = this.options.config.rateLimit.failedAuthentications;
        this.options.logger.warn(
          { source, burst, ratePerSecond },
          'too many failed authentications from one address: its credentials are refused unchecked (429) until its bucket refills',
        );
      }
    } catch (error) {
      this.options.logger.debug({ err: error, source }, 'a failed authentication could not be counted');
    }
  }

  /**
   * The identity of credentials carrying an API key this process verified before, without
   * waiting; undefined when only `authenticate` can tell (a new key, a JWT, a certificate, none).
   */
  authenticateNow(credentials: Credentials): Identity | undefined {
    const token = tokenOf(credentials);
    return token?.startsWith('strata_') === true ? this.#keys?.remembered(token) : undefined;
  }

  /** Throws PERMISSION_DENIED unless the identity's roles grant `action` on `resource`. */
  authorize(identity: Identity, action: Action, resource: string): void {
    this.authorizer.check(identity, action, resource);
  }

  /**
   * One request against the caller's buckets (per key, then per tenant) and its tenant's daily
   * request quota; the decision whose headers the response carries, the tighter bucket. Throws
   * RATE_LIMITED when a bucket is empty or the quota used up. With a route class that has a
   * bucket (`rateLimit.perRouteClass`), the tenant's bucket of that class too. Answers at once when the limits
   * live in this process (`rateLimit.backend: memory`), with a promise from Redis.
   */
  admit(
    identity: Identity,
    routeClass?: RouteClass,
  ): RateDecision | undefined | Promise<RateDecision | undefined> {
    const limits = this.#limits;
    if (limits === undefined) return undefined;
    const { buckets, requests } = this.#admissionOf(identity, routeClass);
    const tightest = takeAll(limits, buckets, 0, undefined);
    if (requests === undefined) return tightest;
    if (tightest instanceof Promise) {
      return tightest.then(async (taken) => {
        await count(limits, requests, 1);
        return taken;
      });
    }
    const waiting = count(limits, requests, 1);
    return waiting === undefined ? tightest : waiting.then(() => tightest);
  }

  /**
   * What a request of `identity` takes: its key's bucket, its tenant's and, when the route class
   * has a rule, its tenant's of that class; then its tenant's daily request quota. Made once per
   * identity and class: a remembered key shares one identity object across its requests, so they
   * share this.
   */
  #admissionOf(identity: Identity, routeClass: RouteClass | undefined): Admission {
    let byClass = this.#admissions.get(identity);
    if (byClass === undefined) {
      byClass = new Map();
      this.#admissions.set(identity, byClass);
    }
    let admission = byClass.get(routeClass);
    if (admission === undefined) {
      const { perKey, perTenant, perRouteClass } = this.options.config.rateLimit;
      const { subject, tenant } = identity;
      const buckets: Bucket[] = [
        { key: `subject:${subject}`, rule: perKey, what: `the rate limit of ${subject}` },
        { key: `tenant:${tenant}`, rule: perTenant, what: `the rate limit of tenant ${tenant}` },
      ];
      const classRule = routeClass === undefined ? undefined : perRouteClass[routeClass];
      if (classRule !== undefined && routeClass !== undefined) {
        const what = `the ${routeClass} rate limit of tenant ${tenant}`;
        buckets.push({ key: `route:${routeClass}:${tenant}`, rule: classRule, what });
      }
      admission = { buckets, requests: this.#quota(tenant, 'requests') };
      byClass.set(routeClass, admission);
    }
    return admission;
  }

  /** The tenant's quotas: `security.quotas`, with the tenant's own entry replacing fields. */
  quotasOf(tenant: string): TenantQuotas {
    let quotas = this.#quotas.get(tenant);
    if (quotas === undefined) {
      const { tenants, ...defaults } = this.options.config.quotas;
      quotas = { ...defaults, ...tenants[tenant] };
      this.#quotas.set(tenant, quotas);
    }
    return quotas;
  }

  /** The tenants `security.quotas.tenants` gives quotas of their own. */
  quotaTenants(): string[] {
    return Object.keys(this.options.config.quotas.tenants);
  }

  /** Counts inference items against the tenant's daily quota; throws RATE_LIMITED when used up. */
  async countInference(tenant: string, items: number): Promise<void> {
    const quota = this.#quota(tenant, 'inferenceItems');
    if (quota !== undefined && this.#limits !== undefined && items !== 0) {
      await count(this.#limits, quota, items);
    }
  }

  /** The tenant's daily quota of requests or inference items; undefined when it has none. */
  #quota(tenant: string, kind: 'requests' | 'inferenceItems'): Quota | undefined {
    const quotas = this.quotasOf(tenant);
    const limit = kind === 'requests' ? quotas.requestsPerDay : quotas.inferenceItemsPerDay;
    if (limit === undefined) return undefined;
    return {
      key: `${kind}:${tenant}`,
      rule: { limit, period: 'day' },
      what: `${kind === 'requests' ? 'requests' : 'inference items'} of tenant ${tenant}`,
    };
  }

  /** Appends to the audit log when it is on; a failure to write is logged, never swallowed silently. */
  async audit(entry: AuditEntry): Promise<void> {
    if (this.#audit === undefined) return;
    try {
      await this.#audit.record(entry);
    } catch (error) {
      this.options.logger.error({ err: error, action: entry.action }, 'audit record could not be written');
      throw error;
    }
  }

  /** Token buckets and daily quotas, both in this process or both in Redis (`rateLimit.backend`). */
  #createLimits(): Limits {
    if (this.options.config.rateLimit.backend === 'memory') {
      const limiter = new MemoryRateLimiter();
      const quotas = new MemoryQuotaCounter();
      return {
        take: (key, rule) => limiter.takeNow(key, rule),
        consume: (key, rule, amount) => quotas.consumeNow(key, rule, amount),
      };
    }
    this.#redis = new Redis(this.options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    // Failures surface as UNAVAILABLE from each take; the client's own error events only repeat them.
    this.#redis.on('error', () => undefined);
    const prefix = this.options.config.rateLimit.redisKeyPrefix;
    const limiter = new RedisRateLimiter(this.#redis, { keyPrefix: prefix });
    const quotas = new RedisQuotaCounter(this.#redis, { keyPrefix: `${prefix}quota:` });
    return {
      take: (key, rule) => limiter.take(key, rule),
      consume: (key, rule, amount) => quotas.consume(key, rule, amount),
    };
  }

  /**
   * With no API key at all, the first start creates an admin key of tenant `default`, writes it
   * where only this user can read it, and says where; the key itself never reaches a log.
   */
  async #firstStart(): Promise<void> {
    // Atomic in the store: of replicas starting together on one shared store, one creates the key
    // and writes the file; the others write nothing.
    const issued = await this.keys.createFirst({
      tenant: 'default',
      name: 'admin (first start)',
      roles: ['admin'],
    });
    if (issued === undefined) return;
    const path = this.options.config.auth.adminKeyFile ?? join(this.options.dataDir, 'admin.key');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${issued.key}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    this.options.logger.info(
      { path, keyId: issued.record.id },
      'created an admin API key on first start; send it as `Authorization: Bearer <key>` and keep the file private',
    );
    await this.audit({
      actor: 'system',
      tenant: 'default',
      action: 'apikey.create',
      resource: `apikeys/${issued.record.id}`,
      outcome: 'success',
      requestId: 'first-start',
      details: { roles: ['admin'], reason: 'first start' },
    });
  }
}
