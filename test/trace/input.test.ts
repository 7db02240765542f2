// The input layer: files, stdin (as a Readable), gzip by magic bytes, sha256, error classes.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceDataError, UsageError } from '../../src/errors.js';
import { openInput, openReadable, type TraceInput } from '../../src/trace/input.js';

const dir = mkdtempSync(join(tmpdir(), 'cdm-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, data: Buffer | string): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function drain(input: TraceInput): Promise<{ data: Buffer; sizes: number[] }> {
  const parts: Buffer[] = [];
  for await (const c of input.chunks) parts.push(c);
  return { data: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

const TEXT = Buffer.from('op,addr\nread,0x1000\n'.repeat(50));

describe('files', () => {
  it('streams a plain file and hashes it', async () => {
    const input = await openInput(file('plain.csv', TEXT));
    expect(input.gzip).toBe(false);
    expect(input.sha256).toBe('');
    expect((await drain(input)).data).toEqual(TEXT);
    expect(input.sha256).toBe(sha(TEXT));
  });

  it('gunzips by magic bytes, whatever the name, and hashes the compressed bytes', async () => {
    const gz = gzipSync(TEXT);
    for (const name of ['t.csv.gz', 't.csv']) {
      const input = await openInput(file(name, gz));
      expect(input.gzip).toBe(true);
      expect((await drain(input)).data).toEqual(TEXT);
      expect(input.sha256).toBe(sha(gz));
    }
  });

  it('reads a plain file named .gz as plain', async () => {
    const input = await openInput(file('plain.gz', TEXT));
    expect(input.gzip).toBe(false);
    expect((await drain(input)).data).toEqual(TEXT);
  });

  it('reads concatenated gzip members', async () => {
    const input = await openInput(file('multi.gz', Buffer.concat([gzipSync('ab'), gzipSync('cd')])));
    expect((await drain(input)).data.toString()).toBe('abcd');
  });

  it('keeps chunks bounded however large the input', async () => {
    const big = randomBytes(6 << 20);
    for (const data of [big, gzipSync(big)]) {
      const { data: out, sizes } = await drain(await openInput(file('big', data)));
      expect(out.equals(big)).toBe(true);
      expect(sizes.length).toBeGreaterThan(4);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1 << 20);
    }
  });

  it('refills one buffer once the consumer allows it, and only then', async () => {
    const big = randomBytes(3 * (1 << 20) + 5);
    const fresh = await openInput(file('fresh.bin', big));
    const seen: Buffer[] = [];
    for await (const c of fresh.chunks) seen.push(c);
    expect(new Set(seen.map((c) => c.buffer)).size).toBe(seen.length); // kept chunks stay intact
    expect(Buffer.concat(seen)).toEqual(big);

    const reused = await openInput(file('reused.bin', big));
    reused.recycle = true;
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const c of reused.chunks) {
      copies.push(Buffer.from(c));
      buffers.add(c.buffer);
    }
    expect(buffers.size).toBe(1);
    expect(Buffer.concat(copies)).toEqual(big);
    expect(reused.sha256).toBe(sha(big));
  });

  it('never refills a buffer the gzip inflater may still hold', async () => {
    const big = randomBytes(3 * (1 << 20));
    const input = await openInput(file('big.gz', gzipSync(big)));
    input.recycle = true;
    expect((await drain(input)).data).toEqual(big);
  });

  it('streams what is not a regular file (a character device here) the same way', async () => {
    const input = await openInput('/dev/null');
    expect((await drain(input)).data.length).toBe(0);
    expect(input.sha256).toBe(sha(Buffer.alloc(0)));
  });

  it.skipIf(!existsSync('/proc/self/fd'))('closes the file at the end and when the reader stops early', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const path = file('early.csv', TEXT);
    const before = fds();
    await drain(await openInput(path));
    expect(fds()).toBe(before);
    const input = await openInput(path);
    await input.chunks.next();
    expect(fds()).toBe(before + 1);
    await input.chunks.return(undefined);
    expect(fds()).toBe(before);
  });

  it('makes a missing file or a directory a usage error (exit 2) naming the path', async () => {
    const missing = join(dir, 'missing.csv');
    const e = await openInput(missing).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    expect((e as Error).message).toBe(`cannot read trace "${missing}": no such file (ENOENT)`);
    await expect(openInput(dir)).rejects.toThrow(`cannot read trace "${dir}": is a directory (EISDIR)`);
  });
});

describe('corrupt gzip', () => {
  const gz = gzipSync(randomBytes(1 << 20)); // incompressible: the stream is long

  it('reports truncation as trace data (exit 3) at the end offset', async () => {
    const cut = gz.subarray(0, gz.length >> 1);
    const e = await drain(await openInput(file('cut.gz', cut))).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TraceDataError);
    expect((e as TraceDataError).exitCode).toBe(3);
    expect((e as Error).message).toBe(`${join(dir, 'cut.gz')}:byte ${cut.length}: gzip data: "unexpected end of file" ` +
      'is not valid gzip (expected an intact gzip stream; the damage is at or after this compressed byte offset)');
  });

  it('reports damage with an offset at or before it', async () => {
    const bad = Buffer.from(gz);
    bad[3] = 0xff; // reserved header flag bits
    await expect(drain(await openInput(file('flags.gz', bad)))).rejects.toThrow(/:byte 0: gzip data: "unknown header flags set"/);
    const tail = Buffer.concat([gz, Buffer.from('trailing garbage')]);
    const e = await drain(await openInput(file('tail.gz', tail))).catch((err: unknown) => err as TraceDataError);
    expect(e).toBeInstanceOf(TraceDataError);
    const offset = Number(/^byte (\d+)$/.exec((e as TraceDataError).location)?.[1]);
    expect(offset).toBeLessThanOrEqual(gz.length);
  });
});

describe('stdin and other streams', () => {
  it('reads `-` from the given stdin stream, named <stdin>', async () => {
    const input = await openInput('-', { stdin: Readable.from([TEXT.subarray(0, 7), TEXT.subarray(7)]) });
    expect(input.name).toBe('<stdin>');
    expect((await drain(input)).data).toEqual(TEXT);
    expect(input.sha256).toBe(sha(TEXT));
  });

  it('detects gzip on stdin even when the first chunk is one byte', async () => {
    const gz = gzipSync(TEXT);
    const input = await openInput('-', { stdin: Readable.from([gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2)]) });
    expect(input.gzip).toBe(true);
    expect((await drain(input)).data).toEqual(TEXT);
    expect(input.sha256).toBe(sha(gz));
  });

  it('accepts string chunks and empty input', async () => {
    expect((await drain(await openReadable(Readable.from(['op,', 'addr\n']), 's'))).data.toString()).toBe('op,addr\n');
    const empty = await openReadable(Readable.from([]), 'empty');
    expect((await drain(empty)).data.length).toBe(0);
    expect(empty.sha256).toBe(sha(Buffer.alloc(0)));
  });

  it('turns a stream error into a usage error naming the input', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('device gone'), { code: 'EIO' }));
      },
    });
    await expect(openReadable(failing, 'dev.csv')).rejects.toThrow('cannot read trace "dev.csv": device gone (EIO)');
  });
});
