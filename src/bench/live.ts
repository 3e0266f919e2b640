/**
 * `npm run bench -- live [--json] [--clients n] [--rate n] [--seconds n]` (docs/performance.md): the real server in a child
 * process (src/bench/live-server.ts) receives `rate` status changes a second while `clients` Socket.IO clients, each
 * with a town-scoped technician's token, watch one town each on `/live`. Every terminal state a client receives
 * carries the time of its change; change→client latency is taken at receipt. Prints p50/p99 latency, the server's CPU
 * (cores), the clients' highest batch rate, and the JSON line last.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { LiveDelta } from '../live/live-payload';
import type { DriverMessage, ServerMessage } from './live-server';

interface Options {
  json: boolean;
  clients: number;
  ratePerS: number;
  seconds: number;
  warmupS: number;
}

function parse(argv: string[]): Options {
  const o: Options = { json: false, clients: 200, ratePerS: 5000, seconds: 10, warmupS: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name: string): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0)
        throw new RangeError(`${name}: expected a positive number, got ${argv[i] ?? 'nothing'}`);
      return v;
    };
    if (a === 'live') continue;
    else if (a === '--json') o.json = true;
    else if (a === '--clients') o.clients = Math.round(num(a));
    else if (a === '--rate') o.ratePerS = num(a);
    else if (a === '--seconds') o.seconds = num(a);
    else if (a === '--warmup') o.warmupS = num(a);
    else
      throw new RangeError(
        `unknown option ${a}\nusage: npm run bench -- live [--json] [--clients n] [--rate n] [--seconds n] [--warmup n]`,
      );
  }
  return o;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The figures of a run, from what the clients measured and what the server said when it was done. */
function liveResult(
  m: {
    latencies: number[];
    waits: number[];
    transits: number[];
    batches: number[];
    received: number;
    measuredS: number;
    clients: number;
  },
  done: Extract<ServerMessage, { type: 'done' }>,
) {
  const { latencies, waits, transits, batches, received, measuredS } = m;
  const sorted = Float64Array.from(latencies).sort();
  const waitSorted = Float64Array.from(waits).sort();
  const transitSorted = Float64Array.from(transits).sort();
  return {
    scenario: 'live',
    p50_ms: Number(percentile(sorted, 50).toFixed(1)),
    p99_ms: Number(percentile(sorted, 99).toFixed(1)),
    max_ms: Number(percentile(sorted, 100).toFixed(1)),
    outbox_wait_p99_ms: Number(percentile(waitSorted, 99).toFixed(1)),
    transit_p50_ms: Number(percentile(transitSorted, 50).toFixed(1)),
    transit_p99_ms: Number(percentile(transitSorted, 99).toFixed(1)),
    cpu_cores: Number((done.cpuS / done.wallS).toFixed(3)),
    clients: m.clients,
    changes_per_s: Math.round(done.changes / done.wallS),
    terminal_states_received: received,
    max_batches_per_s: Number((Math.max(...batches) / measuredS).toFixed(2)),
    server_rss_mb: done.rssMb,
    server_loop_delay_p99_ms: Number(done.loopDelayP99Ms.toFixed(1)),
    server_loop_delay_max_ms: Number(done.loopDelayMaxMs.toFixed(1)),
  };
}

/** The bench server (src/bench/live-server.ts) in a child process: awaiting a message of a type from it, telling it one. */
function forkServer(): {
  server: ChildProcess;
  fromServer: <T extends ServerMessage['type']>(type: T) => Promise<Extract<ServerMessage, { type: T }>>;
  tell: (m: DriverMessage) => void;
} {
  const server = fork(join(__dirname, 'live-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const fromServer = <T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: ServerMessage): void => {
        if (m.type !== type) return;
        server.off('message', onMessage);
        resolve(m as Extract<ServerMessage, { type: T }>);
      };
      server.on('message', onMessage);
      server.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it said ${type}`)));
    });
  const tell = (m: DriverMessage): void => void server.send(m);
  return { server, fromServer, tell };
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(64);
  }
  const say = (line: string): void => (o.json ? console.error(line) : console.log(line));
  const { server, fromServer, tell } = forkServer();

  const ready = await fromServer('ready');
  say(
    `live: server on port ${ready.port}, ${ready.terminals} terminals in ${ready.towns.length} towns; ${o.clients} clients, ${o.ratePerS} changes/s for ${o.seconds} s`,
  );

  let measuring = false;
  let measureFrom = 0;
  const latencies: number[] = [];
  /** The two parts of each latency: waiting in the server's outbox (change → batch sent) and transit (sent → received). */
  const waits: number[] = [];
  const transits: number[] = [];
  const batches = new Array<number>(o.clients).fill(0);
  let received = 0;
  const sockets: Socket[] = [];
  for (let i = 0; i < o.clients; i++) {
    const town = i % ready.towns.length;
    const socket = io(`http://127.0.0.1:${ready.port}/live`, {
      auth: { token: ready.tokens[town] },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const reply = (await socket.emitWithAck('subscribe', { kind: 'region', id: ready.towns[town] })) as {
      ok: boolean;
      message?: string;
    };
    if (!reply.ok) throw new Error(`client ${i}: subscription refused: ${reply.message}`);
    socket.on('delta', (d: LiveDelta) => {
      const now = Date.now();
      if (!measuring) return;
      batches[i] += 1;
      transits.push(now - d.sentAt);
      for (const t of d.terminals) {
        if (t.at >= measureFrom) waits.push(d.sentAt - t.at);
        if (t.at < measureFrom) continue;
        latencies.push(now - t.at);
        received += 1;
      }
    });
    sockets.push(socket);
  }

  const run = fromServer('done');
  tell({ type: 'run', ratePerS: o.ratePerS, seconds: o.warmupS + o.seconds });
  await new Promise((r) => setTimeout(r, o.warmupS * 1000));
  measuring = true;
  measureFrom = Date.now();
  const done = await run;
  // let the last batches (at most one period) arrive
  await new Promise((r) => setTimeout(r, 500));
  measuring = false;
  const measuredS = (Date.now() - measureFrom) / 1000;

  for (const s of sockets) s.disconnect();
  tell({ type: 'stop' });
  await new Promise((r) => server.once('exit', r));

  const result = liveResult({ latencies, waits, transits, batches, received, measuredS, clients: o.clients }, done);
  say(
    `p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, server ${result.cpu_cores} cores, ${result.changes_per_s} changes/s, ${received} states received`,
  );
  console.log(JSON.stringify(result));
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
