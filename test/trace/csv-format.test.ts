// trace@1 as CSV: header, comments and metadata, RFC 4180 quoting, line ends, chunk boundaries.
import { describe, expect, it } from 'vitest';
import { bigintJson, errorOf, read, rows } from './helpers.js';

/** Exercises every syntax feature; each row's expected content is checked below. */
const TRICKY = '\uFEFF# cdm-replay trace@1 workload=tricky seed=7\r\n'
  + '# a plain comment, "quotes" and, commas\n'
  + '\n'
  + 'time,op,"addr",len,file,kind,memcg,nodes,policy\r\n'
  + '1732000000123456789,mmap,0x7f0000000000,0x200000,"/lib/a,b.so",file,/a,,\r\n'
  + '1732000000123456790,"read",0xfffffffffffff000,,"say ""hi""",,"/a",,\n'
  + '   \n'
  + '# mid-file comment\n'
  + '1732000000123456791,mbind,18446744073709547520,4096,,,,"0,1",interleave\n'
  + '1732000000123456792,write,4096,,"two\nlines",,/b,,\r\n'
  + '1732000000123456793,exit,,,,,,,';

describe('syntax', () => {
  it('reads the tricky trace', async () => {
    const { rows: r, info } = await read(TRICKY);
    expect(r.map((x) => [x.line, x.op, x.addr, x.len, x.time, x.file, x.memcg, x.nodes])).toEqual([
      [5, 'mmap', 0x7f0000000000n, 0x200000, 0, '/lib/a,b.so', '/a', 0],
      [6, 'read', 0xfffffffffffff000n, NaN, 1, 'say "hi"', '/a', 0],
      [9, 'mbind', 0xfffffffffffff000n, 4096, 2, null, null, 3],
      [10, 'write', 4096n, NaN, 3, 'two\nlines', '/b', 0],
      [12, 'exit', 0n, NaN, 4, null, null, 0],
    ]);
    expect(info.meta).toEqual({ workload: 'tricky', seed: '7' });
    expect(info.format).toBe('cdm-replay/trace@1');
    expect(info.events).toBe(5);
    expect(info.startTime).toBe('1732000000123456789');
  });

  it('gives identical results for every chunk split (two chunks at each byte, and one byte at a time)', async () => {
    const data = Buffer.from(TRICKY);
    const expected = JSON.stringify(await read(data), bigintJson);
    for (let i = 1; i < data.length; i++) {
      expect(JSON.stringify(await read(data, { chunks: [i] }), bigintJson), `split at ${i}`).toBe(expected);
    }
    const bytes = Array.from({ length: data.length }, () => 1);
    expect(JSON.stringify(await read(data, { chunks: bytes }), bigintJson)).toBe(expected);
    expect(JSON.stringify(await read(data, { chunks: bytes, exactOnly: true }), bigintJson)).toBe(expected);
  });

  it('accepts a final line without a newline, with CRLF, and a lone CR at the very end', async () => {
    for (const end of ['', '\n', '\r\n', '\r']) {
      expect((await rows(`op,addr\nread,1${end}`)).map((x) => x.addr), JSON.stringify(end)).toEqual([1n]);
    }
  });

  it('counts lines through blank lines, comments and quoted line breaks', async () => {
    const text = 'op,addr,file\n\n# c\nread,1,"a\nb\nc"\n \t \nread,2,\n';
    expect((await rows(text)).map((x) => x.line)).toEqual([4, 8]);
    expect(await errorOf('op,addr,file\nread,1,"a\nb"\n\nread,x,\n')).toMatch(/^t\.csv:5: column "addr": "x"/);
  });

  it('rejects malformed quoting with the field named', async () => {
    expect(await errorOf('op,addr,file\nread,1,"abc\n')).toBe('t.csv:2: column "file": "\\"abc\\n" is not closed (expected a closing quote)');
    expect(await errorOf('op,addr,file\nread,1,ab"c\n'))
      .toBe('t.csv:2: column "file": "ab\\"c" is not a valid CSV field (expected a field with a quote to be quoted, "" escaping the quote)');
    expect(await errorOf('op,addr,file\nread,1,"ab"c,\n'))
      .toBe('t.csv:2: column "file": "\\"ab\\"c" is not followed by a delimiter (expected , or a line end after the closing quote)');
    expect(await errorOf('op,addr,file\nread,1,a\rb\n'))
      .toBe('t.csv:2: column "file": "a\\rb" is not followed by a valid line end (expected LF or CRLF; a lone carriage return is not one)');
  });

  it('rejects rows with the wrong number of fields', async () => {
    expect(await errorOf('op,addr,pid\nread,1\n')).toBe('t.csv:2: row: "read,1" is not a row of 3 fields (expected 3 as in the header, found 2)');
    expect(await errorOf('op,addr\nread,1,\n')).toBe('t.csv:2: row: "read,1," is not a row of 2 fields (expected 2 as in the header, found 3)');
    expect(await errorOf('op,addr\nread,1\nread')).toBe('t.csv:3: row: "read" is not a row of 2 fields (expected 2 as in the header, found 1)');
  });

  it('rejects a runaway line instead of buffering it', async () => {
    const long = Buffer.from(`op,addr,file\nread,1,${'x'.repeat(3 << 20)}\n`);
    await expect(read(long, { chunks: Array.from({ length: 64 }, () => 65536) })).rejects.toThrow(
      /^t\.csv:2: row: "read,1,x+…" is not a plausible row \(expected rows shorter than 1048576 bytes\)$/);
  });
});

describe('header', () => {
  it('takes columns in any order', async () => {
    expect((await rows('pid,addr,op\n7,0x10,write\n'))[0]).toMatchObject({ op: 'write', addr: 16n, pid: 7 });
  });

  it('rejects unknown, upper-case and duplicate columns, and a missing op', async () => {
    const known = 'op, addr, len, time, pid, tid, agent, kind, file, policy, nodes, flags, memcg';
    expect(await errorOf('op,addr,size\n')).toBe(`t.csv:1: header: "size" is not a known column (expected ${known}; --ignore-columns skips unknown ones)`);
    expect(await errorOf('# x\nop,Addr\n')).toMatch(/^t\.csv:2: header: "Addr" is not a known column/);
    expect(await errorOf('op,addr,op\n')).toBe('t.csv:1: header: "op" is not unique (expected each column at most once)');
    expect(await errorOf('addr,pid\n0,1\n'))
      .toBe('t.csv:1: header: "addr,pid" is not a trace@1 header (expected a header row with an op column, e.g. op,addr)');
  });

  it('skips unknown columns with ignoreColumns, whatever they hold', async () => {
    const text = 'op,size,addr,note\nread,4096,0x1000,"a, ""b"""\nwrite,,2,plain\n';
    const r = await rows(text, { ignoreColumns: true });
    expect(r.map((x) => [x.op, x.addr])).toEqual([['read', 0x1000n], ['write', 2n]]);
  });

  it('requires a header; a header alone is an empty trace', async () => {
    expect(await errorOf('')).toBe('t.csv:1: header: "" is not present (expected a header row naming the columns, e.g. op,addr)');
    expect(await errorOf('# only a comment\n\n')).toBe('t.csv:3: header: "" is not present (expected a header row naming the columns, e.g. op,addr)');
    const { rows: r, info } = await read('op,addr\n');
    expect(r).toEqual([]);
    expect(info.events).toBe(0);
  });
});

describe('metadata', () => {
  it('reads key=value pairs from a leading cdm-replay line', async () => {
    const { info } = await read('#cdm-replay trace@1  source=lackey   pages=4096 note=a=b\nop,addr\n');
    expect(info.meta).toEqual({ source: 'lackey', pages: '4096', note: 'a=b' });
  });
  it('rejects another version and malformed pairs', async () => {
    expect(await errorOf('# cdm-replay trace@2 a=1\nop,addr\n')).toBe('t.csv:1: metadata: "trace@2" is not a supported version (expected trace@1)');
    expect(await errorOf('# cdm-replay trace@1 a=1 b\nop,addr\n'))
      .toBe('t.csv:1: metadata: "b" is not key=value (expected key=value pairs separated by spaces)');
  });
});

// The fast path reads rows up to the chunk's last line feed without end checks, writes the values
// of empty kind/policy/nodes/flags/memcg/file fields once per batch, and leaves quoted rows, odd
// line ends and the unterminated last row to the exact path; these pin where the two meet.
describe('fast path boundaries', () => {
  const same = async (text: string, c: { chunks?: number[]; batchSize?: number }): Promise<void> => {
    const options = { batchSize: c.batchSize };
    const want = JSON.stringify(await read(text, { exactOnly: true, options }), bigintJson);
    expect(JSON.stringify(await read(text, { chunks: c.chunks, options }), bigintJson), JSON.stringify(c)).toBe(want);
  };

  it('gives a batch\'s rows their empty values whichever path read the batch\'s first row', async () => {
    const text = 'op,addr,kind,nodes,memcg,policy,flags,file\n'
      + 'mbind,1,anon,3,/a,bind,move,/f\n'
      + 'mbind,2,file,1,/b,interleave,strict,/g\n'
      + '"read",3,,,,,,\n' // quoted: the exact path reads the first row of the second batch
      + 'read,4,,,,,,\n'
      + 'mbind,5,file,1,/b,interleave,strict,"x"\n'
      + 'read,6,,,,,,\n';
    for (const batchSize of [1, 2, 3]) await same(text, { batchSize });
    for (let at = 1; at < text.length; at++) await same(text, { batchSize: 2, chunks: [at] });
    const r = (await read(text, { options: { batchSize: 2 } })).rows;
    const empty = [0, 0, null, 0, 0, null];
    expect(r.map((x) => [x.kind, x.nodes, x.memcg, x.policy, x.flags, x.file])).toEqual([
      [1, 8, '/a', 3, 1, '/f'], [2, 2, '/b', 6, 4, '/g'], empty, empty, [2, 2, '/b', 6, 4, 'x'], empty,
    ]);
  });

  it('reads rows split anywhere, with CRLF, without a final newline, quoted, with any batch size', async () => {
    const rowsText = ['read,0x7f000a087000,,cpu1,,,1000', 'write,4096,64,dev0,0-1,file,1732000000123456789',
      '"fault",0x1,0x10,gpu2,,"anon",1732000000123456790', 'read,18446744073709547520,,cpu,,,1732000000123456790'];
    for (const eol of ['\n', '\r\n']) {
      for (const last of ['', eol]) {
        const text = `op,addr,len,agent,nodes,kind,time${eol}${rowsText.join(eol)}${last}`;
        const size = Buffer.byteLength(text);
        for (let at = 1; at < size; at++) await same(text, { chunks: [at] });
        for (const batchSize of [1, 2, 3]) await same(text, { batchSize, chunks: [7, 30, 11] });
      }
    }
  });
});
