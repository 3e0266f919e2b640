/**
 * `npm run bench -- long-clip [--json] [--seed n] [--dead f] [--noise f] [--seconds s]` (docs/performance.md): one stored
 * clip of 300 s at opus 16 kb/s (600,000 bytes: 2,500 chunks, past the first bitmap read of PROTOCOL.md §6.3) sent by the
 * driver's clip transfer to one bus of 13 terminals at 115,200 baud (the simulator's `clip-bus`, in a child process),
 * 1 % of frames corrupted, 5 % of terminals dead. measured_s is the transfer, prepare to the last unit checked; the
 * bound counts what the wire forces: the prepare, every chunk and the commit broadcast once, each live unit's header and
 * whole bitmap read once, one unanswered request per dead unit. Afterwards (not timed) every live terminal's receive
 * header and directory are read: `verified` counts those holding the clip with its chunk count and digest.
 */
import { performance } from 'node:perf_hooks';
import { sm3 } from 'sm-crypto-v2';
import { Sm2Signer } from '../../firmware-protocols/signing';
import {
  chunkCount,
  decodeDirectory,
  decodeReceiveBlock,
  directoryReadCount,
  encodeChunkFrame,
  MAX_READ_REGISTERS,
  REGISTERS,
} from '../../firmware-protocols/terminal-modbus';
import { ModbusTerminalBus } from '../modbus-terminal/modbus-terminal-bus';
import { clipBusShape } from '../simulator/county-shape';
import { SimulatorProcess } from '../simulator/simulator-process';
import { systemClock } from '../transport/clock';
import { Bound } from '../transport/line-timing';
import { benchResult, resultLine } from './report';
import { busTargetOf, type BusTarget } from './sweep';

const HOST = '127.0.0.1';
/** Opus at 16 kb/s (src/audio/media/codec-profiles.ts). */
const OPUS_BYTES_PER_SECOND = 2000;
const COMMAND_BYTES = 9 + 2 * REGISTERS.command.count;

interface LongClipOptions {
  json: boolean;
  seed: number;
  dead: number;
  noise: number;
  seconds: number;
}

function parse(argv: readonly string[]): LongClipOptions {
  const o: LongClipOptions = { json: false, seed: 1, dead: 0.05, noise: 0.01, seconds: 300 };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--json') {
      o.json = true;
      continue;
    }
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${flag}: expected a number, got ${argv[i] ?? 'nothing'}`);
    if (flag === '--seed') o.seed = v;
    else if (flag === '--dead') o.dead = v;
    else if (flag === '--noise') o.noise = v;
    else if (flag === '--seconds') o.seconds = v;
    else
      throw new RangeError(
        `unknown option ${flag}\nusage: npm run bench -- long-clip [--json] [--seed n] [--dead f] [--noise f] [--seconds s]`,
      );
  }
  return o;
}

function clipOf(bytes: number): { clipId: number; codec: string; digest: string; data: Uint8Array } {
  const data = new Uint8Array(bytes);
  let x = 4242;
  for (let i = 0; i < bytes; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return { clipId: 1901, codec: 'opus-16k', digest: sm3(data), data };
}

/** What the wire forces (docs/performance.md, as for alert-clip's transfer, with the whole bitmap read once). */
export function longClipBound(t: BusTarget, bytes: number, live: number, dead: number): Bound {
  const chunks = chunkCount(bytes);
  const chunkBytes = 9 + 2 * encodeChunkFrame(1, 0, new Uint8Array(bytes)).length;
  const b = new Bound(t.timing)
    .broadcast(COMMAND_BYTES)
    .broadcast(chunkBytes, chunks)
    .broadcast(9 + 2 * REGISTERS.commit.count)
    .unanswered(8, dead);
  for (let left = REGISTERS.receive.headerCount + Math.ceil(chunks / 16); left > 0; left -= MAX_READ_REGISTERS)
    b.transaction(8, 5 + 2 * Math.min(MAX_READ_REGISTERS, left), live);
  return b;
}

/** Not timed: the units whose receive header and directory show the clip stored with its chunk count and digest. */
async function verifyHeld(bus: ModbusTerminalBus, units: number[], clip: ReturnType<typeof clipOf>): Promise<number[]> {
  const held: number[] = [];
  const read = async (unit: number, address: number, count: number): Promise<number[]> => {
    for (let attempt = 0; ; attempt++)
      try {
        return await bus.read(unit, address, count, 'FC03 bench check', { priority: 'command', tryBackedOff: true });
      } catch (e) {
        if (attempt >= 4) throw e;
      }
  };
  for (const unit of units) {
    try {
      const r = decodeReceiveBlock(await read(unit, REGISTERS.receive.address, REGISTERS.receive.headerCount));
      const dir = decodeDirectory(await read(unit, REGISTERS.directory.address, directoryReadCount()));
      const entry = dir.clips.find((c) => c.clipId === clip.clipId);
      if (
        r.clipId === clip.clipId &&
        r.state === 'stored' &&
        r.chunkCount === chunkCount(clip.data.length) &&
        entry?.digestPrefix === clip.digest.slice(0, 8)
      )
        held.push(unit);
    } catch {
      // not verified
    }
  }
  return held;
}

async function longClip(o: LongClipOptions, say: (line: string) => void): Promise<string> {
  const sim = await SimulatorProcess.start({ shape: 'clip-bus', seed: o.seed, deadFraction: o.dead, noise: o.noise });
  try {
    const t = busTargetOf(clipBusShape().gateways[0], HOST, sim.ready.ports[0]);
    const dead = new Set(sim.ready.dead.map(([, u]) => u));
    const live = t.units.filter((u) => !dead.has(u));
    const clip = clipOf(Math.round(o.seconds * OPUS_BYTES_PER_SECOND));
    const chunks = chunkCount(clip.data.length);
    const bound = longClipBound(t, clip.data.length, live.length, dead.size);
    say(
      `long-clip: ${clip.data.length} bytes (${chunks} chunks) to ${t.units.length} terminals (${dead.size} dead) at ${t.gateway.baudRate} baud, bound ${bound.seconds.toFixed(3)} s`,
    );
    let sequence = 0;
    const bus = new ModbusTerminalBus({
      busId: t.busId,
      gateway: t.gateway,
      clock: systemClock,
      signer: new Sm2Signer(sim.ready.certificate.serial, sim.ready.certificate.privateKeyHex),
      nextSequence: () => ++sequence,
    });
    await bus.start();
    let chunkFrames = 0;
    const write = bus.write.bind(bus);
    bus.write = (unit, address, values, operation, opts) => {
      if (address === REGISTERS.chunk.address) chunkFrames++;
      return write(unit, address, values, operation, opts);
    };
    const t0 = performance.now();
    const r = await bus.transferClip(t.units, clip, { priority: 'transfer' });
    const measured = (performance.now() - t0) / 1000;
    const failedLive = r.failed.filter((f) => !dead.has(f.unit));
    say(`controller: ${measured.toFixed(3)} s, stored on ${r.stored.length}, failed ${JSON.stringify(r.failed)}`);
    const held = await verifyHeld(bus, live, clip);
    await bus.stop();
    return resultLine(
      benchResult('long-clip', measured, bound.seconds, null, {
        bytes: clip.data.length,
        chunks,
        terminals: t.units.length,
        dead: dead.size,
        live: live.length,
        stored: r.stored.length + r.alreadyStored.length,
        verified: held.length,
        failed_live: failedLive.map((f) => `unit ${f.unit}: ${f.reason}`),
        chunks_resent: chunkFrames - chunks,
        frames_sent: r.framesSent,
        noise: o.noise,
        baud: t.gateway.baudRate,
        simulator: await sim.counters(),
      }),
    );
  } finally {
    await sim.stop();
  }
}

export function longClipMain(argv: readonly string[]): void {
  let o: LongClipOptions;
  try {
    o = parse(argv);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(64);
  }
  const say = (line: string): void => (o.json ? console.error(line) : console.log(line));
  const limit = setTimeout(() => {
    console.error('bench long-clip: stopped after its time limit of 900 s');
    process.exit(2);
  }, 900_000);
  longClip(o, say)
    .then((line) => {
      clearTimeout(limit);
      console.log(line);
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    });
}
