/**
 * Resources are `<type>:<name>` (`collection:orders`, `admin:api-keys`); patterns over them use `*`
 * for any run of characters (`collection:orders-*`, `*`). Grants and scopes share this syntax.
 */
export const resourceTypes = ['collection', 'model', 'pipeline', 'feature_view', 'admin'] as const;
export type ResourceType = (typeof resourceTypes)[number];

/** `infer` applies to models; `admin` is managing a resource (create, drop, configure) or the platform. */
export const actions = ['read', 'write', 'infer', 'admin'] as const;
export type Action = (typeof actions)[number];

export function isAction(value: string): value is Action {
  return (actions as readonly string[]).includes(value);
}

export function isResourceType(value: string): value is ResourceType {
  return (resourceTypes as readonly string[]).includes(value);
}

/** Why `pattern` is not a valid resource pattern, or undefined when it is. */
export function resourcePatternProblem(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  const colon = pattern.indexOf(':');
  if (colon < 0) return `"${pattern}" is not <type>:<name> or "*"`;
  const type = pattern.slice(0, colon);
  // A typo in the type ("collections:*") would otherwise be a grant that silently matches nothing.
  if (type !== '*' && !isResourceType(type)) {
    return `"${pattern}" has resource type "${type}"; use one of ${resourceTypes.join(', ')} or *`;
  }
  if (colon === pattern.length - 1) return `"${pattern}" has no name after the colon; use * for any`;
  return undefined;
}

/** Why `resource` is not a concrete resource, or undefined when it is. */
export function resourceProblem(resource: string): string | undefined {
  const colon = resource.indexOf(':');
  const type = colon < 0 ? '' : resource.slice(0, colon);
  if (!isResourceType(type))
    return `"${resource}" is not <type>:<name> with type one of ${resourceTypes.join(', ')}`;
  if (colon === resource.length - 1) return `"${resource}" has no name`;
  return undefined;
}

/**
 * Glob match where `*` stands for any run of characters, nothing else is special. Greedy with one
 * backtrack point (the classic wildcard algorithm): linear for the patterns grants use, and never
 * the exponential blow-up a naive regex translation can hit.
 */
export function matchesPattern(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
