import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../kernel/index.js';
import { startOrder } from './module-manager.js';
import { moduleDependencies } from './modules.js';
import { targetNames } from './module-names.js';

describe('startOrder', () => {
  it('puts every dependency before its dependents', () => {
    for (const target of targetNames) {
      const order = startOrder(moduleDependencies, [target]);
      for (const [index, name] of order.entries()) {
        for (const dep of moduleDependencies[name]) {
          assert.ok(order.includes(dep) && order.indexOf(dep) < index, `${dep} before ${name} in ${target}`);
        }
      }
    }
  });

  it('runs only what the targets need, once each', () => {
    assert.deepEqual(startOrder(moduleDependencies, ['vector']), [
      'observability',
      'security',
      'server',
      'vector',
    ]);
    assert.deepEqual(startOrder(moduleDependencies, ['vector', 'serving']), [
      'observability',
      'security',
      'server',
      'vector',
      'serving',
    ]);
    const all = startOrder(moduleDependencies, ['all']);
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.length, Object.keys(moduleDependencies).length);
  });

  it('rejects a cycle and names its path', () => {
    const cyclic = { a: ['b'], b: ['c'], c: ['a'], d: ['a'] } as const;
    assert.throws(
      () => startOrder<keyof typeof cyclic>(cyclic, ['d']),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'MODULE_DEPENDENCY_CYCLE' &&
        error.message.includes('a → b → c → a'),
    );
  });

  it('rejects an unknown module and lists the known ones', () => {
    const table: Record<string, readonly string[]> = { a: [], b: ['a'] };
    assert.throws(
      () => startOrder(table, ['c']),
      (error: unknown) =>
        isStrataError(error) && error.code === 'UNKNOWN_TARGET' && error.message.includes('a, b'),
    );
  });
});
