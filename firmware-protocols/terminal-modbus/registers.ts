/**
 * Every address, size and code of the terminal register map (PROTOCOL.md §1–§6). The simulator and the driver use
 * these constants and nothing else.
 */

/** Modbus limits (PROTOCOL.md §1). */
export const MAX_READ_REGISTERS = 125;
export const MAX_WRITE_REGISTERS = 123;

/** The register map version a terminal of this map reports in identity reg 39 (PROTOCOL.md §2). */
export const MAP_VERSION = 2;
/** Map versions the driver speaks (PROTOCOL.md §6.3: version 1 reaches fewer chunks). */
export const MAP_VERSIONS = [1, 2] as const;
export type MapVersion = (typeof MAP_VERSIONS)[number];

/** PROTOCOL.md §2–§6. */
export const REGISTERS = {
  identity: { address: 0x0000, count: 40, mapVersionAt: 39 },
  status: { address: 0x0100, count: 20 },
  /** §3.3: the last self-test's result (a terminal without the self-test answers 0x02). */
  selfTest: { address: 0x0140, count: 12 },
  command: { address: 0x0200, count: 69 },
  chunk: { address: 0x0400, headerCount: 3, maxCount: 123 },
  /**
   * §6.3: header at 0x0500; 0x0504–0x057C mirror the first 121 bitmap registers (version 2; version 1 had bitmap
   * registers up to 0x057F); the whole bitmap (version 2) at 0x1000 + k, k < 4,096.
   */
  receive: {
    address: 0x0500,
    headerCount: 4,
    bitmapAddress: 0x0504,
    mirrorCount: 121,
    v1BitmapCount: 124,
    pagesAddress: 0x1000,
    maxBitmapCount: 4096,
  },
  commit: { address: 0x0580, count: 1 },
  directory: { address: 0x0600, headerCount: 4, entryCount: 3, maxEntries: 40 },
  /** §9: the held schedule (identity reg 38 bit 1). */
  held: {
    headerAddress: 0x0700,
    headerCount: 26,
    commitAddress: 0x0740,
    entriesAddress: 0x0800,
    entryRegisters: 8,
    maxEntries: 128,
    maxEntriesPerWrite: 15,
    logAddress: 0x0c00,
    logHeaderCount: 4,
    logRecordRegisters: 8,
    logRecordsPerRead: 15,
    logCapacity: 64,
    ackAddress: 0x0c80,
    ackCount: 2,
  },
} as const;

/** Command block byte layout (PROTOCOL.md §4). */
export const COMMAND_LAYOUT = {
  bytes: 138,
  paramsOffset: 8,
  paramsLength: 56,
  timeOffset: 64,
  certSerialOffset: 68,
  signatureOffset: 74,
  /** Bytes 0–73 are signed. */
  signedLength: 74,
} as const;

/** PROTOCOL.md §4.1. */
export const COMMAND_CODES = {
  play: 1,
  stop: 2,
  volume: 3,
  amplifier: 4,
  clock: 5,
  reboot: 6,
  'test-tone': 7,
  'self-test': 8,
  'prepare-clip': 16,
  'hold-schedule': 17,
} as const;
export type CommandCodeName = keyof typeof COMMAND_CODES;

/** Sources (PROTOCOL.md §3 reg 2; identity bitmap §2 uses bit = code − 1 for codes 1–5). */
export const SOURCES = ['none', 'stored', 'fm', 'line-in', 'ip', 'tone'] as const;
export type TerminalSource = (typeof SOURCES)[number];

/** PROTOCOL.md §2.1. */
export const CODECS = [
  { code: 1, bit: 0, name: 'opus-16k' },
  { code: 2, bit: 1, name: 'mp3-64k' },
  { code: 3, bit: 2, name: 'pcm-alaw-8k' },
] as const;
export type CodecName = (typeof CODECS)[number]['name'];

/** Refusals and errors a terminal answers with (PROTOCOL.md §5.3). */
export const TERMINAL_EXCEPTIONS = {
  illegalAddress: 0x02,
  illegalValue: 0x03,
  badSignature: 0x41,
  unknownCertificate: 0x42,
  replay: 0x43,
  priority: 0x44,
  clipNotStored: 0x45,
  storageRefused: 0x46,
} as const;

/** Exception codes that mean "the terminal refused the command" rather than a malformed request. */
export const REFUSAL_CODES: readonly number[] = [0x41, 0x42, 0x43, 0x44, 0x45, 0x46];

/** Receive states (PROTOCOL.md §6.3). */
export const RECEIVE_STATES = { idle: 0, receiving: 1, stored: 2, digestMismatch: 3, refused: 4 } as const;
export type ReceiveStateName = keyof typeof RECEIVE_STATES;

/** PROTOCOL.md §6. */
export const CHUNK_BYTES = 240;
export const MAX_CHUNKS = 0xffff;

/** PROTOCOL.md §1: unknown measurements. */
export const UNKNOWN_U16 = 0xffff;
export const UNKNOWN_S16 = -0x8000;
export const IDLE_PRIORITY = 15;
