/**
 * The simulated terminal's function codes (firmware-protocols/terminal-modbus PROTOCOL.md §1, §3.2) as Modbus
 * implementations we did not write see them: pymodbus (python3-pymodbus) and mbpoll (libmodbus) talk to a simulated
 * terminal behind the simulator's Modbus TCP gateway on port 0. Every function code but FC03 and FC16 is answered
 * 0x01 and changes nothing; an FC03 count of 126 is 0x03; a refused FC16 is counted in status register 15, a 0x01 not.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sm2 } from 'sm-crypto-v2';
import { REGISTERS } from '../../firmware-protocols/terminal-modbus';
import { systemClock } from '../../device-drivers/transport/clock';
import { LineTiming, REFERENCE_BUS } from '../../device-drivers/transport/line-timing';
import { RunningGateway, serveModbusTcp, serveRtuOverTcp } from '../../device-drivers/simulator/modbus/gateways';
import { VirtualBus } from '../../device-drivers/simulator/modbus/virtual-bus';
import { CommandVerifier } from '../../device-drivers/simulator/terminal/command-verifier';
import { SimulatedTerminal } from '../../device-drivers/simulator/terminal/simulated-terminal';
import { describeWith, pymodbusPythonPath } from '../support/capabilities';

const run = promisify(execFile);
const STATUS = REGISTERS.status.address;
const COMMAND = REGISTERS.command.address;

async function terminalBehindGateway(
  kind: 'mbap' | 'rtu' = 'mbap',
): Promise<{ terminal: SimulatedTerminal; gateway: RunningGateway }> {
  const bus = new VirtualBus({ timing: new LineTiming(REFERENCE_BUS), clock: systemClock });
  const keys = sm2.generateKeyPairHex();
  const terminal = new SimulatedTerminal({
    now: systemClock.now(),
    verifier: new CommandVerifier([{ serial: '000000000017', publicKeyHex: keys.publicKey }]),
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
    },
  });
  bus.attach(1, terminal);
  const gateway =
    kind === 'rtu' ? await serveRtuOverTcp(bus) : await serveModbusTcp(bus, systemClock, { serialTimeoutMs: 500 });
  return { terminal, gateway };
}

/** One request per function code; prints what came back as JSON lines. pymodbus 3.0 still names the unit `unit` in its request objects, `slave` in its client calls. */
const PYMODBUS_SCRIPT = `
import json, sys
from pymodbus.client import ModbusTcpClient
from pymodbus.other_message import ReportSlaveIdRequest
from pymodbus.mei_message import ReadDeviceInformationRequest
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer
STATUS, COMMAND = ${STATUS}, ${COMMAND}
framer = ModbusRtuFramer if sys.argv[2] == 'rtu' else ModbusSocketFramer
c = ModbusTcpClient('127.0.0.1', port=int(sys.argv[1]), framer=framer, timeout=3, retries=0)
assert c.connect()
def show(name, r):
    out = {'name': name, 'fc': r.function_code, 'exception': getattr(r, 'exception_code', None)}
    if hasattr(r, 'registers') and not r.isError(): out['registers'] = r.registers
    print(json.dumps(out))
show('fc01', c.read_coils(0, 1, slave=1))
show('fc02', c.read_discrete_inputs(0, 1, slave=1))
show('fc04', c.read_input_registers(STATUS, 20, slave=1))
show('fc05', c.write_coil(0, True, slave=1))
show('fc06', c.write_register(COMMAND, 3, slave=1))
show('fc15', c.write_coils(0, [True] * 8, slave=1))
show('fc17', c.execute(ReportSlaveIdRequest(unit=1)))
show('fc22', c.mask_write_register(address=COMMAND, and_mask=0xFFFF, or_mask=0, unit=1))
show('fc23', c.readwrite_registers(read_address=STATUS, read_count=1, write_address=COMMAND, write_registers=[3], unit=1))
show('fc43', c.execute(ReadDeviceInformationRequest(unit=1)))
show('fc03-126', c.read_holding_registers(0, 126, slave=1))
show('fc16-unsigned', c.write_registers(COMMAND, [0] * 69, slave=1))
show('status', c.read_holding_registers(STATUS, 20, slave=1))
c.close()
`;

describeWith(['pymodbus'], 'simulated terminal function codes seen by pymodbus', () => {
  let gateway: RunningGateway | null = null;
  afterEach(async () => gateway?.close());

  // MBAP frames through the Modbus TCP gateway; RTU frames (framed by function code, CRC) through RTU over TCP
  it.each(['mbap', 'rtu'] as const)(
    '%s: answers 0x01 to every function code but FC03/FC16 and counts only the refused FC16',
    async (kind) => {
      const rig = await terminalBehindGateway(kind);
      gateway = rig.gateway;
      const { stdout } = await run(pymodbusPythonPath(), ['-c', PYMODBUS_SCRIPT, String(gateway.port), kind], {
        timeout: 30_000,
      });
      const seen = Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { name: string; fc: number; exception: number | null; registers?: number[] })
          .map((r) => [r.name, r]),
      );
      const fcs: [string, number][] = [
        ['fc01', 0x01],
        ['fc02', 0x02],
        ['fc04', 0x04],
        ['fc05', 0x05],
        ['fc06', 0x06],
        ['fc15', 0x0f],
        ['fc17', 0x11],
        ['fc22', 0x16],
        ['fc23', 0x17],
        ['fc43', 0x2b],
      ];
      for (const [name, fc] of fcs) expect(seen[name]).toMatchObject({ fc: fc | 0x80, exception: 0x01 });
      expect(seen['fc03-126']).toMatchObject({ fc: 0x83, exception: 0x03 });
      expect(seen['fc16-unsigned']).toMatchObject({ fc: 0x90, exception: 0x41 });
      const status = seen.status.registers!;
      expect(status[15]).toBe(1); // the unsigned FC16 only: 0x01 and the refused read are not counted
      expect(status[1]).toBe(15); // nothing plays: FC06 at the command block did nothing
      expect(rig.terminal.model.lastSequence).toBe(0);
    },
  );
});

describeWith(['mbpoll'], 'simulated terminal function codes seen by mbpoll', () => {
  let gateway: RunningGateway | null = null;
  afterEach(async () => gateway?.close());

  /** mbpoll with PDU addressing (-0), one poll (-1); resolves with its output and exit status. */
  const mbpoll = async (port: number, args: string[]): Promise<{ out: string; ok: boolean }> => {
    const all = ['-m', 'tcp', '-p', String(port), '-a', '1', '-0', '-1', '-o', '2', ...args];
    try {
      const { stdout, stderr } = await run('mbpoll', all, { timeout: 30_000 });
      return { out: stdout + stderr, ok: true };
    } catch (e) {
      const r = e as { stdout?: string; stderr?: string };
      return { out: `${r.stdout ?? ''}${r.stderr ?? ''}`, ok: false };
    }
  };

  it('reads the status block, and gets illegal function for FC06 and FC04', async () => {
    const rig = await terminalBehindGateway();
    gateway = rig.gateway;
    const host = '127.0.0.1';
    const single = await mbpoll(gateway.port, ['-t', '4', '-r', String(COMMAND), host, '3']); // one value: FC06
    expect(single.ok).toBe(false);
    expect(single.out).toMatch(/illegal function/i);
    const input = await mbpoll(gateway.port, ['-t', '3', '-r', String(STATUS), '-c', '20', host]); // FC04
    expect(input.ok).toBe(false);
    expect(input.out).toMatch(/illegal function/i);
    const status = await mbpoll(gateway.port, ['-t', '4', '-r', String(STATUS), '-c', '20', host]); // FC03
    expect(status.ok).toBe(true);
    // "[256]: 1" state normal, "[257]: 15" idle, "[271]: 0" nothing refused
    expect(status.out).toMatch(/\[256\]:\s+1\b/);
    expect(status.out).toMatch(/\[257\]:\s+15\b/);
    expect(status.out).toMatch(/\[271\]:\s+0\b/);
    expect(rig.terminal.model.refusedTotal).toBe(0);
  });
});
