import { Connectivity, ConnectivityEvent, countsOnline, nextConnectivity } from './connectivity';

describe('terminal connectivity transitions', () => {
  const table: [Connectivity, ConnectivityEvent, Connectivity][] = [
    ['unknown', 'read-ok', 'online'],
    ['unknown', 'read-failed', 'unknown'],
    ['unknown', 'silence', 'offline'],
    ['online', 'read-ok', 'online'],
    ['online', 'read-failed', 'suspect'],
    ['online', 'silence', 'offline'],
    ['suspect', 'read-failed', 'suspect'],
    ['suspect', 'failures-exhausted', 'offline'],
    ['suspect', 'read-ok', 'online'],
    ['offline', 'read-failed', 'offline'],
    ['offline', 'silence', 'offline'],
    ['offline', 'read-ok', 'online'],
    ['online', 'disabled', 'unknown'],
  ];
  it.each(table)('%s --%s--> %s', (from, event, to) => {
    expect(nextConnectivity(from, event)).toBe(to);
  });
  it('counts online and suspect terminals as online, not offline or unknown ones', () => {
    expect(['unknown', 'online', 'suspect', 'offline'].filter((s) => countsOnline(s as Connectivity))).toEqual([
      'online',
      'suspect',
    ]);
  });
});
