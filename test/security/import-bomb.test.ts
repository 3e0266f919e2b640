/**
 * Finding: a 19.8 MB XLSX grew the server to 3.3 GB and blocked /health for 30 s; the row cap was checked only after
 * the whole workbook had been parsed. Now every limit holds while the file is read (src/terminals/tabular.ts).
 * The bombs are built here: a few MB of deflate blocks that inflate to gigabytes.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { TestApp, createTestApp } from '../support/app';

const MB = 1024 * 1024;
const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

interface Part {
  name: string;
  deflated: Buffer;
  size: number;
  crc: number;
}

function part(name: string, text: string): Part {
  const raw = Buffer.from(text, 'utf8');
  return { name, deflated: deflateRawSync(raw), size: raw.length, crc: crc32(raw) };
}

/** A sheet of `megabytes` MB of blanks between its tags: repeated full-flush deflate blocks, about 1 KB each. */
function blankSheet(megabytes: number, declaredSize?: number): Part {
  const head = deflateRawSync(
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${NS}"><sheetData>`),
    { finishFlush: constants.Z_FULL_FLUSH },
  );
  const blanks = deflateRawSync(Buffer.alloc(MB, 0x20), { finishFlush: constants.Z_FULL_FLUSH });
  const tail = deflateRawSync(Buffer.from('</sheetData></worksheet>'));
  const deflated = Buffer.concat([head, ...Array.from({ length: megabytes }, () => blanks), tail]);
  return {
    name: 'xl/worksheets/sheet1.xml',
    deflated,
    size: declaredSize ?? Math.min(megabytes * MB, 0xfffffffe),
    crc: 0,
  };
}

function rowsSheet(rows: number): Part {
  const body: string[] = [];
  for (let r = 1; r <= rows; r++)
    body.push(`<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>${r === 1 ? 'name' : `t${r}`}</t></is></c></row>`);
  return part(
    'xl/worksheets/sheet1.xml',
    `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${NS}"><sheetData>${body.join('')}</sheetData></worksheet>`,
  );
}

function xlsx(sheet: Part): Buffer {
  const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const parts = [
    part(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    ),
    part(
      '_rels/.rels',
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${R}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    part(
      'xl/workbook.xml',
      `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${NS}" xmlns:r="${R}"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ),
    part(
      'xl/_rels/workbook.xml.rels',
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${R}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    ),
    sheet,
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(p.crc, 14);
    local.writeUInt32LE(p.deflated.length, 18);
    local.writeUInt32LE(p.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(p.crc, 16);
    central.writeUInt32LE(p.deflated.length, 20);
    central.writeUInt32LE(p.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, p.deflated);
    centrals.push(central, name);
    offset += 30 + name.length + p.deflated.length;
  }
  const size = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

describe('import limits hold while the file is read', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const upload = (file: Buffer, name: string) =>
    t.http.post('/api/terminals/import').set(t.auth(admin)).attach('file', file, name);

  it.each([
    ['honest about its size', blankSheet(2000)],
    ['lying about its size', blankSheet(2000, 1000)],
  ])(
    'refuses a 2 GB decompression bomb %s with 413, bounded memory, and /health answering meanwhile',
    async (_name, sheet) => {
      const bomb = xlsx(sheet);
      expect(bomb.length).toBeLessThan(4 * MB);
      const rssBefore = process.memoryUsage().rss;
      const [res, health] = await Promise.all([upload(bomb, 'bomb.xlsx'), t.http.get('/health')]);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({
        code: 'import_too_large',
        message: expect.stringMatching(/xl\/worksheets\/sheet1\.xml inflates to more than/),
      });
      expect(health.status).toBe(200);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * MB);
    },
  );

  it('refuses an XLSX of 300,000 small rows at the row cap, while streaming', async () => {
    const rssBefore = process.memoryUsage().rss;
    const res = await upload(xlsx(rowsSheet(300_000)), 'rows.xlsx');
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ row: 20_002, column: '', message: 'at most 20000 rows per import' }]);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * MB);
  });

  it('refuses a CSV beyond the row cap and rows beyond the column cap', async () => {
    const many = Buffer.from(['name', ...Array.from({ length: 30_000 }, (_, i) => `t${i}`)].join('\n'));
    const rows = await upload(many, 'many.csv');
    expect([rows.status, rows.body.details]).toEqual([
      400,
      [{ row: 20_002, column: '', message: 'at most 20000 rows per import' }],
    ]);
    const wide = Buffer.from(`name\n${Array.from({ length: 5000 }, () => 'x').join(',')}\n`);
    const cols = await upload(wide, 'wide.csv');
    expect([cols.status, cols.body.code]).toEqual([413, 'import_too_large']);
  });
});
