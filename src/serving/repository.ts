import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError } from '../kernel/index.js';
import { configFileNames, type VersionPolicy } from './model-config.js';

/**
 * The model repository on disk, laid out as Triton's: `<root>/<model>/config.yaml` and one
 * directory per version, named by a positive integer (`<root>/<model>/1/`, `<root>/<model>/2/`).
 */
export interface RepositoryModel {
  readonly name: string;
  readonly directory: string;
  readonly versions: readonly number[];
}

// Model names become URL path segments and directory names: keep them plain.
const modelName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkModelName(name: string): void {
  if (!modelName.test(name) || name.includes('..')) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `model name '${name}' is not allowed: use letters, digits, '_', '-' and '.', starting with a letter or digit`,
    );
  }
}

/** Every directory under the root that holds a model config, with its versions. */
export async function scanRepository(root: string): Promise<RepositoryModel[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const models: RepositoryModel[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !modelName.test(entry.name)) continue;
    const found = await readModelDirectory(root, entry.name);
    if (found !== undefined) models.push(found);
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/** One model's directory, or undefined when it has no config file. */
export async function readModelDirectory(root: string, name: string): Promise<RepositoryModel | undefined> {
  checkModelName(name);
  const directory = join(root, name);
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!entries.some((e) => e.isFile() && (configFileNames as readonly string[]).includes(e.name)))
    return undefined;
  const versions = entries
    .filter((e) => e.isDirectory() && /^[1-9][0-9]{0,8}$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
  return { name, directory, versions };
}

/** The versions a policy selects from those on disk (Triton's default: the latest one). */
export function selectVersions(policy: VersionPolicy | undefined, available: readonly number[]): number[] {
  if (policy === undefined) return available.slice(-1);
  if ('all' in policy) return [...available];
  if ('latest' in policy) return available.slice(-policy.latest.num_versions);
  return policy.specific.versions.filter((v) => available.includes(v)).sort((a, b) => a - b);
}
