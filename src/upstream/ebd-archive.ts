/**
 * The tar around an EBD (EBDT_<EBDID>.tar) through tar-stream, in memory: pack a list of files, unpack one into its
 * files. Entries are plain files with a fixed mode and time, so the same files always make the same bytes.
 */
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';

export interface ArchiveFile {
  name: string;
  body: Buffer;
}

export class ArchiveError extends Error {}

/** Largest packet taken (an EBM with its audio). */
export const MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 32;

export async function packArchive(files: readonly ArchiveFile[], mtime: Date): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    p.on('data', (c: Buffer) => chunks.push(c));
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
  });
  const at = new Date(Math.floor(mtime.getTime() / 1000) * 1000);
  for (const f of files) {
    await new Promise<void>((resolve, reject) =>
      p.entry({ name: f.name, size: f.body.length, mode: 0o644, mtime: at, type: 'file' }, f.body, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }
  p.finalize();
  return done;
}

/** The regular files of a tar; anything else (links, directories, paths with folders) is refused. */
export async function unpackArchive(tar: Buffer): Promise<ArchiveFile[]> {
  if (tar.length === 0 || tar.length % 512 !== 0)
    throw new ArchiveError(`not a tar archive (${tar.length} bytes is not a whole number of 512-byte blocks)`);
  const ex = extract();
  const files: ArchiveFile[] = [];
  const done = new Promise<ArchiveFile[]>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      if (header.type === 'directory') {
        stream.resume();
        stream.on('end', next);
        return;
      }
      if (
        header.type !== 'file' ||
        header.name.includes('/') ||
        header.name.includes('\\') ||
        files.length >= MAX_ENTRIES
      ) {
        stream.resume();
        reject(
          new ArchiveError(
            `entry "${header.name}" (${header.type ?? 'unknown'}) is not taken: only plain files at the top of the archive, at most ${MAX_ENTRIES}`,
          ),
        );
        return;
      }
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        files.push({ name: header.name, body: Buffer.concat(parts) });
        next();
      });
      stream.on('error', reject);
    });
    ex.on('finish', () => resolve(files));
    ex.on('error', (e: Error) => reject(new ArchiveError(`not a readable tar archive: ${e.message}`)));
  });
  Readable.from([tar]).pipe(ex);
  return done;
}
