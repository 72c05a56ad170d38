import { StrataError } from '../../kernel/index.js';
import type { Identity } from './identity.js';
import {
  actions,
  isAction,
  matchesPattern,
  resourcePatternProblem,
  resourceProblem,
  type Action,
} from './resources.js';

/** One grant: these actions on resources matching any of these patterns. */
export interface Grant {
  /** Action names, or `'*'` (alone or as an element) for every action. */
  readonly actions: '*' | readonly string[];
  /** Resource patterns such as `collection:orders-*`, `model:*`, `*`. */
  readonly resources: readonly string[];
}

/** A role defined in configuration, next to the built-in admin, editor and viewer. */
export interface RoleDefinition {
  readonly name: string;
  readonly grants: readonly Grant[];
  /** Roles whose grants this one includes (built-in or custom, defined anywhere in the list). */
  readonly inherits?: readonly string[];
}

const dataResources = ['collection:*', 'model:*', 'pipeline:*', 'feature_view:*'];

/**
 * The built-in roles. A viewer may also run inference: an inference reads a model without
 * changing any state, as a vector search reads a collection (Qdrant's read-only keys may search
 * too). What inference costs is the business of quotas and rate limits, not of this role. Their
 * names are reserved: configuration cannot redefine them, so `viewer` means the same everywhere.
 */
export const builtInRoles: readonly RoleDefinition[] = [
  { name: 'admin', grants: [{ actions: '*', resources: ['*'] }] },
  { name: 'editor', grants: [{ actions: ['read', 'write', 'infer'], resources: dataResources }] },
  {
    name: 'viewer',
    grants: [
      { actions: ['read'], resources: dataResources },
      { actions: ['infer'], resources: ['model:*'] },
    ],
  },
];

interface CompiledGrant {
  readonly actions: ReadonlySet<Action> | '*';
  readonly resources: readonly string[];
}

/**
 * Decides whether an identity may perform an action on a resource. A request is allowed when one
 * of the identity's roles grants it and, if the identity carries scopes (an API key created with
 * scopes, a JWT scope claim), one of the scopes covers it too: scopes only ever narrow the roles,
 * never widen them. Scopes read `<action>:<resource pattern>`, e.g. `read:collection:orders-*` or
 * `*:model:*`.
 */
export class Authorizer {
  readonly #roles = new Map<string, readonly CompiledGrant[]>();

  /** @throws StrataError CONFIG_INVALID naming every problem in `customRoles`. */
  constructor(customRoles: readonly RoleDefinition[] = []) {
    const problems: string[] = [];
    const definitions = new Map<string, RoleDefinition>();
    for (const role of builtInRoles) definitions.set(role.name, role);
    for (const [index, role] of customRoles.entries()) {
      const at = `roles[${index}]`;
      if (!/^[a-z][a-z0-9_-]*$/.test(role.name)) {
        problems.push(
          `${at}.name "${role.name}" must be lowercase letters, digits, - or _, starting with a letter`,
        );
      } else if (definitions.has(role.name)) {
        problems.push(
          builtInRoles.some((builtIn) => builtIn.name === role.name)
            ? `${at}.name "${role.name}" is a built-in role; choose another name`
            : `${at}.name "${role.name}" is defined twice`,
        );
      } else {
        definitions.set(role.name, role);
      }
      problems.push(...grantProblems(role.grants, `${at}.grants`));
    }
    for (const [index, role] of customRoles.entries()) {
      for (const parent of role.inherits ?? []) {
        if (!definitions.has(parent)) {
          problems.push(
            `roles[${index}].inherits names unknown role "${parent}"; defined roles: ${[...definitions.keys()].join(', ')}`,
          );
        }
      }
    }
    if (problems.length > 0) {
      throw new StrataError('CONFIG_INVALID', `Invalid roles: ${problems.join('; ')}.`, {
        details: { problems },
      });
    }
    for (const name of definitions.keys()) {
      const grants = collectGrants(name, definitions, new Set());
      this.#roles.set(name, grants.map(compileGrant));
    }
  }

  /** The names of every defined role, built-in first. */
  get roleNames(): readonly string[] {
    return [...this.#roles.keys()];
  }

  hasRole(name: string): boolean {
    return this.#roles.has(name);
  }

  /** Whether `identity` may perform `action` on `resource`, without throwing on a denial. */
  allows(identity: Identity, action: Action, resource: string): boolean {
    assertRequest(action, resource);
    return this.#byRoles(identity, action, resource) && byScopes(identity, action, resource);
  }

  /**
   * @throws StrataError PERMISSION_DENIED naming the action, the resource and the identity's roles
   * (and its scopes when they are what refused it).
   */
  check(identity: Identity, action: Action, resource: string): void {
    assertRequest(action, resource);
    const allowedByRoles = this.#byRoles(identity, action, resource);
    if (allowedByRoles && byScopes(identity, action, resource)) return;
    // Refused: only now is the message worth building.
    const roles = identity.roles.map((role) => (this.#roles.has(role) ? role : `${role} (not defined)`));
    const shown = roles.length === 0 ? 'no roles' : `roles ${roles.join(', ')}`;
    const details = { action, resource, subject: identity.subject, roles: identity.roles };
    if (!allowedByRoles) {
      throw new StrataError(
        'PERMISSION_DENIED',
        `${identity.subject} (${shown}) may not ${action} ${resource}; ask an administrator for a role that grants it.`,
        { details },
      );
    }
    const scopes = identity.scopes ?? [];
    throw new StrataError(
      'PERMISSION_DENIED',
      `${identity.subject} (${shown}) may not ${action} ${resource}: its scopes (${scopes.join(', ') || 'none'}) do not cover it; use a credential whose scopes do.`,
      { details: { ...details, scopes } },
    );
  }

  #byRoles(identity: Identity, action: Action, resource: string): boolean {
    return identity.roles.some((role) =>
      (this.#roles.get(role) ?? []).some(
        (grant) =>
          (grant.actions === '*' || grant.actions.has(action)) &&
          grant.resources.some((pattern) => matchesPattern(pattern, resource)),
      ),
    );
  }
}

/** Why `scope` is not `<action or *>:<resource pattern>`, or undefined when it is valid. */
export function scopeProblem(scope: string): string | undefined {
  const colon = scope.indexOf(':');
  const action = colon < 0 ? scope : scope.slice(0, colon);
  if (action !== '*' && !isAction(action)) {
    return `scope "${scope}" must start with an action (${actions.join(', ')}) or *, then :<resource pattern>`;
  }
  if (colon < 0) return `scope "${scope}" has no resource pattern; write e.g. ${action}:collection:*`;
  return resourcePatternProblem(scope.slice(colon + 1));
}

function byScopes(identity: Identity, action: Action, resource: string): boolean {
  if (identity.scopes === undefined) return true;
  return identity.scopes.some((scope) => {
    // Invalid scopes are refused where they enter (key creation, token verification); here one that
    // slipped through simply covers nothing.
    if (scopeProblem(scope) !== undefined) return false;
    const colon = scope.indexOf(':');
    const scopeAction = scope.slice(0, colon);
    return (
      (scopeAction === '*' || scopeAction === action) && matchesPattern(scope.slice(colon + 1), resource)
    );
  });
}

function assertRequest(action: string, resource: string): void {
  const problem = isAction(action)
    ? resourceProblem(resource)
    : `"${action}" is not one of ${actions.join(', ')}`;
  if (problem !== undefined) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot authorize: ${problem}.`, {
      details: { action, resource },
    });
  }
}

function grantProblems(grants: readonly Grant[], at: string): string[] {
  const problems: string[] = [];
  for (const [index, grant] of grants.entries()) {
    const granted = grant.actions === '*' ? [] : grant.actions;
    for (const action of granted) {
      if (action !== '*' && !isAction(action)) {
        problems.push(`${at}[${index}].actions has "${action}"; use ${actions.join(', ')} or *`);
      }
    }
    if (grant.resources.length === 0)
      problems.push(`${at}[${index}].resources is empty; it would grant nothing`);
    for (const pattern of grant.resources) {
      const problem = resourcePatternProblem(pattern);
      if (problem !== undefined) problems.push(`${at}[${index}].resources: ${problem}`);
    }
  }
  return problems;
}

/** A role's own grants plus those of the roles it inherits; a cycle just stops (the grants are a union). */
function collectGrants(
  name: string,
  definitions: ReadonlyMap<string, RoleDefinition>,
  seen: Set<string>,
): Grant[] {
  const role = definitions.get(name);
  if (role === undefined || seen.has(name)) return [];
  seen.add(name);
  return [
    ...role.grants,
    ...(role.inherits ?? []).flatMap((parent) => collectGrants(parent, definitions, seen)),
  ];
}

function compileGrant(grant: Grant): CompiledGrant {
  const all = grant.actions === '*' || grant.actions.includes('*');
  return {
    actions: all ? '*' : new Set(grant.actions.filter(isAction)),
    resources: grant.resources,
  };
}
