/**
 * Every layout choice of the adapter protocols, in one file (PROTOCOL.md §1 "Where the standard's text stops").
 * Items marked READING are our reading, not the standard's text: correct them here, against GY/T 383–391, and
 * the codecs, driver and simulator follow. Items marked GIVEN are stated facts (PROTOCOL.md §1).
 */

/** GIVEN: first byte of a command frame, platform → adapter. */
export const HEAD_COMMAND = 0x49;
/** GIVEN: first byte of a command-protocol frame, adapter → platform (replies and reports). */
export const HEAD_REPLY = 0x50;
/** GIVEN: protocol version u16. */
export const COMMAND_VERSION = 1;
/** GIVEN: 回传 frames start with these two bytes. */
export const RETURN_HEAD = 0xfefd;
/** GIVEN: 回传 version 0x0100. */
export const RETURN_VERSION = 0x0100;

/** READING: all multi-byte integers are big-endian (network order). */
export const BIG_ENDIAN = true;

/**
 * READING: the command frame header is head u8, version u16, command u8, source 12 bytes (sender resource code),
 * body length u32 — 20 bytes; then body, signature block, CRC u32.
 */
export const COMMAND_HEADER_LENGTH = 1 + 2 + 1 + 12 + 4;
/** READING: the length field counts the body only (not the signature block, not the CRC). */
export const LENGTH_COUNTS = 'body' as const;
/** READING: our cap on a command body; frames announcing more are garbage to the parser. */
export const MAX_COMMAND_BODY = 16 * 1024;

/**
 * Signature block (GIVEN fields): length u16, UTC time u32, certificate serial 6 bytes BCD, SM2 signature 64 bytes.
 * READING: the length counts the bytes after itself (74 when signed); 0 means an unsigned frame, allowed only
 * adapter → platform.
 */
export const SIGNATURE_BODY_LENGTH = 4 + 6 + 64;
/**
 * READING: the signature covers every byte of the frame before the 64 signature bytes — head through body, then the
 * block's length (74), signing time and certificate serial — so a captured frame cannot be replayed with a new
 * signing time (the same rule as firmware-protocols/terminal-modbus/PROTOCOL.md §4, where the block is signed whole).
 */
export const SIGNATURE_COVERS = 'head-through-certificate-serial' as const;
/** Bytes of the signature block that the signature covers: length u16, time u32, serial 6. */
export const SIGNED_BLOCK_HEAD = 2 + 4 + 6;
/** READING: the replay window — a command signed more than this far from the adapter's clock is refused. */
export const REPLAY_WINDOW_SECONDS = 300;
/** READING: CRC-32/MPEG-2 covers the frame from its head through the signature block. */
export const CRC_COVERS = 'head-through-signature' as const;

/**
 * 回传 header. GIVEN order: head, version, session id u32, pack type, length, source, targets, business type, data,
 * CRC32. READING: pack type u8; length u16 counting from the source through the data; a target count u16 before
 * the targets; CRC32 is the same CRC-32/MPEG-2 over head through data.
 */
export const RETURN_FIXED_BEFORE_LENGTH = 2 + 2 + 4 + 1; // head, version, session, pack type
export const RETURN_LENGTH_FIELD = 2;
/** READING: our cap on a 回传 frame's counted length. */
export const MAX_RETURN_LENGTH = 8 * 1024;
export const PACK_TYPES = { report: 1, reply: 2 } as const;

/** GIVEN: 12-byte resource codes (0xF + 23 BCD digits). READING: a legacy 18-digit code is 3 × 0xFF + 9 BCD bytes. */
export const RESOURCE_FIELD = 12;
export const LEGACY_PAD = 0xff;

/** GIVEN command codes, platform → adapter. */
export const COMMANDS = {
  broadcast: 0x04,
  setResourceCode: 0x05,
  volume: 0x06,
  returnParameters: 0x07,
  statusQuery: 0x08,
  clock: 0x09,
  returnPeriod: 0x0b,
  whitelist: 0x0c,
  amplifier: 0x3f,
} as const;
export type CommandName = keyof typeof COMMANDS;

/** GIVEN codes, adapter → platform. */
export const REPORTS = { taskStart: 0x18, taskEnd: 0x19, heartbeat: 0x20 } as const;

/**
 * READING: which reply answers which command. The standard lists replies 0x12–0x17, 0x21, 0x22; we pair them in
 * order, and let the amplifier (0x3F) share the output-control reply 0x14 with volume. Every reply body starts with
 * the command it answers, so sharing a code is unambiguous.
 */
export const REPLY_FOR: Record<CommandName, number> = {
  broadcast: 0x12,
  setResourceCode: 0x13,
  volume: 0x14,
  returnParameters: 0x15,
  statusQuery: 0x16,
  clock: 0x17,
  returnPeriod: 0x21,
  whitelist: 0x22,
  amplifier: 0x14,
};
export const REPLY_CODES = [0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x21, 0x22] as const;

/** READING: reply result byte. */
export const RESULTS = { ok: 0, refused: 1, badSignature: 2, badParameter: 3, busy: 4, unknownTerminal: 5 } as const;

/** GIVEN: heartbeat 0x20 adapter state. */
export const ADAPTER_STATES = { idle: 1, working: 2, fault: 3 } as const;
/** GIVEN: amplifier 1 off, 2 on. */
export const AMPLIFIER = { off: 1, on: 2 } as const;
/** GIVEN: volume 0 mute, 0xFF keep, 1–100. */
export const VOLUME_KEEP = 0xff;
/** READING: 0x04 switch byte 1 start, 0 stop. */
export const BROADCAST_SWITCH = { stop: 0, start: 1 } as const;
/** READING: addressing byte 1 logical (resource codes), 2 physical (12-byte physical addresses). */
export const ADDRESSING = { logical: 1, physical: 2 } as const;
/** READING: text encoding byte 0 none, 1 GB2312, 2 GB18030. */
export const TEXT_ENCODINGS = { none: 0, gb2312: 1, gb18030: 2 } as const;
/** READING: auxiliary media type byte 1 audio file name, 2 stream URL, 3 image file name. */
export const AUX_MEDIA_TYPES = { audioFile: 1, streamUrl: 2, imageFile: 3 } as const;
/** READING: input channel byte 1 IP stream, 2 line-in, 3 FM, 4 stored, 5 text-to-speech; output channel is a bitmap. */
export const INPUT_CHANNELS = { ip: 1, lineIn: 2, fm: 3, stored: 4, tts: 5 } as const;
/**
 * READING: output channels bitmap — bit 0 the terminals' loudspeaker (amplifier) output, bit 1 their line output;
 * bits 2–7 reserved (sent 0, ignored). A start names at least one of bits 0–1.
 */
export const OUTPUT_CHANNELS = { loudspeaker: 0x01, lineOut: 0x02 } as const;
export const OUTPUT_CHANNEL_MASK = 0x03;
/** READING: 0x0B 回传 period, seconds, 1 to one day; default (before any 0x0B) 60 s. */
export const MAX_RETURN_PERIOD = 86_400;
export const DEFAULT_RETURN_PERIOD = 60;
/** READING: the adapter's heartbeat 0x20 period, seconds (docs/domain.md: 3–5 s); silence for 20 s is offline. */
export const HEARTBEAT_SECONDS = 5;
/** READING: event type is 5 ASCII characters. */
export const EVENT_TYPE_LENGTH = 5;
/** READING: whitelist operation 1 replace, 2 add, 3 remove; entries are phone numbers (u8 length + ASCII). */
export const WHITELIST_OPS = { replace: 1, add: 2, remove: 3 } as const;

/** GIVEN business types of 回传. */
export const BUSINESS = {
  heartbeat: 0x10,
  queryReply: 0x11,
  fault: 0x13,
  taskSwitch: 0x14,
  broadcastResult: 0x15,
  playRecords: 0x16,
} as const;

/** READING: TLV = tag u8, length u16, value. Tags of the query reply (0x11): */
export const TLV_TAGS = {
  state: 0x01, // u8 TERMINAL_STATES
  volume: 0x02, // u8
  broadcastId: 0x03, // 18 BCD bytes
  broadcastClass: 0x04, // u8 BROADCAST_CLASSES, 0 idle
  faults: 0x05, // n × u8 fault codes (codes FAULTS.code)
  supplyVoltage: 0x06, // u16, 0.1 V
  temperature: 0x07, // i16, 0.1 °C
  signalQuality: 0x08, // u8, 0–100
  uptime: 0x09, // u32 seconds
  clock: 0x0a, // u32 UTC seconds
  amplifier: 0x0b, // u8 AMPLIFIER
  taskSource: 0x0c, // u8 TASK_SOURCES, 0 none
  crcErrors: 0x0d, // u32
  refusedCommands: 0x0e, // u32
  vendor: 0x20, // GB18030 text
  model: 0x21,
  firmware: 0x22,
  serial: 0x23,
} as const;

/** READING: 0x13 fault/recovery data = state u8 (3 fault, 4 recovered), fault code u8, UTC u32. */
export const FAULT_DATA_LENGTH = 6;
/** READING: 0x14 task switch data = task source u8, broadcast id 18, UTC u32. */
export const TASK_SWITCH_LENGTH = 23;
/** READING: 0x15 broadcast result data = broadcast id 18, broadcast state u8, UTC u32. */
export const BROADCAST_RESULT_LENGTH = 23;
/** READING: 0x16 play records data = count u8, then per record broadcast id 18, start u32, end u32, state u8. */
export const PLAY_RECORD_LENGTH = 27;
/** READING: 0x10 heartbeat data = terminal state u8, volume u8. */
export const RETURN_HEARTBEAT_LENGTH = 2;
