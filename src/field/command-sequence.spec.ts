import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandSequence } from './command-sequence';
import { CommandSigning } from './command-signing';

describe('CommandSequence', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dalaba-seq-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts up from 1 and reserves a block on disk before handing out its numbers', () => {
    const seq = CommandSequence.load(dir, 10);
    expect([seq.take(), seq.take(), seq.take()]).toEqual([1, 2, 3]);
    expect(readFileSync(CommandSequence.file(dir), 'utf8').trim()).toBe('10');
    for (let i = 4; i <= 10; i++) seq.take();
    expect(seq.take()).toBe(11);
    expect(readFileSync(CommandSequence.file(dir), 'utf8').trim()).toBe('20');
  });

  it('never goes back across a restart, even one that comes mid-block', () => {
    const first = CommandSequence.load(dir, 10);
    const used = [first.take(), first.take()];
    const second = CommandSequence.load(dir, 10);
    expect(second.take()).toBeGreaterThan(Math.max(...used));
    expect(second.take()).toBe(12);
  });

  it('names the file when it is damaged', () => {
    CommandSequence.load(dir, 10).take();
    writeFileSync(CommandSequence.file(dir), 'garbage');
    expect(() => CommandSequence.load(dir)).toThrow(
      `command sequence file ${CommandSequence.file(dir)} holds "garbage", not a whole number`,
    );
  });
});

describe('CommandSigning', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dalaba-key-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a certificate once and keeps it across restarts', () => {
    const a = CommandSigning.load(dir);
    const b = CommandSigning.load(dir);
    expect(a.certificate.serial).toMatch(/^\d{12}$/);
    expect(b.certificate).toEqual(a.certificate);
    expect(b.signer.certSerial).toBe(a.certificate.serial);
  });

  it('refuses a damaged key file, naming it', () => {
    CommandSigning.load(dir);
    writeFileSync(CommandSigning.file(dir), '{"serial":"12"}');
    expect(() => CommandSigning.load(dir)).toThrow(/needs a 12-digit "serial"/);
  });
});
