import { StrataError } from '../kernel/index.js';

/**
 * The modules to run for the given targets, dependencies first: a depth-first topological order
 * of the targets' dependency closure. A cycle is a bug in the module table and is reported with
 * its full path.
 */
export function startOrder<Name extends string>(
  dependencies: Readonly<Record<Name, readonly Name[]>>,
  targets: readonly Name[],
): Name[] {
  const order: Name[] = [];
  const done = new Set<Name>();
  const path: Name[] = [];

  const visit = (name: Name): void => {
    if (done.has(name)) return;
    const cycleStart = path.indexOf(name);
    if (cycleStart !== -1) {
      const cycle = [...path.slice(cycleStart), name].join(' → ');
      throw new StrataError('MODULE_DEPENDENCY_CYCLE', `module dependency cycle: ${cycle}`, {
        details: { cycle },
      });
    }
    const deps = (dependencies as Partial<Record<string, readonly Name[]>>)[name];
    if (deps === undefined) {
      const known = Object.keys(dependencies).join(', ');
      throw new StrataError('UNKNOWN_TARGET', `unknown module ${name}; known modules: ${known}`);
    }
    path.push(name);
    for (const dep of deps) visit(dep);
    path.pop();
    done.add(name);
    order.push(name);
  };

  for (const target of targets) visit(target);
  return order;
}
