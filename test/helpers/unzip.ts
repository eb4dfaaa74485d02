import { crc32, inflateRawSync } from 'node:zlib';

/**
 * A zip archive read back for tests, from its central directory (PKWARE APPNOTE 6.3): each entry's name
 * and content, inflated and held against the CRC-32 and sizes the archive states. Throws on anything it
 * does not expect (zip64, encryption, a method other than stored or deflate, a wrong checksum).
 */
export function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('no end of central directory');
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const directoryEnd = at + archive.readUInt32LE(end + 12);
  if (directoryEnd !== end) throw new Error('central directory does not end at its end record');
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error(`entry ${i}: no central header`);
    const flags = archive.readUInt16LE(at + 8);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const offset = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (flags & 0x1) throw new Error(`${name}: encrypted`);
    if (archive.readUInt32LE(offset) !== 0x04034b50) throw new Error(`${name}: no local header`);
    const localName = archive
      .subarray(offset + 30, offset + 30 + archive.readUInt16LE(offset + 26))
      .toString('utf8');
    if (localName !== name) throw new Error(`${name}: local header names ${localName}`);
    const dataStart = offset + 30 + archive.readUInt16LE(offset + 26) + archive.readUInt16LE(offset + 28);
    const stored = archive.subarray(dataStart, dataStart + compressedSize);
    const content = method === 8 ? inflateRawSync(stored) : method === 0 ? stored : undefined;
    if (!content) throw new Error(`${name}: method ${method}`);
    if (content.length !== size) throw new Error(`${name}: ${content.length} bytes, ${size} stated`);
    if (crc32(content) !== crc) throw new Error(`${name}: CRC-32 differs`);
    if (flags & 0x8) {
      // The data descriptor after the data repeats the checksum and sizes.
      const descriptor = dataStart + compressedSize;
      const base = archive.readUInt32LE(descriptor) === 0x08074b50 ? descriptor + 4 : descriptor;
      if (archive.readUInt32LE(base) !== crc || archive.readUInt32LE(base + 8) !== size)
        throw new Error(`${name}: data descriptor differs from the central directory`);
    }
    if (entries.has(name)) throw new Error(`${name}: twice`);
    entries.set(name, content);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** RFC 4180 CSV (CRLF or LF line ends, quoted fields with doubled quotes) as rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A CSV file as objects by its header's column names. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('no header line');
  return rows.map((fields) => {
    if (fields.length !== header.length) throw new Error(`${fields.length} fields, ${header.length} columns`);
    return Object.fromEntries(header.map((column, i) => [column, fields[i]!]));
  });
}
