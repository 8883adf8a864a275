extension PyTorchCheckpoint {
  /// One value of the checkpoint, by its dotted name (nested dicts' keys joined by ".").
  public struct Item: Sendable, Codable, Equatable {
    public var name: String
    /// "tensor", or the value's type ("int", "str", "dict", "argparse.Namespace").
    public var kind: String
    /// A tensor's element type as stored ("float16"); its values are read as float32.
    public var dtype: String?
    public var shape: [Int]?

    public init(name: String, kind: String, dtype: String? = nil, shape: [Int]? = nil) {
      self.name = name
      self.kind = kind
      self.dtype = dtype
      self.shape = shape
    }
  }

  /// The dict entries where a state dict usually sits, in the order they are tried.
  public static let stateDictKeys = ["state_dict", "model", "net", "encoder_q", "model_state_dict", "module"]

  /// Nesting deeper than this is refused (no checkpoint needs it; a hostile one could
  /// exhaust the stack).
  static let maximumDepth = 32

  /// The top-level entries and what they hold.
  public var topLevel: [Item] {
    guard case .dict(let dict) = root else { return [Item(name: "", kind: root.kind)] }
    return arena.dicts[dict].named.map { name, value in item(name, value) }
  }

  /// Every tensor and scalar, depth first, with dotted names.
  public func items() throws(FileError) -> [Item] {
    var items = [Item]()
    try walk(root, name: "", depth: 0) { items.append($0) }
    return items
  }

  /// The key `stateDict(key: nil)` chooses: the top level when it holds tensors, else the
  /// first of `stateDictKeys` whose dict holds tensors.
  public var defaultStateDictKey: String? {
    guard case .dict(let index) = root, Self.tensors(of: arena.dicts[index]).isEmpty else { return nil }
    let dict = arena.dicts[index]
    return Self.stateDictKeys.first { key in
      if case .dict(let inner)? = dict[key] { !Self.tensors(of: arena.dicts[inner]).isEmpty } else { false }
    }
  }

  /// The state dict to load: the tensors of the dict at `key` (a top-level key, or a
  /// dotted path through nested dicts), or by default of the top level or of the first of
  /// `stateDictKeys` holding tensors. Other entries (optimizer state, epoch counters) are
  /// left out.
  public func stateDict(key: String? = nil) throws(FileError) -> [String: SafeTensor] {
    guard case .dict(let topIndex) = root else { throw FileError(path, "holds a \(root.kind), not a dict of tensors") }
    let top = arena.dicts[topIndex]
    let chosen: PickleDict
    if let key {
      guard let found = lookup(key, in: top) else {
        throw FileError(path, "no entry '\(key)' (--state-dict-key); top-level keys: \(describe(top))")
      }
      guard case .dict(let dict) = found else { throw FileError(path, "entry '\(key)' is a \(found.kind), not a dict of tensors") }
      chosen = arena.dicts[dict]
    } else if let key = defaultStateDictKey, case .dict(let dict)? = top[key] {
      chosen = arena.dicts[dict]
    } else {
      chosen = top
    }
    let tensors = Self.tensors(of: chosen)
    guard !tensors.isEmpty else {
      throw FileError(path, "no tensors where a state dict was looked for; top-level keys: \(describe(top)) (choose one with --state-dict-key)")
    }
    return tensors
  }

  private func describe(_ dict: PickleDict) -> String {
    dict.named.map { name, value in "\(name) (\(item(name, value).kind))" }.joined(separator: ", ")
  }

  private static func tensors(of dict: PickleDict) -> [String: SafeTensor] {
    var tensors = [String: SafeTensor]()
    for (name, value) in dict.named {
      if case .tensor(let tensor, _) = value { tensors[name] = tensor }
    }
    return tensors
  }

  /// The value at `key`, a key of `dict` or a dotted path through nested dicts (at most
  /// `maximumDepth` of them).
  private func lookup(_ key: String, in dict: PickleDict, depth: Int = 0) -> PickleValue? {
    if let value = dict[key] { return value }
    guard depth < Self.maximumDepth, let dot = key.firstIndex(of: "."),
      case .dict(let inner)? = dict[String(key[..<dot])]
    else { return nil }
    return lookup(String(key[key.index(after: dot)...]), in: arena.dicts[inner], depth: depth + 1)
  }

  private func item(_ name: String, _ value: PickleValue) -> Item {
    switch value {
    case .tensor(let tensor, let stored): Item(name: name, kind: "tensor", dtype: stored, shape: tensor.shape)
    case .dict(let dict): Item(name: name, kind: "dict of \(arena.dicts[dict].keys.count)")
    case .list(let list): Item(name: name, kind: "list of \(arena.lists[list].count)")
    default: Item(name: name, kind: value.kind)
    }
  }

  private func walk(_ value: PickleValue, name: String, depth: Int, _ visit: (Item) -> Void) throws(FileError) {
    guard depth <= Self.maximumDepth else { throw FileError(path, "refused: values nested deeper than \(Self.maximumDepth) levels") }
    func child(_ key: String) -> String { name.isEmpty ? key : name + "." + key }
    switch value {
    case .dict(let index):
      let dict = arena.dicts[index]
      for (index, key) in dict.keys.enumerated() {
        let label: String =
          switch key {
          case .string(let text): text
          case .int(let number): String(number)
          default: key.kind
          }
        try walk(dict.values[index], name: child(label), depth: depth + 1, visit)
      }
    case .list(let list):
      for (index, item) in arena.lists[list].enumerated() { try walk(item, name: child(String(index)), depth: depth + 1, visit) }
    case .tuple(let items):
      for (index, item) in items.enumerated() { try walk(item, name: child(String(index)), depth: depth + 1, visit) }
    default:
      visit(item(name, value))
    }
  }
}
