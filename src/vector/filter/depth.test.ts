import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { checkDepth, MAX_JSON_DEPTH } from './depth.js';
import { parseFilter } from './parse.js';

const nestedObject = (depth: number): unknown =>
  JSON.parse('{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1));

describe('JSON depth limit of payloads and filters', () => {
  it('accepts exactly MAX_JSON_DEPTH levels and refuses one more, naming the path', () => {
    checkDepth(nestedObject(MAX_JSON_DEPTH), 'payload');
    assert.throws(
      () => {
        checkDepth(nestedObject(MAX_JSON_DEPTH + 1), 'points[3].payload');
      },
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'INVALID_ARGUMENT' &&
        error.message === `points[3].payload is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });

  it('counts arrays as levels and ignores scalars', () => {
    checkDepth([1, 'a', null, true], 'payload');
    assert.throws(() => {
      checkDepth(JSON.parse('['.repeat(100) + ']'.repeat(100)), 'payload');
    }, /nested deeper/);
  });

  it('refuses a filter nested thousands of levels deep before parsing it', () => {
    const deep = JSON.parse('{"must":['.repeat(3000) + '{"has_id":[1]}' + ']}'.repeat(3000)) as unknown;
    assert.throws(() => parseFilter(deep), /filter is nested deeper than 64 levels/);
  });
});
