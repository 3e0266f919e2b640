/**
 * `npm run sim -- --shape county|long-bus|province [--seed N] [--base-port P] [--transport modbus-tcp|rtu-over-tcp]
 *  [--dead F] [--noise F] [--terminals] [--size N] [--part K/N]`
 * `--shape province` serves a province of `--size` terminals (default 100,000; province-shape.ts), or with `--part K/N`
 * its K-th of N contiguous parts (K from 1), on free ports (`--base-port` is for the other shapes).
 * Serves the shape on loopback in this process (the simulator's own, never the controller's) and prints its gateways
 * in the registry's import format as CSV on stdout (and, with --terminals, a blank line then its terminals). What it
 * trusts and how to sign for it goes to stderr. Runs until interrupted.
 */
import { systemClock } from '../transport/clock';
import { shapeOf, type ShapeName } from './control';
import { developmentCertificate, startCountyNetwork } from './county-network';
import type { GatewayTransport } from './network';
import type { ProvincePartRequest } from './control';
import { gatewaysCsv, terminalsCsv } from './registry-csv';

interface CliOptions {
  shape: ShapeName;
  seed: number;
  basePort?: number;
  transport: GatewayTransport;
  dead: number;
  noise: number;
  terminals: boolean;
  province: ProvincePartRequest;
}

function fail(message: string): never {
  process.stderr.write(`sim: ${message}\n`);
  process.exit(2);
}

function number(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < min || n > max)
    fail(`${flag} needs a number ${min}–${max}; got ${value ?? 'nothing'}`);
  return n;
}

export function parseSimArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    shape: 'county',
    seed: 1,
    transport: 'modbus-tcp',
    dead: 0.05,
    noise: 0.01,
    terminals: false,
    province: { terminals: 100_000, part: 0, parts: 1 },
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--shape': {
        const v = argv[++i];
        if (v !== 'county' && v !== 'long-bus' && v !== 'province')
          fail(`--shape must be county, long-bus or province; got ${v ?? 'nothing'}`);
        o.shape = v;
        break;
      }
      case '--seed':
        o.seed = number(flag, argv[++i], 0, 2 ** 31);
        break;
      case '--base-port':
        o.basePort = number(flag, argv[++i], 1, 65_535 - 280);
        break;
      case '--transport': {
        const v = argv[++i];
        if (v !== 'modbus-tcp' && v !== 'rtu-over-tcp')
          fail(`--transport must be modbus-tcp or rtu-over-tcp; got ${v ?? 'nothing'}`);
        o.transport = v;
        break;
      }
      case '--dead':
        o.dead = number(flag, argv[++i], 0, 1);
        break;
      case '--noise':
        o.noise = number(flag, argv[++i], 0, 1);
        break;
      case '--terminals':
        o.terminals = true;
        break;
      case '--size':
        o.province.terminals = number(flag, argv[++i], 1, 1_000_000);
        break;
      case '--part': {
        const m = /^(\d+)\/(\d+)$/.exec(argv[++i] ?? '');
        if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
          fail(`--part needs K/N with 1 ≤ K ≤ N; got ${argv[i]}`);
        o.province.part = Number(m[1]) - 1;
        o.province.parts = Number(m[2]);
        break;
      }
      default:
        fail(`unknown option ${flag}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseSimArgs(process.argv.slice(2));
  const shape = shapeOf(o.shape, o.basePort, o.province);
  const { network } = await startCountyNetwork({
    shape,
    clock: systemClock,
    seed: o.seed,
    deadFraction: o.dead,
    noise: o.noise,
    transport: o.transport,
    useShapePorts: o.basePort !== undefined,
  });
  const ports = network.gateways.map((g) => g.port);
  const cert = developmentCertificate(o.seed);
  const terminals = shape.gateways.reduce((n, g) => n + g.terminals.length, 0);
  process.stderr.write(
    `sim: ${shape.gateways.length} gateways (${o.transport}), ${terminals} terminals, ${network.deadUnits().length} dead, noise ${o.noise}, seed ${o.seed}\n` +
      `sim: trusted certificate ${cert.serial}, development private key ${cert.privateKeyHex}\n`,
  );
  process.stdout.write(gatewaysCsv(shape, ports));
  if (o.terminals) process.stdout.write(`\n${terminalsCsv(shape)}`);
  const stop = (): void => {
    network.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
}
