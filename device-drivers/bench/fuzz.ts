/**
 * `npm run bench -- fuzz [--json] [--inputs n] [--seed n]`: feeds the frame and register parsers of
 * firmware-protocols with generated inputs (random bytes, well-formed frames with bytes changed and the CRC made
 * good again so decoding goes past the check, random register blocks, random chunkings of a byte stream) and counts
 * what happened. A parser may refuse an input with its codec error (counted as rejected); any other exception is a
 * throw, and a run passes only with none. Reports inputs tried, throws (with the first few), and RSS growth.
 */
import {
  AdapterCodecError,
  AdapterStreamParser,
  decodeCommandBody,
  decodeCommandFrame,
  decodeMessageBody,
  decodeQueryReply,
  decodeReturnFrame,
  encodeCommandFrame,
} from '../../firmware-protocols/adapter';
import { crc32Mpeg2 } from '../../firmware-protocols/adapter/crc32-mpeg2';
import { CodeError, decodeBcd, decodeBroadcastId, decodeResourceCode } from '../../firmware-protocols/codes';
import { SigningError } from '../../firmware-protocols/signing';
import {
  TerminalCodecError,
  decodeChunkFrame,
  decodeDirectory,
  decodeIdentity,
  decodeReceiveBlock,
  decodeStatus,
  parseCommandBlock,
} from '../../firmware-protocols/terminal-modbus';

import { seededRandom } from '../simulator/random';

const SOURCE = '43415230000000101010101';

export interface FuzzResult {
  scenario: 'fuzz';
  inputs: number;
  rejected: number;
  throws: number;
  first_throws: string[];
  targets: Record<string, number>;
  seconds: number;
  rss_start_mb: number;
  rss_end_mb: number;
  rss_growth_mb: number;
}

/** The parsers under test, each with a generator of inputs for it drawn from `rand`. */
function fuzzTargets(rand: () => number): [string, () => void][] {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const regs = (n: number) =>
    Array.from({ length: n }, () => (rand() < 0.1 ? [0, 0xffff, 0x8000][int(3)] : int(0x10000)));
  const mutate = (frame: Buffer): Buffer => {
    const out = Buffer.from(frame);
    for (let k = 1 + int(4); k > 0; k--) out[int(out.length)] = int(256);
    if (rand() < 0.7 && out.length > 4) out.writeUInt32BE(crc32Mpeg2(out.subarray(0, out.length - 4)), out.length - 4);
    if (rand() < 0.1) return out.subarray(0, int(out.length));
    return out;
  };
  const frame = () => encodeCommandFrame(rand() < 0.5 ? 'command' : 'reply', int(256), SOURCE, bytes(int(200)), null);

  const targets: [string, () => void][] = [
    ['adapter.commandFrame', () => decodeCommandFrame(rand() < 0.8 ? mutate(frame()) : bytes(int(300)))],
    [
      'adapter.returnFrame',
      () =>
        decodeReturnFrame(rand() < 0.5 ? bytes(int(300)) : Buffer.concat([Buffer.from([0xfe, 0xfd]), bytes(int(300))])),
    ],
    ['adapter.commandBody', () => decodeCommandBody(int(256), bytes(int(120)))],
    ['adapter.messageBody', () => decodeMessageBody(int(256), bytes(int(120)))],
    ['adapter.queryReply', () => decodeQueryReply(bytes(int(200)))],
    [
      'codes',
      () => {
        const b = bytes(int(16));
        for (const f of [decodeBcd, decodeResourceCode, decodeBroadcastId]) {
          try {
            f(b);
          } catch (e) {
            if (!(e instanceof CodeError || e instanceof AdapterCodecError)) throw e;
          }
        }
      },
    ],
    ['modbus.status', () => decodeStatus(regs(int(40)))],
    ['modbus.commandBlock', () => parseCommandBlock(regs(int(80)))],
    ['modbus.chunkFrame', () => decodeChunkFrame(regs(int(140)))],
    ['modbus.receiveBlock', () => decodeReceiveBlock(regs(int(40)))],
    ['modbus.directory', () => decodeDirectory(regs(int(140)))],
    ['modbus.identity', () => decodeIdentity(regs(int(60)))],
  ];
  const parser = new AdapterStreamParser();
  const streamStep = () => {
    const parts: Buffer[] = [];
    for (let k = int(4); k >= 0; k--)
      parts.push(rand() < 0.5 ? frame() : rand() < 0.5 ? mutate(frame()) : bytes(int(64)));
    const stream = Buffer.concat(parts);
    for (let at = 0; at < stream.length;) {
      const n = 1 + int(96);
      parser.push(stream.subarray(at, at + n));
      at += n;
    }
  };
  targets.push(['adapter.streamParser', streamStep]);
  return targets;
}

export function runFuzz(total: number, seed: number, say: (line: string) => void): FuzzResult {
  const targets = fuzzTargets(seededRandom(seed));
  const counts: Record<string, number> = {};
  let rejected = 0;
  let throws = 0;
  const firstThrows: string[] = [];
  const expected = (e: unknown) =>
    e instanceof AdapterCodecError ||
    e instanceof TerminalCodecError ||
    e instanceof CodeError ||
    e instanceof SigningError;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    const [name, run] = targets[i % targets.length];
    counts[name] = (counts[name] ?? 0) + 1;
    try {
      run();
    } catch (e) {
      if (expected(e)) rejected++;
      else {
        throws++;
        if (firstThrows.length < 5)
          firstThrows.push(`${name}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    if ((i + 1) % 250_000 === 0)
      say(
        `fuzz: ${i + 1} inputs, ${rejected} rejected, ${throws} throws, rss ${(process.memoryUsage().rss / 1048576).toFixed(1)} MB`,
      );
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const mb = (v: number) => Number((v / 1048576).toFixed(1));
  return {
    scenario: 'fuzz',
    inputs: total,
    rejected,
    throws,
    first_throws: firstThrows,
    targets: counts,
    seconds: Number(seconds.toFixed(2)),
    rss_start_mb: mb(rss0),
    rss_end_mb: mb(rss1),
    rss_growth_mb: mb(rss1 - rss0),
  };
}

/** `fuzz [--json] [--inputs n] [--seed n]`, parsed here: it needs neither the simulator nor the server. */
export function fuzzMain(argv: readonly string[]): never {
  let inputs = 1_000_000;
  let seed = 1;
  let json = false;
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--json') json = true;
    else if (flag === '--inputs' || flag === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0 || v > 1e9) {
        console.error(`${flag}: expected an integer in [0, 1e9], got ${argv[i] ?? 'nothing'}`);
        process.exit(64);
      }
      if (flag === '--inputs') inputs = v;
      else seed = v;
    } else {
      console.error(`unknown option ${flag}\nusage: npm run bench -- fuzz [--json] [--inputs n] [--seed n]`);
      process.exit(64);
    }
  }
  const say = (line: string): void => (json ? console.error(line) : console.log(line));
  const result = runFuzz(inputs, seed, say);
  if (!json)
    say(
      `fuzz: ${result.inputs} inputs in ${result.seconds} s, ${result.rejected} rejected, ${result.throws} throws, RSS growth ${result.rss_growth_mb} MB`,
    );
  console.log(JSON.stringify(result));
  process.exit(result.throws === 0 ? 0 : 1);
}
