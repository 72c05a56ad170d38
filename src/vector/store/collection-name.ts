import { StrataError, checkTenantId, defaultTenant } from '../../kernel/index.js';

const namePattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;
/** Longest stored name: it is a directory name, and filesystems stop at 255 bytes. */
const maxStoredLength = 255;

/**
 * Collection names become directory names, so only a safe alphabet is allowed: no path separators,
 * no `..`, nothing a filesystem could treat specially.
 */
export function checkCollectionName(name: string): string {
  if (!namePattern.test(name) || name.includes('..')) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `collection name ${JSON.stringify(name)} is invalid: use 1 to 255 letters, digits, '_', '-' or '.', not starting with '.'`,
    );
  }
  return name;
}

/**
 * The name a tenant's collection is stored under (docs/decisions/0008). The default tenant's
 * collections keep their own names, as before tenants existed; another tenant's are stored as
 * `.<tenant>.<name>`, which no client can spell because names cannot start with '.', so no tenant
 * can name another's collection.
 */
export function storedCollectionName(tenant: string, name: string): string {
  checkCollectionName(name);
  if (tenant === defaultTenant) return name;
  const stored = `.${checkTenantId(tenant)}.${name}`;
  if (stored.length > maxStoredLength) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `collection name ${JSON.stringify(name)} is too long: tenant ${tenant} may use at most ${String(maxStoredLength - tenant.length - 2)} characters`,
    );
  }
  return stored;
}

/** The tenant and client-visible name of a stored name; throws for a name no tenant could have made. */
export function parseStoredCollectionName(stored: string): { tenant: string; name: string } {
  if (!stored.startsWith('.')) return { tenant: defaultTenant, name: checkCollectionName(stored) };
  const end = stored.indexOf('.', 1);
  const tenant = end > 1 ? stored.slice(1, end) : '';
  const name = stored.slice(end + 1);
  if (storedCollectionName(tenant, name) !== stored) {
    throw new StrataError('INVALID_ARGUMENT', `${JSON.stringify(stored)} is not a stored collection name`);
  }
  return { tenant, name };
}

/** The name a client knows a stored collection by, for messages. */
export function clientCollectionName(stored: string): string {
  return stored.startsWith('.') ? stored.slice(stored.indexOf('.', 1) + 1) : stored;
}
