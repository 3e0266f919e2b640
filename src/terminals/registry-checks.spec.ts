import { checkGateway, checkTerminal, nextResourceCode } from './registry-checks';

const gateway = {
  name: '网关',
  areaCode: '341523100201',
  kind: 'modbus-tcp',
  host: '127.0.0.1',
  port: 502,
  baudRate: 9600,
  parity: 'even',
  dataBits: 8,
  stopBits: 1,
  requestTimeoutMs: 150,
  turnaroundMs: 10,
  broadcastDelayMs: 50,
};
const fields = (out: { field: string }[]) => out.map((f) => f.field);

describe('registry checks', () => {
  it.each([
    ['a good TCP gateway', {}, []],
    ['a serial kind without a serial path', { kind: 'modbus-rtu' }, ['serialPath', 'host']],
    ['an unknown kind', { kind: 'zigbee' }, ['kind']],
    ['an odd baud rate', { baudRate: 1000 }, ['baudRate']],
    ['a terminal resource code', { resourceCode: '63415231002010301010401' }, ['resourceCode']],
    ['a resource code of another area', { resourceCode: '63415231002020202010101' }, ['resourceCode']],
    ['an 11-digit area', { areaCode: '34152310020' }, ['areaCode']],
  ])('gateway: %s', (_, change, expected) => {
    expect(fields(checkGateway({ ...gateway, ...change }))).toEqual(expected);
  });

  it.each([
    ['a good terminal', {}, null, []],
    ['unit 0', { unitId: 0 }, null, ['unitId']],
    ['unit 248', { unitId: 248 }, null, ['unitId']],
    ['a town as its area', { areaCode: '341523100000' }, null, ['areaCode']],
    ['a group area', { areaCode: '341523100201001', resourceCode: '63415231002010301010401' }, '341523100201', []],
    ['a gateway of another village', {}, '341523100202', ['gatewayId']],
    ['a code with the wrong level', { resourceCode: '53415231002010301010401' }, null, ['resourceCode']],
  ])('terminal: %s', (_, change, gatewayArea, expected) => {
    expect(
      fields(checkTerminal({ name: '喇叭', areaCode: '341523100201', unitId: 5, ...change }, gatewayArea)),
    ).toEqual(expected);
  });

  it('generates the first free code of a kind in an area', () => {
    const used = new Set(['63415231002010301010401']);
    expect(nextResourceCode('341523100201', 'terminal', (c) => used.has(c))).toBe('63415231002010301020401');
    expect(nextResourceCode('341523100000', 'gateway', () => false)).toBe('53415231000000202010101');
  });
});
