export { AdapterDriver, type AdapterDriverConfig, type AdapterDriverDeps } from './adapter-driver';
export {
  openerFor,
  serialLink,
  socketLink,
  systemClock,
  tcpLink,
  type AdapterEndpoint,
  type ByteLink,
  type Clock,
  type LinkOpener,
  type SerialOptions,
  type TimerHandle,
} from './ports';
export { ManualClock } from './manual-clock';
export { memoryLinkPair } from './memory-link';
export type { TransactionRunner, TransactionSpec } from './transactions';
