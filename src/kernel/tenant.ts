import { StrataError } from './errors/strata-error.js';

/**
 * Tenants (docs/decisions/0008): every resource belongs to one, and a caller acts only within its
 * own. Resources created with authentication off, and the first start's admin key, belong to
 * `default`; a data directory from before tenants holds only the default tenant's resources.
 */
export const defaultTenant = 'default';

/** What a tenant id may be, as a JSON Schema `pattern` for configuration schemas. */
export const tenantIdPattern = '^[A-Za-z0-9_-]{1,64}$';
const tenantRegExp = new RegExp(tenantIdPattern);

/** Whether `tenant` is a valid tenant id: 1 to 64 letters, digits, '_' or '-'. */
export function isTenantId(tenant: string): boolean {
  return tenantRegExp.test(tenant);
}

/** Returns `tenant`, or throws INVALID_ARGUMENT naming where it came from. */
export function checkTenantId(tenant: string, where = 'tenant'): string {
  if (!isTenantId(tenant)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${where} ${JSON.stringify(tenant)} is invalid: use 1 to 64 letters, digits, '_' or '-'`,
    );
  }
  return tenant;
}
