/**
 * A simulated network of terminals that speak the terminal-modbus register map: the shape's gateways (county-shape.ts)
 * served on loopback by SimulatedNetwork, each unit a SimulatedTerminal. One CommandVerifier per network, so an
 * identical signed block is verified once (docs/domain.md, "Signatures"). The trusted certificate defaults to a development
 * certificate derived from the seed, whose private key the demo and benchmarks use to sign.
 */
import { sm2, sm3 } from 'sm-crypto-v2';
import type { Clock } from '../transport/clock';
import type { CountyShape, ShapeTerminal } from './county-shape';
import { GatewayTransport, SimulatedNetwork } from './network';
import { CommandVerifier, TrustedCertificate } from './terminal/command-verifier';
import { SimulatedTerminal } from './terminal/simulated-terminal';
import { seededRandom } from './random';

export interface DevelopmentCertificate extends TrustedCertificate {
  privateKeyHex: string;
}

/** A development SM2 certificate derived from a seed (never for production: the private key is public). */
export function developmentCertificate(seed: number): DevelopmentCertificate {
  const privateKeyHex = sm3(`dalaba-simulator-certificate-${seed}`);
  return {
    serial: String(900000000000 + (seed % 100000000000)).padStart(12, '0'),
    privateKeyHex,
    publicKeyHex: sm2.getPublicKeyFromPrivateKey(privateKeyHex),
  };
}

export interface CountyNetworkOptions {
  shape: CountyShape;
  clock: Clock;
  seed?: number;
  /** Fraction of terminals dead from the start (docs/performance.md: 5 %). */
  deadFraction?: number;
  /** Probability a frame is corrupted (docs/performance.md: 1 %). */
  noise?: number;
  transport?: GatewayTransport;
  useShapePorts?: boolean;
  host?: string;
  /** Trusted certificates; defaults to developmentCertificate(seed). */
  certificates?: TrustedCertificate[];
  /** A terminal's signature verification time, added to its turnaround for signed commands (default 0). */
  verifyMs?: number;
  /** Which terminals have the self-test (PROTOCOL.md §3.3); the others run older firmware 0.9.0. Default: all. */
  selfTest?: (t: ShapeTerminal) => boolean;
  /**
   * Fraction of the terminals, chosen by their own seeded draw (the dead ones stay as they are), given a fault only a
   * self-test finds (speaker-line-short, amplifier-low, battery-low, mains-lost), and as many others without the
   * self-test when `selfTest` is not given. Default 0.
   */
  selfTestFindings?: number;
  /**
   * Which terminals hold a schedule of their own (terminal-modbus PROTOCOL.md §9, identity reg 38 bit 1): every
   * `n`-th unit does not (an older firmware), 0 = all hold one. Default 0.
   */
  olderEveryNth?: number;
}

const LATENT_FAULTS = ['speaker-line-short', 'amplifier-low', 'battery-low', 'mains-lost'] as const;

export async function startCountyNetwork(
  o: CountyNetworkOptions,
): Promise<{ network: SimulatedNetwork; verifier: CommandVerifier }> {
  const seed = o.seed ?? 1;
  const verifier = new CommandVerifier(o.certificates ?? [developmentCertificate(seed)], o.verifyMs ?? 0);
  // a draw of its own, so the dead units and the measurements stay those of the seed
  const findings = seededRandom(seed + 7919);
  const f = o.selfTestFindings ?? 0;
  const legacy = (t: ShapeTerminal): boolean =>
    f > 0 && (t.unitId * 7919 + Number(t.resourceCode.slice(-6))) % Math.round(1 / f) === 0;
  const network = await SimulatedNetwork.start({
    shape: o.shape,
    clock: o.clock,
    seed,
    deadFraction: o.deadFraction,
    noise: o.noise,
    transport: o.transport,
    useShapePorts: o.useShapePorts,
    host: o.host,
    deviceFactory: (_g, t, random) => {
      const selfTest = o.selfTest?.(t) ?? !legacy(t);
      return new SimulatedTerminal({
        now: o.clock.now(),
        verifier,
        selfTest,
        identity: {
          vendor: 'Dalaba Sim',
          model: t.model,
          firmware: selfTest ? '1.0.0' : '0.9.0',
          serial: t.serialNumber,
          resourceCode: t.resourceCode,
          codecs: ['opus-16k', 'pcm-alaw-8k'],
          clipStorageKb: 4096,
          sources: ['stored', 'fm', 'line-in', 'tone'],
          display: false,
          holdsSchedule: !o.olderEveryNth || t.unitId % o.olderEveryNth !== 0,
        },
        supplyVoltage: Math.round(230 + random() * 20) / 10,
        temperature: Math.round(250 + random() * 150) / 10,
        signalQuality: Math.round(60 + random() * 40),
      });
    },
  });
  if (f > 0)
    network.gateways.forEach((g, i) => {
      for (const unit of g.bus.unitIds())
        if (g.bus.fault(unit) === 'none' && findings() < f)
          network.setFault(i, unit, LATENT_FAULTS[Math.floor(findings() * LATENT_FAULTS.length)]);
    });
  return { network, verifier };
}
