/**
 * What the held-schedule specs share (held-schedule.spec.ts, held-vectors.spec.ts): a signer whose certificate the
 * simulated terminal trusts, the instant the tables count from, and a terminal that holds schedules (or not).
 */
import { sm2 } from 'sm-crypto-v2';
import type { CommandSigner } from '../../../firmware-protocols/terminal-modbus';
import { DEFAULT_USER_ID } from '../../../firmware-protocols/signing';
import { CommandVerifier } from './command-verifier';
import { SimulatedTerminal } from './simulated-terminal';

const CERT_SERIAL = '000000000017';
const keys = sm2.generateKeyPairHex();

export const signer: CommandSigner = {
  certSerial: CERT_SERIAL,
  sign: (data) => ({
    signature: Buffer.from(
      sm2.doSignature(data, keys.privateKey, { der: false, hash: true, userId: DEFAULT_USER_ID }),
      'hex',
    ),
  }),
};

/** 2026-12-07 00:00 UTC, in ms and in s. */
export const T0 = Date.UTC(2026, 11, 7, 0, 0, 0);
export const S0 = T0 / 1000;

export function heldTerminal(holdsSchedule = true): SimulatedTerminal {
  return new SimulatedTerminal({
    now: T0,
    verifier: new CommandVerifier([{ serial: CERT_SERIAL, publicKeyHex: keys.publicKey }]),
    identity: {
      vendor: 'Dalaba Sim',
      model: 'DLB-T300',
      firmware: '1.0.0',
      serial: 'SN001',
      resourceCode: '63415231002000301010401',
      codecs: ['opus-16k'],
      clipStorageKb: 4096,
      sources: ['stored', 'fm', 'tone'],
      display: false,
      holdsSchedule,
    },
  });
}
