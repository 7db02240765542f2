import { describe, expect, it } from 'vitest';
import { readCpio, writeCpio } from '../../src/kernel-check/cpio.js';
import { initramfsEntries, replayerArgs, shellQuote } from '../../src/kernel-check/initramfs.js';

const parts = {
  busybox: Buffer.from('BUSYBOX'),
  replayer: Buffer.from('REPLAYER!'),
  init: Buffer.from('#!/bin/busybox sh\n'),
  trace: Buffer.from('op,addr\nwrite,0x1000\n'),
  args: replayerArgs({ pace: true, pageListMax: 10, memcgs: [{ path: "/j o'b", maxBytes: 1024 }, { path: '/free' }] }),
};

describe('initramfs', () => {
  it('lists busybox, the replayer, /init, the args, the trace and /dev/console', () => {
    const list = readCpio(writeCpio(initramfsEntries(parts)));
    const byName = new Map(list.map((e) => [e.name, e]));
    expect(list.map((e) => e.name)).toEqual([
      'bin', 'dev', 'proc', 'sys', 'tmp', 'files', 'dev/console', 'dev/null',
      'bin/busybox', 'bin/sh', 'bin/replayer', 'init', 'replayer.args', 'trace.csv',
    ]);
    expect(byName.get('dev/console')).toMatchObject({ mode: 0o020600, rdev: [5, 1] });
    expect(byName.get('init')?.mode).toBe(0o100755);
    expect(byName.get('bin/replayer')?.data.toString()).toBe('REPLAYER!');
    expect(byName.get('bin/sh')?.data.toString()).toBe('busybox');
    expect(byName.get('trace.csv')?.data.toString()).toBe('op,addr\nwrite,0x1000\n');
    expect(byName.get('replayer.args')?.data.toString()).toBe(`'-p' '-l' '10' '-M' '/j o'\\''b=1024'\n`);
  });

  it('is byte-identical for identical inputs and 4-byte aligned', () => {
    const a = writeCpio(initramfsEntries(parts));
    expect(a.equals(writeCpio(initramfsEntries(parts)))).toBe(true);
    expect(a.length % 4).toBe(0);
  });

  it('quotes arguments for the guest shell', () => {
    expect(shellQuote(['a b', "it's"])).toBe(`'a b' 'it'\\''s'`);
    expect(replayerArgs({})).toEqual([]);
    expect(replayerArgs({ ignoreColumns: true })).toEqual(['-i']);
  });
});
