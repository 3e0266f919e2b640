import ExcelJS from 'exceljs';
import type { Response } from 'superagent';
import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { Fixture, TOWN_A, VILLAGES, buildCounty } from './fixture';

/** supertest parser collecting a binary body. */
function binary(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

function csv(rows: (string | number)[][]): Buffer {
  return Buffer.from(rows.map((r) => r.join(',')).join('\n'), 'utf8');
}

forEachDatabase('registry import and export', (database) => {
  let t: TestApp;
  let admin: string;
  let fx: Fixture;

  beforeAll(async () => {
    t = await createTestApp({ database });
    admin = await t.adminToken();
    fx = await buildCounty(t, admin, 1);
  }, 30_000);
  afterAll(() => t.close());

  const total = async () =>
    (await t.http.get('/api/terminals?pageSize=1').set(t.auth(admin)).expect(200)).body.total as number;

  /** 500 terminals on a new 247-unit-capable gateway per village (units 2..126 of four gateways). */
  const bigTable = () => {
    const rows: (string | number)[][] = [['名称', '区域编码', '网关资源编码', '单元号', '型号', '序列号']];
    for (let i = 0; i < 500; i++) {
      const v = VILLAGES[i % 4];
      rows.push([`导入喇叭${i}`, v, fx.gateways[v].resourceCode, 2 + Math.floor(i / 4), 'DLB-T300', `SN-${i}`]);
    }
    return rows;
  };

  it('rejects a 500-row import with one bad row, naming its row and column, and writes nothing', async () => {
    const before = await total();
    const rows = bigTable();
    rows[301][3] = 248;
    const res = await t.http
      .post('/api/terminals/import')
      .set(t.auth(admin))
      .attach('file', csv(rows), 'terminals.csv')
      .expect(400);
    expect(res.body.code).toBe('import_rejected');
    expect(res.body.details).toEqual([{ row: 302, column: 'unitId', message: expect.stringContaining('unitId') }]);
    expect(await total()).toBe(before);
  });

  it('reports duplicate unit ids within the file and unknown gateways', async () => {
    const rows = bigTable().slice(0, 4);
    rows[2][3] = rows[1][3];
    rows[2][1] = rows[1][1];
    rows[2][2] = rows[1][2];
    rows[3][2] = '63415231002990202010101';
    const res = await t.http
      .post('/api/terminals/import')
      .set(t.auth(admin))
      .attach('file', csv(rows), 'terminals.csv')
      .expect(400);
    expect(res.body.details).toEqual([
      { row: 3, column: 'unitId', message: expect.any(String) },
      { row: 4, column: 'gatewayResourceCode', message: expect.any(String) },
    ]);
  });

  it('imports 500 rows at once, then round-trips the list through CSV and XLSX', async () => {
    const before = await total();
    const res = await t.http
      .post('/api/terminals/import')
      .set(t.auth(admin))
      .attach('file', csv(bigTable()), 'terminals.csv')
      .expect(200);
    expect(res.body).toEqual({ imported: 500 });
    expect(await total()).toBe(before + 500);

    const exported = await t.http
      .get(`/api/terminals?areaCode=${TOWN_A}&format=csv`)
      .set(t.auth(admin))
      .buffer(true)
      .expect(200);
    const lines = exported.text.trim().split('\n');
    expect(lines[0]).toMatch(/^name,resourceCode,areaCode,gatewayResourceCode,unitId/);
    expect(lines).toHaveLength(1 + 2 + 250);

    const xlsx = await t.http
      .get(`/api/gateways?format=xlsx&areaCode=${TOWN_A}`)
      .set(t.auth(admin))
      .buffer(true)
      .parse(binary)
      .expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as ArrayBuffer);
    expect(wb.worksheets[0].rowCount).toBe(3);

    // terminals exported as XLSX, deleted and imported again from that file, come back identical
    const filter = `areaCode=${VILLAGES[3]}&q=${encodeURIComponent('导入喇叭4')}`;
    const snapshot = (await t.http.get(`/api/terminals?${filter}&pageSize=500&sort=resourceCode`).set(t.auth(admin)))
      .body.items as { id: number }[];
    expect(snapshot.length).toBeGreaterThan(20);
    const file = await t.http
      .get(`/api/terminals?${filter}&format=xlsx`)
      .set(t.auth(admin))
      .buffer(true)
      .parse(binary)
      .expect(200);
    for (const { id } of snapshot) await t.http.delete(`/api/terminals/${id}`).set(t.auth(admin)).expect(204);
    await t.http
      .post('/api/terminals/import')
      .set(t.auth(admin))
      .attach('file', file.body as Buffer, 'again.xlsx')
      .expect(200);
    const restored = (await t.http.get(`/api/terminals?${filter}&pageSize=500&sort=resourceCode`).set(t.auth(admin)))
      .body.items as { id: number }[];
    const strip = (x: object) => ({ ...x, id: 0, createdAt: 0, updatedAt: 0 });
    expect(restored.map(strip)).toEqual(snapshot.map(strip));
  }, 60_000);

  it('imports gateways and regions from XLSX with Chinese headers', async () => {
    const regions = new ExcelJS.Workbook();
    const rs = regions.addWorksheet('区域');
    rs.addRow(['区域编码', '名称']);
    rs.addRow(['341523100203', '新村']);
    rs.addRow(['341523100203001', '新村一组']);
    await t.http
      .post('/api/regions/import')
      .set(t.auth(admin))
      .attach('file', Buffer.from(await regions.xlsx.writeBuffer()), '区域.xlsx')
      .expect(200);

    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('网关');
    ws.addRow(['名称', '区域编码', '类型', '主机', '端口', '串口', '波特率', '校验', '数据位', '停止位']);
    ws.addRow(['新村网关', '341523100203', 'modbus-tcp', '10.1.1.1', 502, '', 9600, 'even', 8, 1]);
    ws.addRow(['新村串口', '341523100203', 'modbus-rtu', '', '', '/dev/ttyS1', 4800, 'none', 8, 1]);
    const res = await t.http
      .post('/api/gateways/import')
      .set(t.auth(admin))
      .attach('file', Buffer.from(await wb.xlsx.writeBuffer()), 'gateways.xlsx')
      .expect(200);
    expect(res.body).toEqual({ imported: 2 });
    const list = await t.http.get('/api/gateways?areaCode=341523100203').set(t.auth(admin)).expect(200);
    expect((list.body.items as { resourceCode: string }[]).map((g) => g.resourceCode).sort()).toEqual([
      '63415231002030202010101',
      '63415231002030202020101',
    ]);
  });
});
