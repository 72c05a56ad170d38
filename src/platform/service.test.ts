import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Service, type ServiceState } from './service.js';

function recorded(service: Service): ServiceState[] {
  const states: ServiceState[] = [];
  service.onStateChange((changed) => states.push(changed.state));
  return states;
}

describe('Service', () => {
  it('goes new → starting → running → stopping → terminated', async () => {
    const service = new Service('x', { start: () => Promise.resolve(), stop: () => Promise.resolve() });
    const states = recorded(service);
    await service.start();
    await service.stop();
    assert.deepEqual(states, ['starting', 'running', 'stopping', 'terminated']);
  });

  it('is failed with its cause when start rejects, and stop still releases resources', async () => {
    let released = false;
    const cause = new Error('port in use');
    const service = new Service('x', {
      start: () => Promise.reject(cause),
      stop: () => {
        released = true;
        return Promise.resolve();
      },
    });
    await assert.rejects(service.start(), cause);
    assert.equal(service.state, 'failed');
    assert.equal(service.failure, cause);
    await service.stop();
    assert.ok(released);
    assert.equal(service.state, 'failed', 'a failed service stays failed');
  });

  it('cannot start twice', async () => {
    const service = new Service('x', { start: () => Promise.resolve(), stop: () => Promise.resolve() });
    await service.start();
    await assert.rejects(service.start(), /cannot start from state running/);
  });

  it('stopping a service that never started terminates it without calling stop', async () => {
    let stopped = false;
    const service = new Service('x', {
      start: () => Promise.resolve(),
      stop: () => {
        stopped = true;
        return Promise.resolve();
      },
    });
    await service.stop();
    assert.equal(service.state, 'terminated');
    assert.equal(stopped, false);
  });
});
