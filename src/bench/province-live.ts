/**
 * The `/live` client of `npm run bench -- province` (src/bench/province.ts): one Socket.IO connection to one instance
 * with the administrator's token, subscribed to the whole province (its region code `340000000000`): every terminal
 * state it receives, with the time it arrived, is kept while `recording`. Changes polled on another instance reach it
 * through Redis (docs/cluster.md, "/live across instances (Redis)").
 */
import { io, type Socket } from 'socket.io-client';
import { PROVINCE_CODE } from '../../device-drivers/simulator/province-shape';
import type { LiveDelta } from '../live/live-payload';
import type { SeenState } from './province-measure';

export class ProvinceLiveClient {
  readonly seen: SeenState[] = [];
  recording = false;
  /** terminal states in the subscription's snapshot, batches and states received (recording or not) */
  snapshotTerminals = 0;
  batches = 0;
  states = 0;
  private constructor(private readonly socket: Socket) {}

  /** Connects (WebSocket only, as with Redis the server accepts nothing else) and subscribes to the province. */
  static async connect(url: string, token: string): Promise<ProvinceLiveClient> {
    const socket = io(`${url}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const client = new ProvinceLiveClient(socket);
    socket.on('delta', (d: LiveDelta) => client.take(d, Date.now()));
    const reply = (await socket.timeout(120_000).emitWithAck('subscribe', { kind: 'region', id: PROVINCE_CODE })) as {
      ok: boolean;
      message?: string;
      snapshot?: { terminals: unknown[] };
    };
    if (!reply.ok) throw new Error(`/live subscription to the province refused: ${reply.message}`);
    client.snapshotTerminals = reply.snapshot?.terminals.length ?? 0;
    return client;
  }

  private take(d: LiveDelta, receivedAt: number): void {
    this.batches++;
    this.states += d.terminals.length;
    if (!this.recording) return;
    for (const t of d.terminals)
      if (t.volume !== null)
        this.seen.push({ terminalId: t.id, gatewayId: t.gatewayId, volume: t.volume, polledAt: t.at, receivedAt });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.disconnect();
  }
}
