// A cpio "newc" archive writer (and reader, for tests). Writing it ourselves needs no root for the
// /dev/console node, no cpio binary, and gives byte-identical archives for identical inputs.

export type CpioEntry =
  | { type: 'dir'; name: string; mode?: number }
  | { type: 'file'; name: string; data: Buffer; mode?: number }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'chardev'; name: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function modeOf(e: CpioEntry): number {
  switch (e.type) {
    case 'dir': return S_IFDIR | (e.mode ?? 0o755);
    case 'file': return S_IFREG | (e.mode ?? 0o644);
    case 'symlink': return S_IFLNK | 0o777;
    case 'chardev': return S_IFCHR | (e.mode ?? 0o600);
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function record(ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  const header = Buffer.from(
    '070701' +
      [ino, mode, 0, 0, (mode & S_IFDIR) === S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0]
        .map(hex8)
        .join(''),
    'ascii',
  );
  return [header, nameBuf, pad4(header.length + nameBuf.length), data, pad4(data.length)];
}

/** Builds the archive; entries are written in the given order (parents before children). */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const name = e.name.replace(/^\/+/, '');
    const data = e.type === 'file' ? e.data : e.type === 'symlink' ? Buffer.from(e.target, 'utf8') : Buffer.alloc(0);
    const rdev: [number, number] = e.type === 'chardev' ? [e.major, e.minor] : [0, 0];
    parts.push(...record(i + 1, modeOf(e), name, data, rdev));
  });
  parts.push(...record(0, 0, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

export interface CpioListing {
  name: string;
  mode: number;
  size: number;
  rdev: [number, number];
  data: Buffer;
}

/** Reads a newc archive back (what `cpio -t` would list), for tests and debugging. */
export function readCpio(buf: Buffer): CpioListing[] {
  const out: CpioListing[] = [];
  let off = 0;
  for (;;) {
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic at byte ${off}`);
    const field = (i: number): number => Number.parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const namesize = field(11);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + namesize - 1);
    const dataStart = nameStart + namesize + ((4 - ((110 + namesize) % 4)) % 4);
    if (name === 'TRAILER!!!') return out;
    out.push({ name, mode, size, rdev: [field(9), field(10)], data: buf.subarray(dataStart, dataStart + size) });
    off = dataStart + size + ((4 - (size % 4)) % 4);
  }
}
