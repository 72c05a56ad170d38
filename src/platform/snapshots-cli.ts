import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { StrataError } from '../kernel/index.js';
import { apiTarget, callApi, requestApi, withApiFlags, type ApiFlags, type ApiTarget } from './api-client.js';

interface SnapshotDescription {
  readonly name: string;
  readonly creation_time?: string | null;
  readonly size: number;
  readonly checksum?: string | null;
}

const path = (collection: string, rest = ''): string =>
  `/collections/${encodeURIComponent(collection)}/snapshots${rest}`;

/**
 * `strata snapshots create|list|download|restore|delete`: a client of a running Strata's Qdrant
 * snapshot API, so that it works the same against a local process and a remote deployment.
 * Downloads and uploads stream (a snapshot may not fit in memory twice), report progress on
 * stderr, and a download is checked against the checksum the server lists.
 */
export function snapshotsCommand(
  fail: (error: unknown) => never,
  defaultUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): Command {
  const snapshots = new Command('snapshots').description(
    "back up and restore a running Strata's collections",
  );
  const target = (flags: ApiFlags) => apiTarget(flags, env);
  const run = (work: () => Promise<void>): Promise<void> => work().catch(fail);
  const withUrl = (command: Command): Command => withApiFlags(command, defaultUrl);

  withUrl(snapshots.command('create <collection>').description('snapshot a collection as of now')).action(
    (collection: string, flags: ApiFlags) =>
      run(async () => {
        const { result } = (await callApi(target(flags), 'POST', path(collection))) as {
          result: SnapshotDescription;
        };
        process.stdout.write(`${line(result)}\n`);
      }),
  );

  withUrl(
    snapshots.command('list <collection>').description('list a collection’s snapshots, oldest first'),
  ).action((collection: string, flags: ApiFlags) =>
    run(async () => {
      const { result } = (await callApi(target(flags), 'GET', path(collection))) as {
        result: SnapshotDescription[];
      };
      for (const snapshot of result) process.stdout.write(`${line(snapshot)}\n`);
    }),
  );

  withUrl(
    snapshots
      .command('download <collection> <snapshot>')
      .description('download a snapshot file and check it against the listed checksum'),
  )
    .option('-o, --output <file>', 'where to write it (default: the snapshot name, here)')
    .action((collection: string, snapshot: string, flags: ApiFlags & { output?: string }) =>
      run(async () => {
        const output = resolve(flags.output ?? snapshot);
        const written = await download(target(flags), collection, snapshot, output);
        process.stdout.write(`${output}\t${String(written.size)}\t${written.checksum}\n`);
      }),
    );

  withUrl(
    snapshots
      .command('restore <collection> [file]')
      .description(
        'replace (or create) a collection from a snapshot file on this machine, or from --location on the server',
      ),
  )
    .option(
      '--location <url>',
      'file:// URL of a snapshot in the server’s snapshots folder instead of a file',
    )
    .option('--checksum <sha256>', 'refuse the file unless its SHA-256 is this')
    .action(
      (
        collection: string,
        file: string | undefined,
        flags: ApiFlags & { location?: string; checksum?: string },
      ) =>
        run(async () => {
          if ((file === undefined) === (flags.location === undefined)) {
            throw new StrataError(
              'INVALID_ARGUMENT',
              'give either a snapshot file or --location <url>, not both',
            );
          }
          if (flags.location !== undefined) {
            await callApi(target(flags), 'PUT', path(collection, '/recover'), {
              location: flags.location,
              ...(flags.checksum === undefined ? {} : { checksum: flags.checksum }),
            });
          } else if (file !== undefined) {
            await upload(target(flags), collection, file, flags.checksum);
          }
          process.stdout.write(`restored ${collection}\n`);
        }),
    );

  withUrl(snapshots.command('delete <collection> <snapshot>').description('delete a snapshot')).action(
    (collection: string, snapshot: string, flags: ApiFlags) =>
      run(async () => {
        await callApi(target(flags), 'DELETE', path(collection, `/${encodeURIComponent(snapshot)}`));
        process.stdout.write(`deleted ${snapshot}\n`);
      }),
  );
  return snapshots;
}

function line(snapshot: SnapshotDescription): string {
  return [snapshot.name, snapshot.creation_time ?? '-', String(snapshot.size), snapshot.checksum ?? '-'].join(
    '\t',
  );
}

/** Streams the file to a temporary name, renamed into place only once it checks out. */
async function download(
  target: ApiTarget,
  collection: string,
  snapshot: string,
  output: string,
): Promise<{ size: number; checksum: string }> {
  const response = await requestApi(target, 'GET', path(collection, `/${encodeURIComponent(snapshot)}`));
  if (response.body === null) throw new StrataError('UNAVAILABLE', 'the server answered no file');
  const total = Number(response.headers.get('content-length') ?? Number.NaN);
  const hash = createHash('sha256');
  const temporary = `${output}.part`;
  const progress = new Progress(`downloading ${snapshot}`, total);
  try {
    await pipeline(
      Readable.fromWeb(response.body),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          progress.add(chunk.length);
          done(null, chunk);
        },
      }),
      createWriteStream(temporary),
    );
    progress.end();
    const checksum = hash.digest('hex');
    const { result } = (await callApi(target, 'GET', path(collection))) as { result: SnapshotDescription[] };
    const listed = result.find((s) => s.name === snapshot)?.checksum;
    if (listed !== undefined && listed !== null && listed !== checksum) {
      throw new StrataError(
        'UNAVAILABLE',
        `the download of ${snapshot} does not match the server's checksum (damaged in transit); run the command again`,
      );
    }
    await rename(temporary, output);
    return { size: progress.done, checksum };
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

async function upload(target: ApiTarget, collection: string, file: string, checksum: string | undefined) {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new StrataError('INVALID_ARGUMENT', `cannot read the snapshot file ${file}; check the path`, {
      cause: error,
    });
  }
  const progress = new Progress(`uploading ${basename(file)}`, size);
  const counted = createReadStream(file).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        progress.add(chunk.length);
        done(null, chunk);
      },
    }),
  );
  const query = checksum === undefined ? '' : `?checksum=${encodeURIComponent(checksum)}`;
  await requestApi(target, 'POST', path(collection, `/upload${query}`), {
    body: Readable.toWeb(counted) as ReadableStream<Uint8Array>,
    contentType: 'application/octet-stream',
  });
  progress.end();
}

/** Progress on stderr: a line each 10% (or each 64 MiB when the size is unknown), then the total. */
class Progress {
  done = 0;
  #reported = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  add(bytes: number): void {
    this.done += bytes;
    const step = Number.isFinite(this.total) && this.total > 0 ? this.total / 10 : 64 * 1024 * 1024;
    if (this.done - this.#reported >= step) {
      this.#reported = this.done;
      process.stderr.write(`${this.label}: ${this.#describe()}\n`);
    }
  }

  end(): void {
    process.stderr.write(`${this.label}: ${this.#describe()} done\n`);
  }

  #describe(): string {
    const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
    return Number.isFinite(this.total) && this.total > 0
      ? `${mib(this.done)}/${mib(this.total)} MiB (${String(Math.floor((100 * this.done) / this.total))}%)`
      : `${mib(this.done)} MiB`;
  }
}
