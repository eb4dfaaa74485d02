/**
 * The export's streaming zip writer (src/domain/export/zip.ts): what it writes reads back byte for byte
 * through the central directory, with CRC-32 and sizes matching (test/helpers/unzip.ts), and `unzip -t`
 * (or Python's zipfile) accepts it: empty entries, UTF-8 names, content in many chunks larger than the
 * compressor's window, strings and buffers. Entries are pulled one at a time, as the consumer reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { zipStream, type ZipEntry } from '../../src/domain/export/zip.js';
import { unzip } from '../helpers/unzip.js';

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

function systemTest(archive: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zip-unit-'));
  try {
    const file = path.join(dir, 'a.zip');
    writeFileSync(file, archive);
    try {
      return execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return execFileSync('python3', ['-m', 'zipfile', '-t', file], { encoding: 'utf8' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('zipStream', () => {
  it('writes entries that read back exactly and that unzip accepts', async () => {
    // Pseudo-random lines (poorly compressible) over several MB, in 2,000 chunks.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      lines.push(`${i},${random().toString(36)},${'é€'.repeat(random() % 50)},"x ""y"""\r\n`.repeat(20));
    }
    const big = lines.join('');
    async function* chunks(): AsyncGenerator<string> {
      for (const line of lines) yield line;
    }
    const entries: ZipEntry[] = [
      { name: 'README.txt', content: ['hello\r\n'] },
      { name: 'empty.csv', content: [] },
      { name: 'données/ünïcode.csv', content: [Buffer.from('a,b\r\n'), '', 'c,d\r\n'] },
      { name: 'big.csv', content: chunks() },
    ];
    const archive = await collect(zipStream(entries, new Date('2026-12-02T17:30:44Z')));
    const files = unzip(archive);
    expect([...files.keys()]).toEqual(['README.txt', 'empty.csv', 'données/ünïcode.csv', 'big.csv']);
    expect(files.get('README.txt')!.toString('utf8')).toBe('hello\r\n');
    expect(files.get('empty.csv')!.length).toBe(0);
    expect(files.get('données/ünïcode.csv')!.toString('utf8')).toBe('a,b\r\nc,d\r\n');
    expect(files.get('big.csv')!.toString('utf8')).toBe(big);
    expect(archive.length).toBeLessThan(Buffer.byteLength(big));
    expect(systemTest(archive)).toMatch(/No errors detected|Done testing/);
  });

  it('pulls the next entry only when the consumer reads on', async () => {
    const opened: string[] = [];
    function* entries(): Generator<ZipEntry> {
      for (const name of ['a.csv', 'b.csv']) {
        opened.push(name);
        yield { name, content: [`${name}\r\n`] };
      }
    }
    const stream = zipStream(entries());
    await stream.next();
    expect(opened).toEqual(['a.csv']);
    const rest = await collect(stream);
    expect(opened).toEqual(['a.csv', 'b.csv']);
    expect(rest.length).toBeGreaterThan(0);
  });

  it('stops with the error of an entry whose content fails', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'a\r\n';
      throw new Error('database gone');
    }
    await expect(collect(zipStream([{ name: 'x.csv', content: failing() }]))).rejects.toThrow(
      'database gone',
    );
  });
});
