/**
 * Text on the adapter link (PROTOCOL.md §2.1, 0x04 text): GB2312 or GB18030. Decoding uses the platform's
 * WHATWG TextDecoder (node's ICU knows gb18030; GB2312 is a subset, decoded as GBK by the WHATWG rules).
 * Encoding uses iconv-lite, since TextEncoder only writes UTF-8.
 */
import * as iconv from 'iconv-lite';
import { AdapterCodecError } from './bytes';
import { TEXT_ENCODINGS } from './layout';

export type TextEncodingName = 'gb2312' | 'gb18030';

const decoder = new TextDecoder('gb18030', { fatal: true });

export function encodeText(text: string, encoding: TextEncodingName, field = 'text'): Buffer {
  const out = iconv.encode(text, encoding === 'gb2312' ? 'gb2312' : 'gb18030');
  if (encoding === 'gb2312' && iconv.decode(out, 'gb2312') !== text) {
    throw new AdapterCodecError(field, 'contains characters outside GB2312; send it as GB18030');
  }
  return out;
}

export function decodeText(bytes: Uint8Array, field = 'text'): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new AdapterCodecError(field, 'is not valid GB18030 text');
  }
}

export function textEncodingCode(e: TextEncodingName): number {
  return e === 'gb2312' ? TEXT_ENCODINGS.gb2312 : TEXT_ENCODINGS.gb18030;
}

export function textEncodingName(code: number, field = 'textEncoding'): TextEncodingName | null {
  switch (code) {
    case TEXT_ENCODINGS.none:
      return null;
    case TEXT_ENCODINGS.gb2312:
      return 'gb2312';
    case TEXT_ENCODINGS.gb18030:
      return 'gb18030';
    default:
      throw new AdapterCodecError(field, `unknown text encoding ${code}`);
  }
}
