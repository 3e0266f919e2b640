/**
 * Entry of a simulator child process: waits for a StartRequest on the IPC channel, serves the network on loopback with
 * the real clock, answers Ready, then applies ControlRequests ({ id, ...request }) and answers each with a Reply.
 * Exits when told to stop or when the parent goes away.
 */
import { systemClock } from '../transport/clock';
import {
  applyControl,
  churnOf,
  shapeOf,
  type ControlRequest,
  type Ready,
  type Reply,
  type StartRequest,
} from './control';
import { developmentCertificate, startCountyNetwork } from './county-network';

async function serve(req: StartRequest): Promise<void> {
  const { network } = await startCountyNetwork({
    shape: shapeOf(req.shape, req.basePort, req.province),
    clock: systemClock,
    seed: req.seed,
    deadFraction: req.deadFraction ?? 0.05,
    noise: req.noise ?? 0.01,
    transport: req.transport,
    useShapePorts: req.basePort !== undefined,
    verifyMs: req.verifyMs,
    olderEveryNth: req.olderEveryNth,
    certificates: [developmentCertificate(req.seed), ...(req.trust ?? [])],
    selfTestFindings: req.selfTestFindings,
  });
  const ready: Ready = {
    type: 'ready',
    ports: network.gateways.map((g) => g.port),
    dead: network.deadUnits(),
    certificate: developmentCertificate(req.seed),
  };
  process.send?.(ready);
  process.on('message', (m: ControlRequest & { id: number }) => {
    applyControl(network, m).then(
      (counters) => {
        const reply: Reply = {
          type: 'reply',
          id: m.id,
          counters,
          ...(m.op === 'play-log' ? { playLog: network.playLogs() } : {}),
          ...(m.op === 'bus-counters' ? { busCounters: network.gateways.map((g) => ({ ...g.bus.counters })) } : {}),
          ...(m.op === 'churn-log' ? { churnLog: churnOf(network).slice(m.from, m.max) } : {}),
          ...(m.op === 'connections'
            ? { connections: network.gateways.map((g) => g.running?.connections?.() ?? []) }
            : {}),
        };
        process.send?.(reply, () => m.op === 'stop' && process.exit(0));
      },
      (e: unknown) => {
        const reply: Reply = { type: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) };
        process.send?.(reply);
      },
    );
  });
}

process.on('disconnect', () => process.exit(0));
process.once('message', (m: StartRequest) => {
  serve(m).catch((e: unknown) => {
    process.stderr.write(`simulator: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
});
