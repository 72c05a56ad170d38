import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { Authorizer, type RoleDefinition } from './authorizer.js';
import type { Identity } from './identity.js';
import type { Action } from './resources.js';

const customRoles: RoleDefinition[] = [
  { name: 'orders-writer', grants: [{ actions: ['read', 'write'], resources: ['collection:orders-*'] }] },
  { name: 'scorer', grants: [{ actions: ['infer'], resources: ['model:fraud-*', 'model:churn'] }] },
  { name: 'auditor', grants: [{ actions: '*', resources: ['admin:audit'] }], inherits: ['viewer'] },
  { name: 'ops', grants: [{ actions: ['*'], resources: ['*:staging-*'] }] },
];

function who(roles: string[], scopes?: string[]): Identity {
  return {
    subject: 'tester',
    tenant: 't1',
    roles,
    ...(scopes === undefined ? {} : { scopes }),
    via: 'api-key',
  };
}

describe('Authorizer', () => {
  const authorizer = new Authorizer(customRoles);

  // [roles, action, resource, allowed]
  const table: [string[], Action, string, boolean][] = [
    [['admin'], 'admin', 'admin:api-keys', true],
    [['admin'], 'write', 'collection:anything', true],
    [['admin'], 'infer', 'model:m', true],
    [['editor'], 'read', 'collection:c', true],
    [['editor'], 'write', 'pipeline:p', true],
    [['editor'], 'write', 'feature_view:fv', true],
    [['editor'], 'infer', 'model:m', true],
    [['editor'], 'admin', 'collection:c', false],
    [['editor'], 'read', 'admin:api-keys', false],
    [['viewer'], 'read', 'collection:c', true],
    [['viewer'], 'read', 'feature_view:fv', true],
    [['viewer'], 'infer', 'model:m', true],
    [['viewer'], 'write', 'collection:c', false],
    [['viewer'], 'write', 'model:m', false],
    [['viewer'], 'read', 'admin:api-keys', false],
    [['orders-writer'], 'write', 'collection:orders-2024', true],
    [['orders-writer'], 'write', 'collection:orders-', true],
    [['orders-writer'], 'write', 'collection:orders', false],
    [['orders-writer'], 'write', 'collection:customers', false],
    [['orders-writer'], 'write', 'pipeline:orders-etl', false],
    [['orders-writer'], 'admin', 'collection:orders-2024', false],
    [['scorer'], 'infer', 'model:fraud-v2', true],
    [['scorer'], 'infer', 'model:churn', true],
    [['scorer'], 'infer', 'model:churn-v2', false],
    [['scorer'], 'read', 'model:churn', false],
    [['auditor'], 'admin', 'admin:audit', true],
    [['auditor'], 'read', 'collection:c', true], // inherited from viewer
    [['auditor'], 'admin', 'admin:api-keys', false],
    [['ops'], 'admin', 'collection:staging-x', true],
    [['ops'], 'write', 'model:staging-m', true],
    [['ops'], 'write', 'model:prod-m', false],
    [['scorer', 'orders-writer'], 'write', 'collection:orders-1', true],
    [[], 'read', 'collection:c', false],
    [['undefined-role'], 'read', 'collection:c', false],
  ];
  for (const [roles, action, resource, allowed] of table) {
    it(`${roles.join('+') || 'no roles'} ${allowed ? 'may' : 'may not'} ${action} ${resource}`, () => {
      assert.equal(authorizer.allows(who(roles), action, resource), allowed);
      if (allowed) authorizer.check(who(roles), action, resource);
      else
        assert.throws(
          () => {
            authorizer.check(who(roles), action, resource);
          },
          { code: 'PERMISSION_DENIED' },
        );
    });
  }

  it('names the action, the resource and the roles when it denies', () => {
    assert.throws(
      () => {
        authorizer.check(who(['viewer', 'ghost']), 'write', 'collection:orders');
      },
      (error: unknown) => {
        assert.ok(isStrataError(error));
        assert.equal(error.code, 'PERMISSION_DENIED');
        assert.match(error.message, /may not write collection:orders/);
        assert.match(error.message, /viewer, ghost \(not defined\)/);
        assert.deepEqual(error.details?.['roles'], ['viewer', 'ghost']);
        return true;
      },
    );
  });

  it('lets scopes narrow the roles but never widen them', () => {
    const scoped = who(['editor'], ['read:collection:orders-*', '*:model:fraud']);
    assert.equal(authorizer.allows(scoped, 'read', 'collection:orders-1'), true);
    assert.equal(authorizer.allows(scoped, 'write', 'collection:orders-1'), false);
    assert.equal(authorizer.allows(scoped, 'read', 'collection:customers'), false);
    assert.equal(authorizer.allows(scoped, 'infer', 'model:fraud'), true);
    // The scope covers admin, the editor role does not.
    assert.equal(authorizer.allows(scoped, 'admin', 'model:fraud'), false);
    assert.equal(authorizer.allows(who(['editor'], []), 'read', 'collection:c'), false);
    assert.throws(
      () => {
        authorizer.check(scoped, 'write', 'collection:orders-1');
      },
      {
        code: 'PERMISSION_DENIED',
        message: /scopes \(read:collection:orders-\*, \*:model:fraud\) do not cover it/,
      },
    );
  });

  it('refuses requests that name no known action or resource type', () => {
    assert.throws(
      () => {
        authorizer.check(who(['admin']), 'delete' as Action, 'collection:c');
      },
      {
        code: 'INVALID_ARGUMENT',
      },
    );
    assert.throws(
      () => {
        authorizer.check(who(['admin']), 'read', 'table:c');
      },
      { code: 'INVALID_ARGUMENT' },
    );
    assert.throws(
      () => {
        authorizer.check(who(['admin']), 'read', 'collection:');
      },
      {
        code: 'INVALID_ARGUMENT',
      },
    );
  });

  it('knows its roles', () => {
    assert.deepEqual(authorizer.roleNames, [
      'admin',
      'editor',
      'viewer',
      'orders-writer',
      'scorer',
      'auditor',
      'ops',
    ]);
    assert.equal(authorizer.hasRole('scorer'), true);
    assert.equal(authorizer.hasRole('ghost'), false);
  });

  const badConfigs: [string, RoleDefinition[], RegExp][] = [
    [
      'an unknown inherited role',
      [{ name: 'x', grants: [], inherits: ['superuser'] }],
      /unknown role "superuser"/,
    ],
    ['a built-in name', [{ name: 'viewer', grants: [] }], /"viewer" is a built-in role/],
    [
      'a duplicate',
      [
        { name: 'x', grants: [] },
        { name: 'x', grants: [] },
      ],
      /"x" is defined twice/,
    ],
    ['an unknown action', [{ name: 'x', grants: [{ actions: ['delete'], resources: ['*'] }] }], /"delete"/],
    [
      'a misspelt resource type',
      [{ name: 'x', grants: [{ actions: ['read'], resources: ['collections:*'] }] }],
      /resource type "collections"/,
    ],
    [
      'a pattern without a type',
      [{ name: 'x', grants: [{ actions: ['read'], resources: ['orders'] }] }],
      /orders/,
    ],
    ['no resources', [{ name: 'x', grants: [{ actions: ['read'], resources: [] }] }], /grant nothing/],
    ['a bad name', [{ name: 'Bad Name', grants: [] }], /lowercase/],
  ];
  for (const [what, roles, message] of badConfigs) {
    it(`refuses a configuration with ${what}`, () => {
      assert.throws(() => new Authorizer(roles), { code: 'CONFIG_INVALID', message });
    });
  }

  it('accepts roles that inherit each other in a cycle (their grants are a union)', () => {
    const cyclic = new Authorizer([
      { name: 'a', grants: [{ actions: ['read'], resources: ['model:a'] }], inherits: ['b'] },
      { name: 'b', grants: [{ actions: ['read'], resources: ['model:b'] }], inherits: ['a'] },
    ]);
    assert.equal(cyclic.allows(who(['a']), 'read', 'model:b'), true);
    assert.equal(cyclic.allows(who(['b']), 'read', 'model:a'), true);
  });
});
