import Foundation

/// A checkpoint written by `torch.save`, read without executing it: the zip format
/// (PyTorch ≥ 1.6: `<folder>/data.pkl` and one entry per storage) and the legacy format
/// (pickles in sequence, then the storages' bytes, as 2019–2020 checkpoints such as MoCo
/// v2's are), through `RestrictedUnpickler`. `.pth`, `.pth.tar`, `.pt` and `.pkl` files
/// are all one of these.
public struct PyTorchCheckpoint {
  /// The file, as the user named it.
  public let path: String
  /// "zip" (PyTorch ≥ 1.6) or "legacy".
  public let format: String
  /// The pickled object: usually a dict of a state dict and counters.
  let root: PickleValue
  /// The lists and dicts `root` names.
  let arena: PickleArena

  /// Reads the checkpoint at `path`: a zip checkpoint's directory and pickle first, then
  /// each storage it names straight from the file into its tensor.
  public static func read(_ path: String) throws(FileError) -> PyTorchCheckpoint {
    try decode(RandomAccessFile(path))
  }

  /// Whether `prefix` (a file's first bytes) starts a PyTorch checkpoint: a zip archive
  /// or a protocol 2 pickle.
  public static func recognizes(_ prefix: [UInt8]) -> Bool {
    prefix.starts(with: [0x50, 0x4b, 0x03, 0x04]) || prefix.starts(with: legacyMagic)
  }

  /// How many leading bytes `recognizes` needs.
  public static let signatureLength = legacyMagic.count

  /// Decodes the bytes of a checkpoint; `path` only names it in errors.
  public static func decode(_ file: [UInt8], path: String) throws(FileError) -> PyTorchCheckpoint {
    try decode(MemoryBytes(path: path, all: file))
  }

  private static func decode(_ source: any ByteSource) throws(FileError) -> PyTorchCheckpoint {
    let path = source.path
    // Rebuilt tensors may repeat storage bytes (views), but not without bound.
    let budget = 4 * source.size + (1 << 24)
    let prefix = try source.bytes(at: 0, count: min(source.size, signatureLength))
    if prefix.starts(with: [0x50, 0x4b, 0x03, 0x04]) {
      let (root, arena) = try zipRoot(source, budget: budget)
      return PyTorchCheckpoint(path: path, format: "zip", root: root, arena: arena)
    }
    guard prefix.starts(with: legacyMagic) else {
      throw FileError(path, "not a PyTorch checkpoint (neither the zip format of torch.save nor its legacy format)")
    }
    let file: [UInt8]
    if let memory = source as? MemoryBytes { file = memory.all } else { file = try source.bytes(at: 0, count: source.size) }
    let (root, arena) = try legacyRoot(file, path: path, budget: budget)
    return PyTorchCheckpoint(path: path, format: "legacy", root: root, arena: arena)
  }

  /// The legacy format's first pickle: the magic number 0x1950a86a20f9469cfc6c.
  private static let legacyMagic: [UInt8] = [
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
  ]

  /// The persistent id of a storage: ("storage", type, key, location, count[, view]).
  private static func storageID(_ id: PickleValue, path: String) throws(FileError) -> (kind: StorageKind, key: String, count: Int) {
    guard case .tuple(let parts) = id, parts.count >= 5, case .string("storage") = parts[0],
      case .global(let typeName) = parts[1], let kind = StorageKind(rawValue: String(typeName.dropFirst("torch.".count))),
      typeName.hasPrefix("torch."), case .string(let key) = parts[2], case .int(let count) = parts[4], count >= 0
    else { throw FileError(path, "refused: a persistent id that is not a typed storage") }
    if parts.count > 5, case .none = parts[5] {} else if parts.count > 5 {
      throw FileError(path, "refused: a storage view (a format older than PyTorch 1.0)")
    }
    return (kind, key, count)
  }

  /// A storage of `byteCount` bytes at `start` of `buffer` (`declared` elements when the
  /// bytes are not read yet).
  private static func storage(
    _ kind: StorageKind, _ buffer: [UInt8], start: Int = 0, byteCount: Int? = nil, declared: Int? = nil
  ) -> PickleStorage {
    let byteCount = byteCount ?? buffer.count
    return PickleStorage(
      kind: kind, buffer: buffer, start: start, byteCount: byteCount, count: declared ?? byteCount / kind.size)
  }

  private static func zipRoot(_ file: any ByteSource, budget: Int) throws(FileError) -> (PickleValue, PickleArena) {
    let path = file.path
    let archive = try ZipArchive(file)
    let pickles = archive.entries.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
    guard pickles.count == 1, let pickle = pickles.first, let entry = archive.entries[pickle] else {
      throw FileError(path, "a zip archive without exactly one data.pkl: not a checkpoint written by torch.save")
    }
    let folder = String(pickle.dropLast("data.pkl".count))
    if let order = archive.entries[folder + "byteorder"],
      try file.bytes(at: order.range.lowerBound, count: min(order.range.count, 3)) == Array("big".utf8)
    {
      throw FileError(path, "a big-endian checkpoint (only little-endian ones are read)")
    }
    let pickleBytes = try file.bytes(at: entry.range.lowerBound, count: entry.range.count)
    // Each storage is read once, the first time the pickle names it.
    var storages = [String: PickleStorage]()
    var unpickler = RestrictedUnpickler(pickleBytes, at: 0, path: path, tensorBudget: budget) { id throws(FileError) in
      let (kind, key, count) = try storageID(id, path: path)
      if let known = storages[key] { return .storage(known) }
      guard let data = archive.entries[folder + "data/" + key] else {
        throw FileError(path, "storage '\(key)' is named but the archive has no entry \(folder)data/\(key)")
      }
      let (bytes, overflow) = count.multipliedReportingOverflow(by: kind.size)
      guard !overflow, bytes <= data.range.count else {
        throw FileError(path, "truncated: storage '\(key)' holds \(data.range.count) bytes, its \(count) elements need more")
      }
      let read = storage(kind, try file.bytes(at: data.range.lowerBound, count: bytes))
      storages[key] = read
      return .storage(read)
    }
    return (try unpickler.load(), unpickler.arena)
  }

  private static func legacyRoot(_ file: [UInt8], path: String, budget: Int) throws(FileError) -> (PickleValue, PickleArena) {
    func plain(at position: Int) throws(FileError) -> (PickleValue, Int, PickleArena) {
      var unpickler = RestrictedUnpickler(file, at: position, path: path, tensorBudget: budget) { _ throws(FileError) in
        throw FileError(path, "refused: a storage outside the checkpoint's main pickle")
      }
      return (try unpickler.load(), unpickler.position, unpickler.arena)
    }
    let (version, afterVersion, _) = try plain(at: legacyMagic.count)
    guard case .int(1001) = version else { throw FileError(path, "legacy checkpoint of protocol version \(version.kind), not 1001") }
    let (information, main, informationArena) = try plain(at: afterVersion)
    if case .dict(let entries) = information, case .bool(false)? = informationArena.dicts[entries]["little_endian"] {
      throw FileError(path, "a big-endian checkpoint (only little-endian ones are read)")
    }
    // A first pass learns each storage's type and size; their bytes follow the pickles.
    var kinds = [String: (StorageKind, Int)]()
    var skim = RestrictedUnpickler(file, at: main, path: path, tensorBudget: budget) { id throws(FileError) in
      let (kind, key, count) = try storageID(id, path: path)
      kinds[key] = (kind, count)
      return .storage(storage(kind, [], declared: count))
    }
    skim.buildsTensors = false
    _ = try skim.load()
    let (keyList, dataStart, keyArena) = try plain(at: skim.position)
    guard case .list(let keys) = keyList else { throw FileError(path, "legacy checkpoint without its list of storages") }
    var storages = [String: PickleStorage]()
    var reader = ByteReader(file, path: path)
    reader.position = dataStart
    for keyValue in keyArena.lists[keys] {
      guard case .string(let key) = keyValue, let (kind, _) = kinds[key] else {
        throw FileError(path, "legacy checkpoint lists a storage its pickle never names")
      }
      let count = try reader.offset(try reader.u64())
      let (bytes, overflow) = count.multipliedReportingOverflow(by: kind.size)
      guard !overflow else { throw FileError(path, "storage '\(key)' of \(count) elements") }
      let start = reader.position
      _ = try reader.bytes(bytes)
      storages[key] = storage(kind, file, start: start, byteCount: bytes)
    }
    var unpickler = RestrictedUnpickler(file, at: main, path: path, tensorBudget: budget) { id throws(FileError) in
      let (_, key, count) = try storageID(id, path: path)
      guard let storage = storages[key], storage.count >= count else {
        throw FileError(path, "truncated: storage '\(key)' has fewer than its \(count) elements")
      }
      return .storage(storage)
    }
    return (try unpickler.load(), unpickler.arena)
  }
}
