import { BusError } from '../terminal-bus';
import { ManualClock } from './manual-clock';
import { SerialTransactions } from './transactions';

describe('SerialTransactions', () => {
  it('runs one at a time, emergency first, FIFO within a class', async () => {
    const clock = new ManualClock();
    const tx = new SerialTransactions('b', clock);
    const order: string[] = [];
    let release!: () => void;
    const first = tx.run({ unit: 1, operation: 'poll-1', priority: 'poll' }, () => new Promise<void>((r) => (release = r)).then(() => void order.push('poll-1')));
    const rest = [
      tx.run({ unit: 2, operation: 'poll-2', priority: 'poll' }, async () => void order.push('poll-2')),
      tx.run({ unit: 3, operation: 'cmd-1', priority: 'command' }, async () => void order.push('cmd-1')),
      tx.run({ unit: 4, operation: 'em-1', priority: 'emergency' }, async () => void order.push('em-1')),
      tx.run({ unit: 5, operation: 'cmd-2', priority: 'command' }, async () => void order.push('cmd-2')),
    ];
    expect(tx.queueDepth()).toEqual({ emergency: 1, command: 2, transfer: 0, poll: 1 });
    release();
    await Promise.all([first, ...rest]);
    expect(order).toEqual(['poll-1', 'em-1', 'cmd-1', 'cmd-2', 'poll-2']);
    expect(tx.transactions).toBe(5);
  });

  it('fails a transaction whose deadline passed while it queued, naming it', async () => {
    const clock = new ManualClock();
    const tx = new SerialTransactions('town-1', clock);
    let release!: () => void;
    const first = tx.run({ unit: 1, operation: 'a', priority: 'poll' }, () => new Promise<void>((r) => (release = r)));
    const late = tx.run({ unit: 2, operation: 'readStatus', priority: 'poll', deadline: clock.now() + 100 }, async () => 1);
    clock.advance(200);
    release();
    await first;
    await expect(late).rejects.toThrow(BusError);
    await expect(late).rejects.toThrow(/bus town-1 unit 2 readStatus: deadline passed/);
    expect(tx.errors.deadline).toBe(1);
  });

  it('fails everything queued when stopped', async () => {
    const tx = new SerialTransactions('b', new ManualClock());
    const hold = tx.run({ unit: 1, operation: 'a', priority: 'poll' }, () => new Promise<void>(() => undefined));
    const queued = tx.run({ unit: 2, operation: 'b', priority: 'poll' }, async () => 1);
    tx.failAll('disconnected', 'stopped');
    await expect(queued).rejects.toMatchObject({ kind: 'disconnected' });
    void hold;
  });
});
