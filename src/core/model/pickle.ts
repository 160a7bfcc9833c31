// A restricted reader of Python pickles: enough of the pickle machine to read what torch.save
// writes for a state dict, and nothing that runs code. A pickle is a program for a stack machine;
// its GLOBAL opcode names any Python callable and REDUCE calls it, which is how a hostile file runs
// os.system. Here GLOBAL may only name the callables a state dict needs (ALLOWED, each implemented
// below as plain data); any other name is refused with that name, before anything is called, and
// opcodes a state dict never uses (NEWOBJ, INST, OBJ, EXT*) are refused by name too.
//
// Opcodes follow CPython's Lib/pickletools.py (protocols 2 to 5; torch.save writes protocol 2).

/** What the unpickled values are: plain data, a named allowed global, or what the torch callables made. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleDict
  | PickleGlobal
  | PickleTensor
  | PickleStorage;

export class PickleDict {
  readonly entries = new Map<PickleValue, PickleValue>();
}

export class PickleGlobal {
  constructor(readonly name: string) {}
}

/** A storage named by a persistent id: ('storage', storage type, key, location, element count). */
export class PickleStorage {
  constructor(
    readonly storageType: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}

/** torch._utils._rebuild_tensor_v2's arguments: a view of a storage. */
export class PickleTensor {
  constructor(
    readonly storage: PickleStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** The storage types a state dict's tensors may have (torch.FloatStorage ...), by torch's name. */
export const STORAGE_TYPES = [
  'torch.FloatStorage',
  'torch.HalfStorage',
  'torch.BFloat16Storage',
  'torch.DoubleStorage',
  'torch.LongStorage',
  'torch.IntStorage',
  'torch.ShortStorage',
  'torch.CharStorage',
  'torch.ByteStorage',
  'torch.BoolStorage',
];

/** Every global a pickle may name. */
const ALLOWED = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...STORAGE_TYPES,
]);

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

/** Reads a pickle, calling `persistentLoad` for each persistent id (torch's storages). */
export function unpickle(
  bytes: Uint8Array,
  persistentLoad: (pid: PickleValue) => PickleValue,
  fileName = 'data.pkl',
): PickleValue {
  const machine = new Machine(bytes, persistentLoad, fileName);
  return machine.run();
}

class Machine {
  private pos = 0;
  private readonly stack: Slot[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly persistentLoad: (pid: PickleValue) => PickleValue,
    private readonly fileName: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleValue {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      if (op === 0x2e) return this.pop(at); // STOP '.'
      if (!this.simple(op) && !this.structural(op, at)) {
        throw this.fail(
          at,
          `opcode 0x${op.toString(16).padStart(2, '0')} (${opName(op)}) is not one a state dict uses`,
        );
      }
    }
  }

  /** Opcodes that push a constant. */
  private simple(op: number): boolean {
    switch (op) {
      case 0x80: // PROTO
        this.u8();
        return true;
      case 0x95: // FRAME: a length hint, nothing to do
        this.take(8);
        return true;
      case 0x4e: // NONE 'N'
        return this.push(null);
      case 0x88: // NEWTRUE
        return this.push(true);
      case 0x89: // NEWFALSE
        return this.push(false);
      case 0x4b: // BININT1 'K'
        return this.push(this.u8());
      case 0x4d: // BININT2 'M'
        return this.push(this.view.getUint16(this.advance(2), true));
      case 0x4a: // BININT 'J'
        return this.push(this.view.getInt32(this.advance(4), true));
      case 0x8a: // LONG1
        return this.push(this.long(this.u8()));
      case 0x8b: // LONG4
        return this.push(this.long(this.u32()));
      case 0x47: // BINFLOAT 'G': big-endian double
        return this.push(this.view.getFloat64(this.advance(8), false));
      case 0x58: // BINUNICODE 'X'
        return this.push(this.text(this.u32()));
      case 0x8c: // SHORT_BINUNICODE
        return this.push(this.text(this.u8()));
      case 0x8d: // BINUNICODE8
        return this.push(this.text(this.u64()));
      case 0x55: // SHORT_BINSTRING 'U'
        return this.push(this.latin1(this.u8()));
      case 0x54: // BINSTRING 'T'
        return this.push(this.latin1(this.u32()));
      case 0x43: // SHORT_BINBYTES 'C'
        return this.push(this.take(this.u8()).slice());
      case 0x42: // BINBYTES 'B'
        return this.push(this.take(this.u32()).slice());
      case 0x7d: // EMPTY_DICT '}'
        return this.push(new PickleDict());
      case 0x5d: // EMPTY_LIST ']'
        return this.push([]);
      case 0x29: // EMPTY_TUPLE ')'
        return this.push(tuple([]));
      case 0x28: // MARK '('
        this.stack.push(MARK);
        return true;
      default:
        return false;
    }
  }

  /** Opcodes that build, store, fetch or call. */
  private structural(op: number, at: number): boolean {
    switch (op) {
      case 0x74: // TUPLE 't'
        return this.push(tuple(this.popMark(at)));
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        const items = Array.from({ length: n }, () => this.pop(at)).reverse();
        return this.push(tuple(items));
      }
      case 0x6c: // LIST 'l'
        return this.push(this.popMark(at));
      case 0x64: {
        // DICT 'd'
        const items = this.popMark(at);
        const dict = new PickleDict();
        for (let i = 0; i + 1 < items.length; i += 2) dict.entries.set(items[i]!, items[i + 1]!);
        return this.push(dict);
      }
      case 0x71: // BINPUT 'q'
        return this.put(this.u8(), at);
      case 0x72: // LONG_BINPUT 'r'
        return this.put(this.u32(), at);
      case 0x94: // MEMOIZE
        return this.put(this.memo.size, at);
      case 0x68: // BINGET 'h'
        return this.get(this.u8(), at);
      case 0x6a: // LONG_BINGET 'j'
        return this.get(this.u32(), at);
      case 0x63: // GLOBAL 'c': "module\nname\n"
        return this.push(this.global(`${this.line()}.${this.line()}`, at));
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop(at);
        const module = this.pop(at);
        return this.push(this.global(`${String(module)}.${String(name)}`, at));
      }
      case 0x52: {
        // REDUCE 'R'
        const args = this.pop(at);
        return this.push(this.call(this.pop(at), args, at));
      }
      case 0x62: // BUILD 'b': state set on an OrderedDict (state_dict's _metadata): not needed, dropped
        this.pop(at);
        if (!(this.peek(at) instanceof PickleDict)) throw this.fail(at, 'BUILD on something other than a dict');
        return true;
      case 0x51: // BINPERSID 'Q'
        return this.push(this.persistentLoad(this.pop(at)));
      case 0x73: {
        // SETITEM 's'
        const value = this.pop(at);
        const key = this.pop(at);
        this.dict(at).entries.set(key, value);
        return true;
      }
      case 0x75: {
        // SETITEMS 'u'
        const items = this.popMark(at);
        const dict = this.dict(at);
        for (let i = 0; i + 1 < items.length; i += 2) dict.entries.set(items[i]!, items[i + 1]!);
        return true;
      }
      case 0x61: {
        // APPEND 'a'
        const value = this.pop(at);
        this.list(at).push(value);
        return true;
      }
      case 0x65: {
        // APPENDS 'e'
        const items = this.popMark(at);
        this.list(at).push(...items);
        return true;
      }
      default:
        return false;
    }
  }

  /** GLOBAL: only the allow-list's names, refused with the name otherwise (nothing is imported or called). */
  private global(name: string, at: number): PickleGlobal {
    if (!ALLOWED.has(name)) {
      throw this.fail(
        at,
        `it names the Python global ${name}, which a state dict never needs; RM Lab refuses it (nothing in the file runs)`,
      );
    }
    return new PickleGlobal(name);
  }

  /** REDUCE: the allowed callables, done here as plain data. */
  private call(callable: PickleValue, args: PickleValue, at: number): PickleValue {
    if (!(callable instanceof PickleGlobal) || !Array.isArray(args))
      throw this.fail(at, 'REDUCE of something not callable');
    switch (callable.name) {
      case 'collections.OrderedDict':
        if (args.length !== 0) throw this.fail(at, 'OrderedDict called with arguments');
        return new PickleDict();
      case 'torch._utils._rebuild_parameter':
        // (data, requires_grad, backward_hooks): the parameter is its data.
        if (!(args[0] instanceof PickleTensor)) throw this.fail(at, '_rebuild_parameter of something not a tensor');
        return args[0];
      case 'torch._utils._rebuild_tensor_v2':
        return this.tensor(args, at);
      default:
        throw this.fail(at, `${callable.name} is not something RM Lab calls`);
    }
  }

  /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
  private tensor(args: PickleValue[], at: number): PickleTensor {
    const [storage, offset, shape, stride] = args;
    const whole = (v: PickleValue) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (
      !(storage instanceof PickleStorage) ||
      !whole(offset ?? null) ||
      !Array.isArray(shape) ||
      !Array.isArray(stride) ||
      shape.length !== stride.length ||
      !shape.every(whole) ||
      !stride.every(whole)
    ) {
      throw this.fail(at, '_rebuild_tensor_v2 with arguments that are not a storage, an offset, a shape and strides');
    }
    return new PickleTensor(storage, offset as number, shape as number[], stride as number[]);
  }

  private put(index: number, at: number): boolean {
    this.memo.set(index, this.peek(at));
    return true;
  }

  private get(index: number, at: number): boolean {
    if (!this.memo.has(index)) throw this.fail(at, `memo entry ${index} is read before it is written`);
    return this.push(this.memo.get(index)!);
  }

  private dict(at: number): PickleDict {
    const d = this.peek(at);
    if (!(d instanceof PickleDict)) throw this.fail(at, 'items set on something other than a dict');
    return d;
  }

  private list(at: number): PickleValue[] {
    const l = this.peek(at);
    if (!Array.isArray(l) || Object.isFrozen(l)) throw this.fail(at, 'items appended to something other than a list');
    return l;
  }

  private push(value: PickleValue): true {
    this.stack.push(value);
    return true;
  }

  private pop(at: number): PickleValue {
    const v = this.stack.pop();
    if (v === undefined || v === MARK) throw this.fail(at, 'the stack runs out');
    return v;
  }

  private peek(at: number): PickleValue {
    const v = this.stack.at(-1);
    if (v === undefined || v === MARK) throw this.fail(at, 'the stack runs out');
    return v;
  }

  private popMark(at: number): PickleValue[] {
    const i = this.stack.lastIndexOf(MARK);
    if (i < 0) throw this.fail(at, 'no MARK to pop to');
    const items = this.stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  }

  private advance(n: number): number {
    if (this.pos + n > this.bytes.byteLength) throw this.fail(this.pos, 'it ends in the middle of an opcode');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private take(n: number): Uint8Array {
    const at = this.advance(n);
    return this.bytes.subarray(at, at + n);
  }

  private u8(): number {
    return this.view.getUint8(this.advance(1));
  }

  private u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }

  private u64(): number {
    const n = this.view.getBigUint64(this.advance(8), true);
    if (n > BigInt(this.bytes.byteLength)) throw this.fail(this.pos - 8, `a length of ${n} bytes, more than the file`);
    return Number(n);
  }

  /** LONG1 / LONG4: n bytes of little-endian two's complement. */
  private long(n: number): number | bigint {
    const raw = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
    if (n > 0 && raw[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private text(n: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(n));
  }

  private latin1(n: number): string {
    return String.fromCharCode(...this.take(n));
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 256) throw this.fail(this.pos, 'a GLOBAL name without its line end');
    const s = this.latin1(end - this.pos);
    this.pos = end + 1;
    return s;
  }

  private fail(at: number, why: string): Error {
    return new Error(`${this.fileName} (a pickle) at byte ${at}: ${why}`);
  }
}

/** A Python tuple: a frozen array (so APPEND, which lists take, refuses it). */
function tuple(items: PickleValue[]): PickleValue[] {
  Object.freeze(items);
  return items;
}

/** The name pickletools gives an opcode RM Lab refuses, for the message. */
function opName(op: number): string {
  const names: Record<number, string> = {
    0x81: 'NEWOBJ',
    0x92: 'NEWOBJ_EX',
    0x69: 'INST',
    0x6f: 'OBJ',
    0x82: 'EXT1',
    0x83: 'EXT2',
    0x84: 'EXT4',
    0x50: 'PERSID',
    0x96: 'BYTEARRAY8',
    0x97: 'NEXT_BUFFER',
    0x98: 'READONLY_BUFFER',
  };
  return names[op] ?? 'unknown';
}
