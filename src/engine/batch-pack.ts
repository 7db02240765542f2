// Reader batches packed into one ArrayBuffer per message for the backend workers: one buffer to
// copy or transfer instead of sixteen arrays per 4096 events (postMessage cost dominated the main
// thread before). Fields are laid out whole, one after another, each 8-byte aligned.
import { EventBatch } from '../trace/events.js';
import { BATCH_FIELDS } from './thread-protocol.js';

/** Events per message: large enough that messaging vanishes, small enough to pipeline. */
export const PACK_EVENTS = 32768;

type Field = (typeof BATCH_FIELDS)[number];
type Typed = EventBatch[Field];

const template = new EventBatch(1);
const BYTES = BATCH_FIELDS.map((f) => template[f].BYTES_PER_ELEMENT);
const MAKE = BATCH_FIELDS.map((f) => template[f].constructor as new (b: ArrayBuffer, off: number, n: number) => Typed);

/** Byte offset of each field in a pack of `capacity` events, and the pack's size. */
function layout(capacity: number): { offsets: number[]; bytes: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const size of BYTES) {
    offsets.push(at);
    at += Math.ceil((capacity * size) / 8) * 8;
  }
  return { offsets, bytes: at };
}

const LAYOUT = layout(PACK_EVENTS);

/** Fills packs from reader batches (which may be any size) and hands over full ones. */
export class Packer {
  private buffer = new ArrayBuffer(LAYOUT.bytes);
  private views = viewsOf(this.buffer, PACK_EVENTS);
  count = 0;

  /** Copies b[from, from + n) in; returns how many fitted. */
  add(b: EventBatch, from: number): number {
    const n = Math.min(b.count - from, PACK_EVENTS - this.count);
    for (let k = 0; k < BATCH_FIELDS.length; k++) {
      (this.views[k] as Uint8Array).set((b[BATCH_FIELDS[k]] as Uint8Array).subarray(from, from + n), this.count);
    }
    this.count += n;
    return n;
  }

  get full(): boolean {
    return this.count === PACK_EVENTS;
  }

  /** The filled buffer (this packer goes on in a returned one, or a new one). */
  take(): ArrayBuffer {
    const out = this.buffer;
    this.buffer = this.spare.pop() ?? new ArrayBuffer(LAYOUT.bytes);
    this.views = viewsOf(this.buffer, PACK_EVENTS);
    this.count = 0;
    return out;
  }

  // Buffers the workers sent back: reusing them spares the page faults of fresh memory, which
  // cost more than the copying itself.
  private readonly spare: ArrayBuffer[] = [];

  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === LAYOUT.bytes && this.spare.length < 8) this.spare.push(buffer);
  }
}

function viewsOf(buffer: ArrayBuffer, n: number): Typed[] {
  return MAKE.map((Make, k) => new Make(buffer, LAYOUT.offsets[k], n));
}

/** Points `batch`'s arrays at a pack's fields (the worker side). */
export function unpack(buffer: ArrayBuffer, count: number, batch: EventBatch): void {
  const views = viewsOf(buffer, PACK_EVENTS);
  const target = batch as unknown as Record<Field, Typed>;
  for (let k = 0; k < BATCH_FIELDS.length; k++) target[BATCH_FIELDS[k]] = views[k];
  batch.count = count;
}
