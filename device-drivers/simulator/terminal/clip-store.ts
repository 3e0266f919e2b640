/**
 * A simulated terminal's clip storage, terminal-modbus PROTOCOL.md §6: one clip received at a time (prepare → chunks →
 * missing-chunk bitmap → commit, where the terminal checks the SM3 digest of what it holds), committed clips kept.
 * Storage is capped like a terminal's flash; a clip being received is lost on reboot, committed clips are kept.
 */
import { sm3 } from 'sm-crypto-v2';
import { CHUNK_BYTES, MAX_CHUNKS, RECEIVE_STATES } from '../../../firmware-protocols/terminal-modbus/registers';

const RECEIVE_STATE = RECEIVE_STATES;
export type ReceiveState = (typeof RECEIVE_STATES)[keyof typeof RECEIVE_STATES];

export interface StoredClip {
  clipId: number;
  size: number;
  codec: number;
  digest: string;
  durationMs: number;
}

interface Receiving extends StoredClip {
  data: Buffer;
  received: boolean[];
}

export class ClipStore {
  private readonly stored = new Map<number, StoredClip>();
  private receiving: Receiving | null = null;
  /** The receive block's header: the clip last prepared and where its transfer stands. */
  clipId = 0;
  state: ReceiveState = RECEIVE_STATE.idle;

  constructor(readonly capacityBytes = 4 * 1024 * 1024) {}

  private used(): number {
    let n = 0;
    for (const c of this.stored.values()) n += c.size;
    return n;
  }

  freeBytes(): number {
    return Math.max(0, this.capacityBytes - this.used());
  }

  committed(clipId: number): StoredClip | undefined {
    return this.stored.get(clipId);
  }

  list(): StoredClip[] {
    return [...this.stored.values()];
  }

  /**
   * A clip put on the terminal before it reaches the line (stocked at installation, as vendors ship the air-defence
   * signals): stored as if committed. False when it does not fit; a clip already held is kept as it is.
   */
  install(clip: StoredClip): boolean {
    const have = this.stored.get(clip.clipId);
    const digest = clip.digest.toLowerCase();
    if (have) return have.digest === digest;
    if (clip.size <= 0 || clip.size > this.freeBytes()) return false;
    this.stored.set(clip.clipId, { ...clip, digest });
    return true;
  }

  /**
   * §6.1: sets the clip being received; a clip already stored with the same digest is marked stored at once; the clip
   * being received prepared again (same id, size and digest) keeps the chunks it has.
   */
  prepare(clip: StoredClip, codecSupported: boolean): ReceiveState {
    const digest = clip.digest.toLowerCase();
    const r = this.receiving;
    if (r && r.clipId === clip.clipId && r.size === clip.size && r.digest === digest && r.codec === clip.codec) {
      this.clipId = clip.clipId;
      return (this.state = RECEIVE_STATE.receiving);
    }
    this.receiving = null;
    this.clipId = clip.clipId;
    const have = this.stored.get(clip.clipId);
    if (have && have.digest === digest) return (this.state = RECEIVE_STATE.stored);
    const chunks = Math.ceil(clip.size / CHUNK_BYTES);
    const free = this.freeBytes() + (have?.size ?? 0);
    if (!codecSupported || clip.size <= 0 || chunks > MAX_CHUNKS || clip.size > free)
      return (this.state = RECEIVE_STATE.refused);
    this.receiving = {
      ...clip,
      digest,
      data: Buffer.alloc(clip.size),
      received: new Array<boolean>(chunks).fill(false),
    };
    return (this.state = RECEIVE_STATE.receiving);
  }

  /** §6.2: false when the chunk is not for the clip being received or out of range. */
  chunk(clipId: number, index: number, data: Uint8Array): boolean {
    const r = this.receiving;
    if (!r || r.clipId !== clipId) return this.state === RECEIVE_STATE.stored && this.clipId === clipId;
    const offset = index * CHUNK_BYTES;
    if (index < 0 || index >= r.received.length) return false;
    const expected = Math.min(CHUNK_BYTES, r.size - offset);
    if (data.length !== expected) return false;
    r.data.set(data, offset);
    r.received[index] = true;
    return true;
  }

  /** §6.3 header reg 2: of the clip being received, or of the stored clip in state 2; otherwise 0. */
  chunkCount(): number {
    if (this.receiving) return this.receiving.received.length;
    const s = this.state === RECEIVE_STATE.stored ? this.stored.get(this.clipId) : undefined;
    return s ? Math.ceil(s.size / CHUNK_BYTES) : 0;
  }

  /** Indexes of chunks still missing of the clip being received. */
  missing(): number[] {
    const out: number[] = [];
    this.receiving?.received.forEach((got, i) => got || out.push(i));
    return out;
  }

  /** §6.4: SM3 over the received data equal to the prepared digest → stored; otherwise dropped. Ignored while chunks are missing. */
  commit(clipId: number): ReceiveState {
    const r = this.receiving;
    if (!r || r.clipId !== clipId || r.received.some((got) => !got)) return this.state;
    this.receiving = null;
    if (sm3(r.data) !== r.digest) return (this.state = RECEIVE_STATE.digestMismatch);
    this.stored.delete(clipId);
    this.stored.set(clipId, { clipId, size: r.size, codec: r.codec, digest: r.digest, durationMs: r.durationMs });
    return (this.state = RECEIVE_STATE.stored);
  }

  /** A reboot loses the clip being received. */
  dropPending(): void {
    if (this.receiving) {
      this.receiving = null;
      this.state = RECEIVE_STATE.idle;
    }
  }
}
