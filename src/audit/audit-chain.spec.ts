import { ChainedRow, GENESIS_HASH, canonicalJson, firstBrokenLink, rowHash, snapshotText } from './audit-chain';

function chain(n: number): ChainedRow[] {
  const rows: ChainedRow[] = [];
  let prev = GENESIS_HASH;
  for (let id = 1; id <= n; id++) {
    const base = {
      id,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, id, 123)),
      actorId: 1,
      actorName: 'admin',
      action: 'terminal.update',
      entityType: 'terminal',
      entityId: String(id),
      before: snapshotText({ b: 1, a: [2, { z: 1, y: 2 }] }),
      after: snapshotText({ name: `终端${id}` }),
      prevHash: prev,
    };
    const row = { ...base, hash: rowHash(base) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}

describe('audit chain', () => {
  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: undefined, w: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"w":null,"y":1}]},"b":1}',
    );
    expect(snapshotText({ at: new Date(Date.UTC(2026, 0, 1)) })).toBe('{"at":"2026-01-01T00:00:00.000Z"}');
    expect(snapshotText(undefined)).toBeNull();
  });

  it('accepts an intact chain, also when checked in pages', () => {
    const rows = chain(6);
    expect(firstBrokenLink(rows, null)).toBeNull();
    expect(firstBrokenLink(rows.slice(3), rows[2])).toBeNull();
  });

  it.each([
    ['changed content', (r: ChainedRow[]) => (r[2].after = '{"name":"x"}'), 3, /changed/],
    ['changed actor', (r: ChainedRow[]) => (r[1].actorName = 'mallory'), 2, /changed/],
    ['changed time', (r: ChainedRow[]) => (r[4].at = new Date(0)), 5, /changed/],
    ['relinked row', (r: ChainedRow[]) => (r[3].prevHash = GENESIS_HASH), 4, /prevHash/],
    ['deleted row', (r: ChainedRow[]) => r.splice(2, 1), 4, /row 3 is missing/],
  ])('reports the first broken link: %s', (_name, tamper, id, reason) => {
    const rows = chain(6);
    tamper(rows);
    const broken = firstBrokenLink(rows, null);
    expect(broken?.id).toBe(id);
    expect(broken?.reason).toMatch(reason);
  });
});
