import { StrataError } from '../../kernel/index.js';

/**
 * Collection names become directory names, so only a safe alphabet is allowed: no path separators,
 * no `..`, nothing a filesystem could treat specially.
 */
export function checkCollectionName(name: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/.test(name) || name.includes('..')) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `collection name ${JSON.stringify(name)} is invalid: use 1 to 255 letters, digits, '_', '-' or '.', not starting with '.'`,
    );
  }
  return name;
}
