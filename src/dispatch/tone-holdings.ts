/**
 * What tone provisioning (tone-provisioning.ts) knows of each terminal: the variant of each built-in tone it was seen
 * holding, and why the last try to store a tone there failed.
 */
import { findTone } from '../audio/tones/tone-catalogue';

/** Where one tone stands on the terminals a reader sees. */
export interface ToneTally {
  toneId: string;
  title: string;
  /** Enabled terminals on Modbus buses in the reader's scope. */
  terminals: number;
  /** Seen holding the variant dispatch would send them. */
  holding: number;
  /** Tried and not stored (the reason of each, first 20). */
  failed: number;
  failures: { terminalId: number; reason: string }[];
}

/** How many failure reasons a view lists per tone. */
const LISTED_FAILURES = 20;

export class ToneHoldings {
  /** tone → terminal → the terminal clip id it was seen holding */
  private readonly held = new Map<string, Map<number, number>>();
  /** tone → terminal → why the last try did not store it */
  private readonly failed = new Map<string, Map<number, string>>();
  /** terminal clip id → the tone it is a variant of (from the last pass) */
  private readonly toneOfClip = new Map<number, string>();

  /** `changed`: called whenever a terminal is seen holding a tone or failing to take it. */
  constructor(private readonly changed: () => void) {}

  /** Whether the terminal was seen holding this clip (a variant of any tone). */
  holds(terminalId: number, clipId: number): boolean {
    for (const held of this.held.values()) if (held.get(terminalId) === clipId) return true;
    return false;
  }

  /** Whether the terminal was seen holding this variant of the tone. */
  holdsTone(toneId: string, terminalId: number, clipId: number): boolean {
    return this.held.get(toneId)?.get(terminalId) === clipId;
  }

  /** The clip is a variant of the tone (a plan worked it out). */
  variantOf(clipId: number, toneId: string): void {
    this.toneOfClip.set(clipId, toneId);
  }

  /** A clip stored on the terminal by any transfer: remembered when it is a tone's variant. */
  stored(terminalId: number, clipId: number): void {
    const toneId = this.toneOfClip.get(clipId);
    if (toneId !== undefined) this.heldOn(toneId, terminalId, clipId);
  }

  /** The terminal no longer holds the clip: forgotten for whichever tone it is a variant of. */
  lacks(terminalId: number, clipId: number): void {
    for (const held of this.held.values()) if (held.get(terminalId) === clipId) held.delete(terminalId);
  }

  heldOn(toneId: string, terminalId: number, clipId: number): void {
    const held = this.held.get(toneId) ?? new Map<number, number>();
    held.set(terminalId, clipId);
    this.held.set(toneId, held);
    this.failed.get(toneId)?.delete(terminalId);
    this.changed();
  }

  failedOn(toneId: string, terminalId: number, reason: string): void {
    const failed = this.failed.get(toneId) ?? new Map<number, string>();
    failed.set(terminalId, reason);
    this.failed.set(toneId, failed);
    this.changed();
  }

  /** Terminals seen holding the tone, everywhere. */
  holding(toneId: string): number {
    return this.held.get(toneId)?.size ?? 0;
  }

  /** Where the tone stands on the terminals `ids` (those a reader sees, as `visible` says). */
  tally(toneId: string, ids: readonly number[], visible: (id: number) => boolean): ToneTally {
    const held = this.held.get(toneId);
    const failed = [...(this.failed.get(toneId) ?? [])].filter(([id]) => visible(id));
    return {
      toneId,
      title: findTone(toneId)?.title ?? toneId,
      terminals: ids.length,
      holding: ids.filter((id) => held?.has(id)).length,
      failed: failed.length,
      failures: failed.slice(0, LISTED_FAILURES).map(([terminalId, reason]) => ({ terminalId, reason })),
    };
  }
}
