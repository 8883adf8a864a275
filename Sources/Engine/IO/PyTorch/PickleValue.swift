/// A value of a PyTorch checkpoint's pickle, as the restricted unpickler builds it: plain
/// data, containers, and the few objects a checkpoint needs. Lists and dicts live in a
/// `PickleArena` and values name them by index: shared, as in Python (a pickle may fill
/// a container after storing it in its memo), and freed without recursion however deep
/// or cyclic a hostile pickle nests them.
enum PickleValue {
  case none
  case bool(Bool)
  case int(Int)
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple([PickleValue])
  case list(Int)
  case dict(Int)
  /// A global the unpickler allows (a rebuild function, a storage type, OrderedDict).
  case global(String)
  /// A storage named by a persistent id: its element type and where its bytes lie.
  case storage(PickleStorage)
  /// A rebuilt tensor, and the element type it was stored as ("float16").
  case tensor(SafeTensor, stored: String)
  /// An object a checkpoint may carry besides its tensors (argparse's Namespace, numpy
  /// scalars), kept as an inert name and never constructed.
  case opaque(String)

  /// What the value is, for error messages and `clens inspect`.
  var kind: String {
    switch self {
    case .none: "None"
    case .bool: "bool"
    case .int: "int"
    case .float: "float"
    case .string: "str"
    case .bytes: "bytes"
    case .tuple: "tuple"
    case .list: "list"
    case .dict: "dict"
    case .global(let name): name
    case .storage: "storage"
    case .tensor: "tensor"
    case .opaque(let name): name
    }
  }
}

/// The lists and dicts of one pickle, which values name by index.
final class PickleArena {
  var lists: [[PickleValue]] = []
  var dicts: [PickleDict] = []

  func newList(_ items: [PickleValue] = []) -> PickleValue {
    lists.append(items)
    return .list(lists.count - 1)
  }

  func newDict(_ dict: PickleDict = PickleDict()) -> PickleValue {
    dicts.append(dict)
    return .dict(dicts.count - 1)
  }
}

/// A pickled dict, its keys in insertion order.
struct PickleDict {
  private(set) var keys: [PickleValue] = []
  private(set) var values: [PickleValue] = []
  private var index: [String: Int] = [:]

  /// Sets `key` (string and int keys replace an earlier equal key; others are appended).
  mutating func set(_ key: PickleValue, _ value: PickleValue) {
    let name = Self.name(of: key)
    if let name, let position = index[name] {
      values[position] = value
      return
    }
    if let name { index[name] = keys.count }
    keys.append(key)
    values.append(value)
  }

  /// The entries with string keys, in order.
  var named: [(String, PickleValue)] {
    zip(keys, values).compactMap { key, value in Self.name(of: key).map { ($0, value) } }
  }

  subscript(_ name: String) -> PickleValue? { index[name].map { values[$0] } }

  private static func name(of key: PickleValue) -> String? {
    switch key {
    case .string(let text): text
    case .int(let number): String(number)
    default: nil
    }
  }
}

/// A storage of a checkpoint: its element type and the bytes that hold its elements,
/// `buffer[start ..< start + byteCount]` (the whole buffer when read for it alone).
struct PickleStorage {
  /// The element type as stored (`kind.size` bytes each; `kind.readType` when read).
  let kind: StorageKind
  let buffer: [UInt8]
  let start: Int
  let byteCount: Int

  var bytes: ArraySlice<UInt8> { buffer[start..<(start + byteCount)] }
  /// Elements: those the bytes hold, or (in a first pass over a legacy checkpoint, before
  /// the bytes are found) those the storage declares.
  let count: Int
}

/// The element types of PyTorch's typed storages.
enum StorageKind: String {
  case float = "FloatStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage", double = "DoubleStorage"
  case long = "LongStorage", int = "IntStorage", short = "ShortStorage", char = "CharStorage", byte = "ByteStorage"
  case bool = "BoolStorage"

  /// The type its tensors are read as: floating types as float32 (the engine's type),
  /// 8-, 16- and 32-bit integers as int32, 64-bit as int64, bytes and booleans as they are.
  var readType: SafeTensorsType {
    switch self {
    case .float, .half, .bfloat16, .double: .float32
    case .long: .int64
    case .int, .short, .char: .int32
    case .byte: .uint8
    case .bool: .bool
    }
  }

  /// PyTorch's name of the element type.
  var dtype: String {
    switch self {
    case .float: "float32"
    case .half: "float16"
    case .bfloat16: "bfloat16"
    case .double: "float64"
    case .long: "int64"
    case .int: "int32"
    case .short: "int16"
    case .char: "int8"
    case .byte: "uint8"
    case .bool: "bool"
    }
  }

  /// Bytes per element in the file.
  var size: Int {
    switch self {
    case .double, .long: 8
    case .float, .int: 4
    case .half, .bfloat16, .short: 2
    case .char, .byte, .bool: 1
    }
  }
}
