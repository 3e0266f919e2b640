/**
 * The EBD exchange's names and codes, kept as data (PROTOCOL.md in this folder says which parts are our reading of the
 * GD/J 082/083-class specifications). Everything that names an element, a file in the tar or a code is here.
 */

export const EBD_VERSION = '1.0';

/** The payload element types this platform reads or writes (the EBD's EBDType names the one element it carries). */
export const EBD_TYPES = [
  'EBM',
  'EBDResponse',
  'EBMStateResponse',
  'EBMBrdLog',
  'OMDRequest',
  'ConnectionCheck',
  'EBRDTState',
  'EBRDTInfo',
] as const;
export type EbdType = (typeof EBD_TYPES)[number];

/** EBDResponse ResultCode. */
export const EBD_RESULT_CODES = {
  unprocessed: 0,
  ok: 1,
  parseFailed: 2,
  contentInvalid: 3,
  signatureFailed: 4,
  other: 5,
} as const;
export type EbdResultCode = (typeof EBD_RESULT_CODES)[keyof typeof EBD_RESULT_CODES];
export const EBD_RESULT_DESCRIPTIONS: Readonly<Record<EbdResultCode, string>> = {
  0: '未处理',
  1: '接收解析及数据校验成功',
  2: '接收解析失败',
  3: '数据内容缺失或错误',
  4: '签名验证失败',
  5: '其它错误',
};

/** EBMStateResponse BrdStateCode. */
export const BRD_STATE_CODES = {
  unprocessed: 0,
  waiting: 1,
  playing: 2,
  succeeded: 3,
  failed: 4,
  cancelled: 5,
} as const;
export type BrdStateCode = (typeof BRD_STATE_CODES)[keyof typeof BRD_STATE_CODES];
export const BRD_STATE_DESCRIPTIONS: Readonly<Record<BrdStateCode, string>> = {
  0: '未处理',
  1: '等待播发',
  2: '播发中',
  3: '播发成功',
  4: '播发失败',
  5: '播发取消',
};

/** EBM MsgType: 1 asks for a broadcast (with RelatedInfo: replaces the one named), 2 cancels the one named. */
export const EBM_MSG_TYPES = { broadcast: 1, cancel: 2 } as const;

/** OMDRequest OMDType values answered. */
export const OMD_TYPES = { brdLog: 'EBMBrdLog', terminalState: 'EBRDTState' } as const;

/** Auxiliary AuxiliaryType: 2 = audio file (the only kind taken). */
export const AUXILIARY_AUDIO = '2';

/** Names inside and of the tar. */
export const TAR_NAMES = {
  tar: (ebdId: string): string => `EBDT_${ebdId}.tar`,
  data: (ebdId: string): string => `EBDB_${ebdId}.xml`,
  signature: (ebdId: string): string => `EBDS_EBDB_${ebdId}.xml`,
  resourcePrefix: 'EBDR_',
} as const;
export const TAR_PATTERNS = {
  tar: /^EBDT_(\d+)\.tar$/,
  data: /^EBDB_(\d+)\.xml$/,
  signature: /^EBDS_EBDB_(\d+)\.xml$/,
  resource: /^EBDR_[\w.-]+$/,
} as const;

/** The signature file's algorithm name and the SM2 user id (GB/T 32918 default) used with it. */
export const SIGNATURE_ALGORITHM = 'SM2-SM3';

/** Times on the wire: `yyyy-MM-dd HH:mm:ss`, Beijing time (UTC+8, no offset written). */
export const EBD_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
