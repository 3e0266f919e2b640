/**
 * Between a simulated terminal's command block and its TerminalModel (simulated-terminal.ts): a decoded command
 * (firmware-protocols/terminal-modbus PROTOCOL.md §4) as the model takes it, and the Modbus exception a unicast refusal
 * is answered with (§5.3).
 */
import {
  CODECS,
  TERMINAL_EXCEPTIONS,
  type CodecName,
  type CommandRecord,
} from '../../../firmware-protocols/terminal-modbus';
import type { Refusal } from './refusal-counters';
import type { ModelCommand } from './terminal-model';

/**
 * Nominal bytes per second of each codec profile (PROTOCOL.md §2.1), from which a stored clip's playing time follows.
 * The simulator's reading: a profile's bit rate / 8.
 */
const CODEC_BYTES_PER_SECOND: Record<CodecName, number> = { 'opus-16k': 2000, 'mp3-64k': 8000, 'pcm-alaw-8k': 8000 };

export const REFUSAL_EXCEPTION: Record<Refusal, number> = {
  ok: TERMINAL_EXCEPTIONS.illegalValue,
  unsigned: TERMINAL_EXCEPTIONS.badSignature,
  forged: TERMINAL_EXCEPTIONS.badSignature,
  'unknown-certificate': TERMINAL_EXCEPTIONS.unknownCertificate,
  replayed: TERMINAL_EXCEPTIONS.replay,
  outranked: TERMINAL_EXCEPTIONS.priority,
  'no-such-clip': TERMINAL_EXCEPTIONS.clipNotStored,
  'storage-refused': TERMINAL_EXCEPTIONS.storageRefused,
  'bad-parameter': TERMINAL_EXCEPTIONS.illegalValue,
};

/** What of the terminal a command's meaning depends on: its volume now (a play at 255 keeps it) and its codecs. */
export interface CommandContext {
  volume: number;
  codecs: readonly CodecName[];
}

/** A decoded command block as the model takes it; `handle` is the block's broadcast handle (a play's own). */
export function toModelCommand(c: CommandRecord, handle: number, terminal: CommandContext): ModelCommand {
  switch (c.code) {
    case 'play':
      return {
        code: 'play',
        session: {
          source: c.source,
          clipId: c.clipId,
          priority: c.priority,
          broadcastClass: c.broadcastClass,
          repeat: c.repeat,
          volume: c.volume === 255 ? terminal.volume : c.volume,
          startAt: c.startAt?.getTime() ?? null,
          endAt: c.endAt?.getTime() ?? null,
          broadcastHandle: handle,
        },
      };
    case 'stop':
      return { code: 'stop', priority: c.priority, broadcastHandle: c.broadcastHandle };
    case 'volume':
      return { code: 'volume', volume: c.volume };
    case 'amplifier':
      return { code: 'amplifier', on: c.on };
    case 'clock':
      return { code: 'clock', at: c.at.getTime() };
    case 'reboot':
      return { code: 'reboot' };
    case 'test-tone':
      return { code: 'test-tone', seconds: c.seconds, volume: c.volume };
    case 'self-test':
      return { code: 'self-test', testId: c.testId, checks: c.checks };
    case 'prepare-clip':
      return {
        code: 'prepare-clip',
        codecSupported: terminal.codecs.includes(c.codec),
        clip: {
          clipId: c.clipId,
          size: c.size,
          codec: CODECS.find((k) => k.name === c.codec)?.code ?? 0,
          digest: c.digest,
          durationMs: (c.size * 1000) / CODEC_BYTES_PER_SECOND[c.codec],
        },
      };
    case 'hold-schedule':
      return { code: 'hold-schedule', announce: { ...c } };
  }
}
