// The frame of security's conformance suites (STYLE.md §4): one suite, every backend, each test on
// fresh storage that it closes whatever happens.
import { it, type TestContext } from 'node:test';

/** A fresh backend for one test, or undefined when the test was skipped (backend missing). */
export type HarnessFactory<H> = (t: TestContext) => Promise<H | undefined>;

/** `it`, run on a harness from `create` and closed after the body; a skipped test does nothing. */
export function harnessTest<H extends { close?(): Promise<void> }>(
  create: HarnessFactory<H>,
): (title: string, body: (harness: H) => Promise<void>) => void {
  return (title, body) => {
    it(title, async (t) => {
      const harness = await create(t);
      if (harness === undefined) return;
      try {
        await body(harness);
      } finally {
        await harness.close?.();
      }
    });
  };
}
