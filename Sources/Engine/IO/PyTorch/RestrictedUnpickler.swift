/// Reads one pickle of a PyTorch checkpoint without executing anything.
///
/// It implements the opcodes of pickle protocols 2 to 5 that `torch.save` and the
/// objects found in checkpoints use, and calls nothing: the only globals it accepts are
/// the tensor and parameter rebuild functions, typed storages, `OrderedDict`, and a few
/// inert objects checkpoints carry beside their tensors (argparse's Namespace, numpy
/// scalars and dtypes, `torch.device`), which become names. Any other global (`os.system`,
/// `builtins.eval`) is refused with an error naming it. The stack, the memo, container
/// marks and the bytes of rebuilt tensors are bounded, so a hostile file cannot exhaust
/// memory; every read is bounds-checked.
struct RestrictedUnpickler {
  /// What may be built from a global.
  private enum GlobalKind {
    case orderedDict, set, rebuildTensor, rebuildParameter, rebuildFromType, tensorType, storage(StorageKind), inert
  }

  private static let globals: [String: GlobalKind] = {
    var table: [String: GlobalKind] = [
      "collections.OrderedDict": .orderedDict, "builtins.set": .set, "__builtin__.set": .set,
      "torch._utils._rebuild_tensor_v2": .rebuildTensor, "torch._utils._rebuild_tensor": .rebuildTensor,
      "torch._utils._rebuild_parameter": .rebuildParameter,
      "torch._utils._rebuild_parameter_with_state": .rebuildParameter,
      "torch._tensor._rebuild_from_type_v2": .rebuildFromType, "torch.Tensor": .tensorType,
      "torch.nn.parameter.Parameter": .tensorType,
    ]
    for kind in [StorageKind.float, .half, .bfloat16, .double, .long, .int, .short, .char, .byte, .bool] {
      table["torch." + kind.rawValue] = .storage(kind)
    }
    for name in [
      "argparse.Namespace", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype",
      "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.ndarray", "torch.device",
      "_codecs.encode", "torch.torch_version.TorchVersion",
    ] {
      table[name] = .inert
    }
    return table
  }()

  static let maximumStack = 1 << 20
  static let maximumMemo = 1 << 20
  static let maximumMarks = 1 << 16
  static let maximumContainers = 1 << 22

  private var reader: ByteReader
  private let persistentLoad: (PickleValue) throws(FileError) -> PickleValue
  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]
  /// The pickle's lists and dicts.
  let arena: PickleArena
  /// Bytes the rebuilt tensors may still take.
  var tensorBudget: Int
  /// Whether tensors are built (false: a first pass that only learns the storages).
  var buildsTensors = true

  /// An unpickler of the pickle at `position` in `bytes`.
  init(
    _ bytes: [UInt8], at position: Int, path: String, tensorBudget: Int,
    persistentLoad: @escaping (PickleValue) throws(FileError) -> PickleValue
  ) {
    reader = ByteReader(bytes, path: path)
    reader.position = position
    arena = PickleArena()
    self.tensorBudget = tensorBudget
    self.persistentLoad = persistentLoad
  }

  /// Where the pickle ended (after STOP).
  var position: Int { reader.position }

  private var path: String { reader.path }

  /// Runs the pickle to its STOP and returns its value.
  mutating func load() throws(FileError) -> PickleValue {
    while true {
      let opcode = try reader.u8()
      switch opcode {
      case 0x80:  // PROTO
        let version = try reader.u8()
        guard (2...5).contains(version) else { throw fail("pickle protocol \(version) (2 to 5 are read)") }
      case 0x95: _ = try reader.u64()  // FRAME: its length only groups opcodes
      case 0x2e:  // STOP
        guard stack.count == 1, marks.isEmpty else { throw fail("the pickle stops with \(stack.count) values on its stack") }
        return stack[0]
      case 0x28: try mark()  // MARK
      case 0x7d: try push(arena.newDict())  // EMPTY_DICT
      case 0x5d: try push(arena.newList())  // EMPTY_LIST
      case 0x29: try push(.tuple([]))  // EMPTY_TUPLE
      case 0x8f: try push(arena.newList())  // EMPTY_SET
      case 0x64:  // DICT
        let items = try popMark()
        guard items.count % 2 == 0 else { throw fail("a dict with an odd number of items") }
        var dict = PickleDict()
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
        try push(arena.newDict(dict))
      case 0x6c: try push(arena.newList(try popMark()))  // LIST
      case 0x74: try push(.tuple(try popMark()))  // TUPLE
      case 0x85: try push(.tuple([try pop()]))  // TUPLE1
      case 0x86:  // TUPLE2
        let b = try pop()
        try push(.tuple([try pop(), b]))
      case 0x87:  // TUPLE3
        let c = try pop()
        let b = try pop()
        try push(.tuple([try pop(), b, c]))
      case 0x61:  // APPEND
        let item = try pop()
        let target = try list(try top())
        arena.lists[target].append(item)
      case 0x65, 0x90:  // APPENDS, ADDITEMS
        let items = try popMark()
        let target = try list(try top())
        arena.lists[target].append(contentsOf: items)
      case 0x91: try push(arena.newList(try popMark()))  // FROZENSET
      case 0x73:  // SETITEM
        let value = try pop()
        let key = try pop()
        let target = try dict(try top())
        arena.dicts[target].set(key, value)
      case 0x75:  // SETITEMS
        let items = try popMark()
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
        let target = try dict(try top())
        for i in stride(from: 0, to: items.count, by: 2) { arena.dicts[target].set(items[i], items[i + 1]) }
      case 0x71: try put(Int(try reader.u8()))  // BINPUT
      case 0x72: try put(Int(try reader.u32()))  // LONG_BINPUT
      case 0x94: try put(memo.count)  // MEMOIZE
      case 0x68: try get(Int(try reader.u8()))  // BINGET
      case 0x6a: try get(Int(try reader.u32()))  // LONG_BINGET
      case 0x4a: try push(.int(Int(Int32(bitPattern: try reader.u32()))))  // BININT
      case 0x4b: try push(.int(Int(try reader.u8())))  // BININT1
      case 0x4d: try push(.int(Int(try reader.u16())))  // BININT2
      case 0x8a: try push(try long(Int(try reader.u8())))  // LONG1
      case 0x8b: try push(try long(Int(try reader.u32())))  // LONG4
      case 0x47: try push(.float(Double(bitPattern: try reader.bytes(8).reduce(0) { $0 << 8 | UInt64($1) })))  // BINFLOAT
      case 0x4e: try push(.none)  // NONE
      case 0x88: try push(.bool(true))  // NEWTRUE
      case 0x89: try push(.bool(false))  // NEWFALSE
      case 0x58: try push(.string(try text(Int(try reader.u32()))))  // BINUNICODE
      case 0x8c: try push(.string(try text(Int(try reader.u8()))))  // SHORT_BINUNICODE
      case 0x8d: try push(.string(try text(try reader.offset(try reader.u64()))))  // BINUNICODE8
      case 0x54: try push(.string(try latin1(Int(try reader.u32()))))  // BINSTRING (Python 2)
      case 0x55: try push(.string(try latin1(Int(try reader.u8()))))  // SHORT_BINSTRING
      case 0x42: try push(.bytes(Array(try reader.bytes(Int(try reader.u32())))))  // BINBYTES
      case 0x43: try push(.bytes(Array(try reader.bytes(Int(try reader.u8())))))  // SHORT_BINBYTES
      case 0x8e: try push(.bytes(Array(try reader.bytes(try reader.offset(try reader.u64())))))  // BINBYTES8
      case 0x63:  // GLOBAL
        let module = try line()
        try push(try global(module, try line()))
      case 0x93:  // STACK_GLOBAL
        let name = try pop()
        let module = try pop()
        guard case .string(let m) = module, case .string(let n) = name else { throw fail("STACK_GLOBAL of non-strings") }
        try push(try global(m, n))
      case 0x52:  // REDUCE
        let arguments = try pop()
        let callable = try pop()
        try push(try call(callable, arguments))
      case 0x81:  // NEWOBJ
        let arguments = try pop()
        try push(try construct(try pop(), arguments))
      case 0x92:  // NEWOBJ_EX
        _ = try pop()
        let arguments = try pop()
        try push(try construct(try pop(), arguments))
      case 0x62:  // BUILD
        let state = try pop()
        try build(try top(), state)
      case 0x51: try push(try persistentLoad(try pop()))  // BINPERSID
      case 0x30: _ = try pop()  // POP
      case 0x31: _ = try popMark()  // POP_MARK
      case 0x32: try push(try top())  // DUP
      default:
        throw fail("pickle opcode 0x\(String(opcode, radix: 16)) at offset \(reader.position - 1), which checkpoints do not use")
      }
    }
  }

  // MARK: Stack, marks and memo

  private func fail(_ problem: String) -> FileError { FileError(path, "refused: " + problem) }

  private mutating func push(_ value: PickleValue) throws(FileError) {
    guard stack.count < Self.maximumStack else { throw fail("the pickle's stack grows past \(Self.maximumStack) values") }
    guard arena.lists.count + arena.dicts.count <= Self.maximumContainers else {
      throw fail("the pickle makes more than \(Self.maximumContainers) lists and dicts")
    }
    stack.append(value)
  }

  private mutating func pop() throws(FileError) -> PickleValue {
    guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw fail("the pickle pops an empty stack") }
    return value
  }

  private func top() throws(FileError) -> PickleValue {
    guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw fail("the pickle reads an empty stack") }
    return value
  }

  private mutating func mark() throws(FileError) {
    guard marks.count < Self.maximumMarks else { throw fail("more than \(Self.maximumMarks) nested marks") }
    marks.append(stack.count)
  }

  private mutating func popMark() throws(FileError) -> [PickleValue] {
    guard let start = marks.popLast() else { throw fail("the pickle closes a mark it never opened") }
    defer { stack.removeSubrange(start...) }
    return Array(stack[start...])
  }

  private mutating func put(_ index: Int) throws(FileError) {
    guard index < Self.maximumMemo, memo.count < Self.maximumMemo || memo[index] != nil else {
      throw fail("memo index \(index) past the \(Self.maximumMemo) entries allowed")
    }
    memo[index] = try top()
  }

  private mutating func get(_ index: Int) throws(FileError) {
    guard let value = memo[index] else { throw fail("memo entry \(index) is read before it is written") }
    try push(value)
  }

  private func list(_ value: PickleValue) throws(FileError) -> Int {
    guard case .list(let list) = value else { throw fail("appends to a \(value.kind), not a list") }
    return list
  }

  private func dict(_ value: PickleValue) throws(FileError) -> Int {
    guard case .dict(let dict) = value else { throw fail("sets an item of a \(value.kind), not a dict") }
    return dict
  }

  // MARK: Scalars

  private mutating func long(_ count: Int) throws(FileError) -> PickleValue {
    guard count <= 8 else { throw fail("an integer of \(count) bytes") }
    let bytes = try reader.bytes(count)
    guard !bytes.isEmpty else { return .int(0) }
    var value = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    if count < 8, bytes.last! & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(count)) }  // sign-extend
    return .int(Int(Int64(bitPattern: value)))
  }

  private mutating func text(_ count: Int) throws(FileError) -> String {
    guard let text = String(validating: try reader.bytes(count), as: UTF8.self) else { throw fail("a string that is not UTF-8") }
    return text
  }

  private mutating func latin1(_ count: Int) throws(FileError) -> String {
    String(String.UnicodeScalarView(try reader.bytes(count).map { Unicode.Scalar($0) }))
  }

  /// A newline-terminated ASCII line (GLOBAL's module and name), at most 256 bytes.
  private mutating func line() throws(FileError) -> String {
    var bytes = [UInt8]()
    while true {
      let byte = try reader.u8()
      if byte == 0x0a { break }
      guard bytes.count < 256 else { throw fail("a global name longer than 256 bytes") }
      bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  // MARK: Globals

  private func global(_ module: String, _ name: String) throws(FileError) -> PickleValue {
    let qualified = module + "." + name
    guard Self.globals[qualified] != nil else {
      throw fail(
        "the pickle asks for the global \(qualified), which a checkpoint of tensors does not need; nothing was executed (only tensors, storages, OrderedDict and plain containers are read)"
      )
    }
    return .global(qualified)
  }

  private func kind(_ value: PickleValue) throws(FileError) -> (String, GlobalKind) {
    guard case .global(let name) = value, let kind = Self.globals[name] else { throw fail("calls a \(value.kind)") }
    return (name, kind)
  }

  private func arguments(_ value: PickleValue) throws(FileError) -> [PickleValue] {
    guard case .tuple(let items) = value else { throw fail("call arguments are a \(value.kind), not a tuple") }
    return items
  }

  private mutating func call(_ callable: PickleValue, _ argumentValue: PickleValue) throws(FileError) -> PickleValue {
    let (name, kind) = try kind(callable)
    let arguments = try arguments(argumentValue)
    switch kind {
    case .orderedDict:
      return arena.newDict()
    case .set:
      guard let first = arguments.first, case .list(let items) = first else { return arena.newList() }
      return .list(items)
    case .rebuildTensor:
      return try rebuildTensor(arguments)
    case .rebuildParameter:
      switch arguments.first {
      case .tensor(let tensor, let stored): return .tensor(tensor, stored: stored)
      case .opaque("tensor") where !buildsTensors: return .opaque("tensor")
      default: throw fail("\(name) of a \(arguments.first?.kind ?? "nothing")")
      }
    case .rebuildFromType:
      guard arguments.count >= 3, case .global = arguments[0] else { throw fail("\(name) with arguments it does not take") }
      return try call(arguments[0], arguments[2])
    case .inert:
      return .opaque(name)
    case .tensorType, .storage:
      throw fail("calls \(name), which a checkpoint only names")
    }
  }

  private func construct(_ type: PickleValue, _ arguments: PickleValue) throws(FileError) -> PickleValue {
    let (name, kind) = try kind(type)
    switch kind {
    case .orderedDict: return arena.newDict()
    case .inert: return .opaque(name)
    default: throw fail("constructs \(name) directly")
    }
  }

  private func build(_ target: PickleValue, _ state: PickleValue) throws(FileError) {
    switch target {
    case .dict(let dict):
      guard case .dict(let entries) = state else { return }
      let source = arena.dicts[entries]
      for (key, value) in zip(source.keys, source.values) { arena.dicts[dict].set(key, value) }
    case .tensor, .opaque:
      return  // a tensor's extra state (hooks, attributes) and inert objects' fields are not needed
    default:
      throw fail("sets the state of a \(target.kind)")
    }
  }

  /// `_rebuild_tensor_v2(storage, offset, size, stride, ...)`: the elements of a view of
  /// the storage, as PyTorch indexes them, within the storage and the tensor budget.
  private mutating func rebuildTensor(_ arguments: [PickleValue]) throws(FileError) -> PickleValue {
    guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1],
      case .tuple(let sizeValues) = arguments[2], case .tuple(let strideValues) = arguments[3]
    else { throw fail("a tensor rebuilt from arguments that are not (storage, offset, size, stride)") }
    let size = sizeValues.compactMap { if case .int(let n) = $0 { n } else { nil } }
    let stride = strideValues.compactMap { if case .int(let n) = $0 { n } else { nil } }
    guard size.count == sizeValues.count, stride.count == size.count, size.count <= 16,
      size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }), offset >= 0
    else { throw fail("a tensor of size \(sizeValues.count) dims and stride \(strideValues.count) dims that do not fit") }
    var elements = 1
    var last = offset
    for (n, s) in zip(size, stride) {
      let (product, overflow) = elements.multipliedReportingOverflow(by: n)
      guard !overflow else { throw fail("a tensor of size \(size), more elements than an Int holds") }
      elements = product
      if n > 0 {
        let (reach, o1) = (n - 1).multipliedReportingOverflow(by: s)
        let (sum, o2) = last.addingReportingOverflow(reach)
        guard !o1, !o2 else { throw fail("a tensor view of size \(size), stride \(stride) beyond any storage") }
        last = sum
      }
    }
    guard elements == 0 || last < storage.count else {
      throw fail("a tensor view (offset \(offset), size \(size), stride \(stride)) past its storage of \(storage.count) elements")
    }
    let bytes = elements.multipliedReportingOverflow(by: storage.kind.readType.size)
    guard !bytes.overflow, bytes.partialValue <= tensorBudget else {
      throw fail("tensors of more bytes than the file could describe (a view of size \(size) repeats its storage)")
    }
    tensorBudget -= bytes.partialValue
    guard buildsTensors else { return .opaque("tensor") }
    return .tensor(PyTorchTensor.gather(storage, offset: offset, size: size, stride: stride), stored: storage.kind.dtype)
  }
}
