/**
 * The exchanges of firmware-protocols/adapter/vectors/exchanges.json (PROTOCOL.md §7, §9) against the simulator:
 * each starts from a fresh virtual adapter on a memory line (the server's own stream parser in front of it, so bad
 * CRCs and garbage meet the same code as on TCP), whose clock reads the vector's adapterClock; every frame it sends
 * back must be the vector's, byte for byte and in order. The codec side is
 * firmware-protocols/adapter/exchanges.spec.ts.
 */
import vectors from '../../../firmware-protocols/adapter/vectors/exchanges.json';
import { AdapterStreamParser, decodeMessageBody } from '../../../firmware-protocols/adapter';
import { Sm2Verifier } from '../../../firmware-protocols/signing/signer';
import { ManualClock } from '../../adapter/manual-clock';
import { memoryLinkPair } from '../../adapter/memory-link';
import { VirtualAdapterServer } from './adapter-server';

interface Exchange {
  name: string;
  returnHeartbeats?: boolean;
  adapterClock: string;
  steps: { send?: string; advanceMs?: number; expect: { frame: string }[] }[];
}

/** Heartbeats are left out of the vectors (their times depend on when the run began), 回传 ones unless asked for. */
function isHeartbeat(frame: Buffer, keepReturn: boolean): boolean {
  const [item] = new AdapterStreamParser(['reply', 'return']).push(frame);
  if (item.kind === 'command') return decodeMessageBody(item.frame.code, item.frame.body).kind === 'heartbeat';
  return !keepReturn && item.kind === 'return' && item.frame.data.business === 'heartbeat';
}

function run(ex: Exchange): string[][] {
  const clock = new ManualClock(Date.parse(ex.adapterClock));
  const server = new VirtualAdapterServer({
    adapterCode: vectors.adapter,
    platformCode: vectors.platform,
    terminals: vectors.terminals.map((t) => t.code),
    physical: vectors.terminals.map((t) => t.physical),
    seed: 1,
    clock,
    verifier: new Sm2Verifier([vectors.key]),
  });
  const [platform, adapterEnd] = memoryLinkPair();
  server.attach(adapterEnd);
  let got: Buffer[] = [];
  platform.onData((chunk) => got.push(chunk));
  server.adapter.startHeartbeats();
  const out = ex.steps.map((s) => {
    got = [];
    if (s.send !== undefined) platform.write(Buffer.from(s.send, 'hex'));
    if (s.advanceMs !== undefined) clock.advance(s.advanceMs);
    return got.filter((f) => !isHeartbeat(f, ex.returnHeartbeats === true)).map((f) => f.toString('hex'));
  });
  server.adapter.stop();
  return out;
}

describe('adapter exchanges (PROTOCOL.md §7, §9) against the virtual adapter', () => {
  it.each((vectors.exchanges as Exchange[]).map((e) => [e.name, e] as const))(
    '%s: answers byte for byte as the vector says',
    (_n, ex) => {
      expect(run(ex)).toEqual(ex.steps.map((s) => s.expect.map((x) => x.frame)));
    },
  );
});
