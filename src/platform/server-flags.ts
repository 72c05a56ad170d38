/**
 * The V8 flags a Strata server process runs with (docs/decisions/0018): a floor of 16 MiB under
 * each half of V8's young generation. Without it V8 shrinks the young generation while a server
 * idles, and under the next burst of requests a third or more of each scavenge's objects can
 * survive into the old generation, so that the process spends most of its time collecting
 * garbage. V8 reads heap flags only when the process starts, so they are on the command line of
 * every way Strata starts: `npm start`, the `strata` command's first line, and the benchmarks'
 * server processes. server-flags.test.ts checks that those agree with this list.
 */
export const serverNodeFlags: readonly string[] = ['--min-semi-space-size=16'];
