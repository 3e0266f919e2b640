/**
 * CAP 1.2 validation against the OASIS schema (firmware-protocols/ebd/cap/CAP-v1.2.xsd) with libxml2's validator
 * compiled to WebAssembly (xmllint-wasm): no native tool, nothing fetched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { validateXML } from 'xmllint-wasm';

const SCHEMA_NAME = 'CAP-v1.2.xsd';

/** The schema file from the source tree (tests, ts-node) or beside the build (dist/ keeps the tree's layout one level down). */
function schemaText(): string {
  const candidates = [
    join(__dirname, '../../../firmware-protocols/ebd/cap', SCHEMA_NAME),
    join(__dirname, '../../../../firmware-protocols/ebd/cap', SCHEMA_NAME),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`the CAP 1.2 schema ${SCHEMA_NAME} is not found (looked in ${candidates.join(', ')})`);
  return readFileSync(found, 'utf8');
}

export interface SchemaResult {
  valid: boolean;
  errors: string[];
}

@Injectable()
export class CapSchema {
  private readonly schema = schemaText();

  async validate(xml: string): Promise<SchemaResult> {
    const r = await validateXML({
      xml: [{ fileName: 'message.xml', contents: xml }],
      schema: [{ fileName: SCHEMA_NAME, contents: this.schema }],
    });
    return {
      valid: r.valid,
      errors: r.errors.map((e) => e.message.replace(/^message\.xml:/, 'line ').trim()).slice(0, 20),
    };
  }
}
