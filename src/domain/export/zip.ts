import { crc32, createDeflateRaw } from 'node:zlib';

/**
 * A streaming zip writer (PKWARE APPNOTE 6.3): each entry deflated as its chunks come, its CRC-32 and
 * sizes written after the data in a data descriptor (general purpose bit 3), so nothing is buffered but
 * the compressor's own window and one chunk's output; the central directory (one small record per entry)
 * closes the archive. Names are UTF-8 (bit 11). No zip64: an entry or the archive beyond 4 GiB, or more
 * than 65,535 entries, is refused with an error (a person's export is far below that: 100,000
 * transactions make about 30 MB of CSV).
 */

export interface ZipEntry {
  /** The name inside the archive (`transactions.csv`). */
  name: string;
  /** The entry's content, chunk after chunk (strings are written as UTF-8). */
  content: AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
}

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const FLAGS = 0x0008 | 0x0800; // sizes in a data descriptor; UTF-8 names
const DEFLATE = 8;
const VERSION = 20; // 2.0: deflate, data descriptors
const LIMIT = 0xffffffff;

interface Written {
  name: Buffer;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** MS-DOS date and time (local fields, two-second resolution) of `at`, as zip headers hold them. */
function dosDateTime(at: Date): { date: number; time: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
  };
}

function localHeader(name: Buffer, stamp: { date: number; time: number }): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(DEFLATE, 8);
  header.writeUInt16LE(stamp.time, 10);
  header.writeUInt16LE(stamp.date, 12);
  // CRC-32 and sizes (14..25) stay zero: they follow the data.
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, name]);
}

function dataDescriptor(entry: Written): Buffer {
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0);
  descriptor.writeUInt32LE(entry.crc, 4);
  descriptor.writeUInt32LE(entry.compressedSize, 8);
  descriptor.writeUInt32LE(entry.size, 12);
  return descriptor;
}

function centralHeader(entry: Written, stamp: { date: number; time: number }): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(CENTRAL_HEADER, 0);
  header.writeUInt16LE((3 << 8) | VERSION, 4); // made by: Unix, 2.0
  header.writeUInt16LE(VERSION, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(DEFLATE, 10);
  header.writeUInt16LE(stamp.time, 12);
  header.writeUInt16LE(stamp.date, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(entry.compressedSize, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  // extra, comment, disk, internal attributes: zero; external: a regular file, mode 0644.
  header.writeUInt32LE(0o100644 * 0x10000, 38);
  header.writeUInt32LE(entry.offset, 42);
  return Buffer.concat([header, entry.name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}

function tooLarge(what: string): Error {
  return new Error(`zip: ${what} exceeds the 4 GiB of a zip without zip64`);
}

/**
 * The archive of `entries`, in chunks: a local header, the deflated content as it is produced, a data
 * descriptor per entry, then the central directory. Entries are read one after the other, when the
 * consumer asks for more (backpressure reaches the source).
 */
export async function* zipStream(
  entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>,
  modifiedAt: Date = new Date(),
): AsyncGenerator<Buffer> {
  const stamp = dosDateTime(modifiedAt);
  const written: Written[] = [];
  let offset = 0;
  for await (const { name, content } of entries) {
    if (written.length === 0xffff) throw new Error('zip: more than 65,535 entries');
    const entry: Written = { name: Buffer.from(name, 'utf8'), crc: 0, compressedSize: 0, size: 0, offset };
    const header = localHeader(entry.name, stamp);
    offset += header.length;
    yield header;

    const deflate = createDeflateRaw();
    const output: Buffer[] = [];
    let failed: Error | undefined;
    deflate.on('data', (chunk: Buffer) => output.push(chunk));
    deflate.on('error', (error) => (failed = error));
    const drain = function* (): Generator<Buffer> {
      if (failed) throw failed;
      while (output.length > 0) {
        const chunk = output.shift()!;
        entry.compressedSize += chunk.length;
        yield chunk;
      }
    };
    try {
      for await (const piece of content) {
        const data = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
        if (data.length === 0) continue;
        entry.crc = crc32(data, entry.crc);
        entry.size += data.length;
        if (entry.size > LIMIT) throw tooLarge(name);
        // The callback runs once the compressor took the chunk; what it produced is in `output`.
        await new Promise<void>((resolve, reject) =>
          deflate.write(data, (error) => (error ? reject(error) : resolve())),
        );
        yield* drain();
      }
      await new Promise<void>((resolve, reject) => {
        deflate.once('end', resolve);
        deflate.once('error', reject);
        deflate.end();
      });
      yield* drain();
    } finally {
      // An abandoned download (the consumer stopped) or a failed source: the compressor is freed.
      deflate.destroy();
    }
    if (entry.compressedSize > LIMIT) throw tooLarge(name);
    const descriptor = dataDescriptor(entry);
    offset += entry.compressedSize + descriptor.length;
    if (offset > LIMIT) throw tooLarge('the archive');
    yield descriptor;
    written.push(entry);
  }
  const directory = Buffer.concat(written.map((entry) => centralHeader(entry, stamp)));
  if (offset + directory.length > LIMIT) throw tooLarge('the archive');
  yield directory;
  yield endOfCentralDirectory(written.length, directory.length, offset);
}
