/**
 * What a virtual adapter sends (firmware-protocols/adapter/PROTOCOL.md §4, §5): messages on the command line and 回传
 * frames, to every connected platform. While a command is handled, the frames it causes wait until its one reply has
 * gone (§4.1, §7.1). Numbers the 回传 sessions the adapter opens itself.
 */
import {
  encodeCommandFrame,
  encodeMessageBody,
  encodeReturnFrame,
  type AdapterMessage,
  type CommandName,
  type ResultName,
  type ReturnData,
} from '../../../firmware-protocols/adapter';

export class AdapterOutbox {
  private readonly sinks: ((frame: Buffer) => void)[] = [];
  /** Frames a command caused while it is handled, sent after its reply. */
  private held: Buffer[] | null = null;
  private session = 0;

  /** `platformCode`: the 回传 target, until 0x07 sets another. */
  constructor(
    private readonly adapterCode: string,
    public platformCode: string,
  ) {}

  /** Frames go to every sink (one per connected platform). */
  onFrame(fn: (frame: Buffer) => void): () => void {
    this.sinks.push(fn);
    return () => this.sinks.splice(this.sinks.indexOf(fn), 1);
  }

  /** A command is being handled: what it causes waits for its reply. */
  hold(): void {
    this.held = [];
  }

  /** The command failed other than by a refusal: what it caused is not sent. */
  dropHeld(): void {
    this.held = null;
  }

  /** The one reply to a command (§4.1), sent before anything the command caused (§7.1). */
  reply(answers: CommandName, result: ResultName): void {
    const held = this.held ?? [];
    this.held = null;
    this.message({ kind: 'reply', answers, result, data: Buffer.alloc(0) });
    for (const frame of held) this.emit(frame);
  }

  message(m: AdapterMessage): void {
    const { code, body } = encodeMessageBody(m);
    this.emit(encodeCommandFrame('reply', code, this.adapterCode, body, null));
  }

  /** A 回传 report the adapter starts, in a session of its own. */
  report(source: string, data: ReturnData): void {
    this.sendReturn(source, 'report', this.nextSession(), data);
  }

  sendReturn(source: string, packType: 'report' | 'reply', session: number, data: ReturnData): void {
    this.emit(encodeReturnFrame({ packType, session, source, targets: [this.platformCode], data }));
  }

  private nextSession(): number {
    this.session = (this.session + 1) >>> 0;
    return this.session;
  }

  private emit(frame: Buffer): void {
    if (this.held !== null) {
      this.held.push(frame);
      return;
    }
    for (const sink of [...this.sinks]) sink(frame);
  }
}
