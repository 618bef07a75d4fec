// Core deterministic CBOR (RFC 8949 section 4.2.1), the subset porter uses
// (docs/credentials.md, "Deterministic encoding"):
//   uint and nint (JS safe integers), bstr (Uint8Array), tstr (string),
//   array (Array), map (Map, keys sorted bytewise by their encoding), tag
//   (Tagged), and true (f5: a grant's duress marker, docs/credentials.md,
//   whose only encoding is true). No floats, no other simple value (false,
//   null, undefined), no indefinite lengths.
// The decoder is strict: it refuses anything the encoder would not write
// (longer heads than needed, unsorted or duplicate keys, indefinite
// lengths, floats and simple values, bad UTF-8, trailing bytes), with a
// CborError whose code is 'malformed', as libporter's decoder does.

import { concat } from './util.js';

export class Tagged {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

export class CborError extends Error {
  constructor(message, offset) {
    super(offset === undefined ? message : `${message} at offset ${offset}`);
    this.code = 'malformed';
    this.offset = offset;
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function head(major, n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cbor: bad argument ${n}`);
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 255);
  if (n < 0x100000000) return Uint8Array.of(m | 26, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  return Uint8Array.of(m | 27, hi >>> 24, (hi >> 16) & 255, (hi >> 8) & 255, hi & 255,
    lo >>> 24, (lo >> 16) & 255, (lo >> 8) & 255, lo & 255);
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** encode(value) -> Uint8Array, deterministic. Throws TypeError on a value
 * outside the subset (a float, null, undefined, a boolean, an object). */
export function encode(v) {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`cbor: not an integer: ${v}`);
    return v >= 0 ? head(0, v) : head(1, -1 - v);
  }
  if (typeof v === 'string') {
    const b = textEncoder.encode(v);
    return concat(head(3, b.length), b);
  }
  if (v instanceof Uint8Array) return concat(head(2, v.length), v);
  if (Array.isArray(v)) return concat(head(4, v.length), ...v.map(encode));
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [encode(k), encode(x)]);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    for (let i = 1; i < entries.length; i++)
      if (compareBytes(entries[i - 1][0], entries[i][0]) === 0) throw new TypeError('cbor: duplicate map key');
    return concat(head(5, entries.length), ...entries.flat());
  }
  if (v instanceof Tagged) return concat(head(6, v.tag), encode(v.value));
  if (v === true) return Uint8Array.of(0xf5);
  throw new TypeError(`cbor: cannot encode ${v === null ? 'null' : typeof v}`);
}

class Reader {
  constructor(b) {
    this.b = b;
    this.o = 0;
    this.depth = 0;
  }

  need(n) {
    if (this.o + n > this.b.length) throw new CborError('truncated', this.o);
  }

  // The head of the next item: [major, argument]. Refuses a longer head
  // than the argument needs, and the additional info values 28..31
  // (reserved, and indefinite lengths).
  head() {
    this.need(1);
    const start = this.o;
    const ib = this.b[this.o++];
    const major = ib >> 5;
    const ai = ib & 31;
    if (major === 7) throw new CborError('float or simple value', start);
    if (ai < 24) return [major, ai];
    let n;
    if (ai === 24) {
      this.need(1);
      n = this.b[this.o];
      this.o += 1;
      if (n < 24) throw new CborError('non-shortest head', start);
    } else if (ai === 25) {
      this.need(2);
      n = (this.b[this.o] << 8) | this.b[this.o + 1];
      this.o += 2;
      if (n < 0x100) throw new CborError('non-shortest head', start);
    } else if (ai === 26) {
      this.need(4);
      n = ((this.b[this.o] << 24) >>> 0) + (this.b[this.o + 1] << 16) + (this.b[this.o + 2] << 8) + this.b[this.o + 3];
      this.o += 4;
      if (n < 0x10000) throw new CborError('non-shortest head', start);
    } else if (ai === 27) {
      this.need(8);
      const hi = ((this.b[this.o] << 24) >>> 0) + (this.b[this.o + 1] << 16) + (this.b[this.o + 2] << 8) + this.b[this.o + 3];
      const lo = ((this.b[this.o + 4] << 24) >>> 0) + (this.b[this.o + 5] << 16) + (this.b[this.o + 6] << 8) + this.b[this.o + 7];
      this.o += 8;
      if (hi === 0) throw new CborError('non-shortest head', start);
      if (hi >= 0x200000) throw new CborError('integer too large for this decoder', start);
      n = hi * 0x100000000 + lo;
    } else {
      throw new CborError(ai === 31 ? 'indefinite length' : 'reserved additional information', start);
    }
    return [major, n];
  }

  item() {
    if (++this.depth > 16) throw new CborError('nested too deeply', this.o);
    const start = this.o;
    if (this.o < this.b.length && this.b[this.o] === 0xf5) {
      this.o++;
      this.depth--;
      return true;
    }
    const [major, n] = this.head();
    let v;
    switch (major) {
      case 0:
        v = n;
        break;
      case 1:
        v = -1 - n;
        break;
      case 2:
        this.need(n);
        v = this.b.slice(this.o, this.o + n);
        this.o += n;
        break;
      case 3:
        this.need(n);
        try {
          v = textDecoder.decode(this.b.subarray(this.o, this.o + n));
        } catch {
          throw new CborError('invalid UTF-8', start);
        }
        this.o += n;
        break;
      case 4:
        if (n > this.b.length - this.o) throw new CborError('truncated', start);
        v = [];
        for (let i = 0; i < n; i++) v.push(this.item());
        break;
      case 5: {
        if (n > this.b.length - this.o) throw new CborError('truncated', start);
        v = new Map();
        let prev = null;
        for (let i = 0; i < n; i++) {
          const ks = this.o;
          const k = this.item();
          const kb = this.b.subarray(ks, this.o);
          if (typeof k !== 'number') throw new CborError('map key is not an integer', ks);
          if (prev !== null && compareBytes(prev, kb) >= 0)
            throw new CborError('map keys not in ascending order (or duplicate)', ks);
          prev = kb;
          v.set(k, this.item());
        }
        break;
      }
      case 6:
        v = new Tagged(n, this.item());
        break;
      default:
        throw new CborError('bad major type', start);
    }
    this.depth--;
    return v;
  }
}

/** decode(bytes) -> value: exactly one deterministic item, nothing after
 * it. Maps come back as Map (integer keys only), byte strings as
 * Uint8Array, tags as Tagged. Throws CborError. */
export function decode(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('cbor: decode wants a Uint8Array');
  const r = new Reader(bytes);
  const v = r.item();
  if (r.o !== bytes.length) throw new CborError('trailing bytes', r.o);
  return v;
}
