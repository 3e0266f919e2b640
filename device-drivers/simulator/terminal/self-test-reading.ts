/**
 * What a simulated terminal's silent self-test measures (terminal-modbus PROTOCOL.md §3.3): each check asked for,
 * from the faults the simulator has given the unit. Nominal values are the simulator's reading of a 30 W terminal on
 * a 100 V line: 10 V test output into the load, a 330 Ω line, 13.2 V battery.
 */
import { selfTestCheckBit, type SelfTestCheck, type SelfTestRecord } from '../../../firmware-protocols/terminal-modbus';

/** Unit faults (virtual-bus UNIT_FAULTS) that the status block does not show and a self-test finds. */
export type LatentFault = 'speaker-line-short' | 'amplifier-low' | 'battery-low' | 'mains-lost';

export interface SelfTestConditions {
  amplifierOn: boolean;
  speakerLineOpen: boolean;
  latent: ReadonlySet<LatentFault>;
  supplyVoltage: number | null;
  /** null: no battery fitted. */
  batteryVoltage: number | null;
}

/** Speaker line impedance reported above range: the line is open (§3.3). */
export const LINE_OPEN_OHMS = 65_534;

export function selfTestReading(checks: number, c: SelfTestConditions): SelfTestRecord['checks'] {
  const asked = (k: SelfTestCheck) => (checks & selfTestCheckBit(k)) !== 0;
  const skip = { verdict: 'not-tested', value: null } as const;
  return {
    amplifier: !asked('amplifier')
      ? skip
      : !c.amplifierOn
        ? skip
        : c.latent.has('amplifier-low')
          ? { verdict: 'output-low', value: 4.2 }
          : { verdict: 'ok', value: 10 },
    speakerLine: !asked('speakerLine')
      ? skip
      : c.speakerLineOpen
        ? { verdict: 'open', value: LINE_OPEN_OHMS }
        : c.latent.has('speaker-line-short')
          ? { verdict: 'short', value: 2 }
          : { verdict: 'ok', value: 330 },
    supply: !asked('supply')
      ? skip
      : c.latent.has('mains-lost')
        ? { verdict: 'mains-lost', value: 0 }
        : { verdict: 'ok', value: c.supplyVoltage },
    battery: !asked('battery')
      ? skip
      : c.batteryVoltage === null
        ? { verdict: 'not-fitted', value: null }
        : c.latent.has('battery-low')
          ? { verdict: 'low', value: 10.8 }
          : { verdict: 'ok', value: c.batteryVoltage },
  };
}
