/// Why a state dict does not fit a model: every missing, unexpected, mis-shaped and
/// non-finite entry, so one message tells the user everything.
public struct StateDictError: Error, CustomStringConvertible, Sendable, Equatable {
  /// Model entries the state dict lacks.
  public var missing: [String]
  /// State dict entries the model lacks (strict loading only).
  public var unexpected: [String]
  /// Entries whose shapes differ: name, model shape, state dict shape.
  public var mismatched: [String]
  /// Entries holding NaN or infinity.
  public var nonFinite: [String]

  public init(missing: [String] = [], unexpected: [String] = [], mismatched: [String] = [], nonFinite: [String] = []) {
    self.missing = missing
    self.unexpected = unexpected
    self.mismatched = mismatched
    self.nonFinite = nonFinite
  }

  /// One line listing every problem.
  public var description: String { "weights do not fit the model: " + details }

  /// Every problem, without saying what did not fit.
  public var details: String {
    func list(_ names: [String]) -> String {
      names.count <= 8 ? names.joined(separator: ", ") : names.prefix(8).joined(separator: ", ") + ", … (\(names.count) in all)"
    }
    var parts = [String]()
    if !missing.isEmpty { parts.append("missing keys: \(list(missing))") }
    if !unexpected.isEmpty { parts.append("unexpected keys: \(list(unexpected))") }
    if !mismatched.isEmpty { parts.append("shape mismatches: \(list(mismatched))") }
    if !nonFinite.isEmpty { parts.append("NaN or infinite values in: \(list(nonFinite))") }
    return parts.joined(separator: "; ")
  }
}

/// What a non-strict load did.
public struct StateDictLoadReport: Sendable, Equatable {
  /// Entries copied into the model.
  public var loaded: Int
  /// Model entries left at their current values.
  public var missing: [String]
  /// State dict entries ignored.
  public var unexpected: [String]
}

extension Module {
  /// Parameters and buffers by name, as PyTorch's `state_dict()`: float32 values, and
  /// int64 for integer buffers such as `num_batches_tracked`.
  public func stateDict() -> [String: SafeTensor] {
    var result = [String: SafeTensor]()
    for (name, parameter) in namedParameters() { result[name] = SafeTensor(parameter.value) }
    for (name, buffer) in namedBuffers() {
      result[name] = buffer.isInteger
        ? SafeTensor(shape: buffer.value.shape, int64s: buffer.value.scalars.map { Int64($0) })
        : SafeTensor(buffer.value)
    }
    return result
  }

  /// Copies parameters and buffers from `state` (any numeric dtype, converted).
  ///
  /// Nothing changes unless every check passes. With `stripPrefix` (e.g.
  /// `"module.encoder_q."`) only keys starting with it are used, with it removed.
  /// Strict loading (PyTorch's `strict=True`) fails on missing or unexpected keys;
  /// mis-shaped and non-finite entries, and negative BatchNorm variances, always fail.
  @discardableResult
  public func loadStateDict(
    _ state: [String: SafeTensor], strict: Bool = true, stripPrefix: String? = nil
  ) throws(StateDictError) -> StateDictLoadReport {
    var entries = state
    if let prefix = stripPrefix, !prefix.isEmpty {
      entries = [:]
      for (key, value) in state where key.hasPrefix(prefix) { entries[String(key.dropFirst(prefix.count))] = value }
    }
    var targets = [(name: String, shape: [Int], assign: (Tensor) -> Void)]()
    for (name, parameter) in namedParameters() { targets.append((name, parameter.shape, { parameter.assign($0) })) }
    for (name, buffer) in namedBuffers() { targets.append((name, buffer.value.shape, { buffer.value = $0 })) }
    let known = Set(targets.map(\.name))
    var error = StateDictError(missing: [], unexpected: entries.keys.filter { !known.contains($0) }.sorted(), mismatched: [], nonFinite: [])
    var ready = [(Tensor, (Tensor) -> Void)]()
    for target in targets {
      guard let entry = entries[target.name] else {
        error.missing.append(target.name)
        continue
      }
      guard entry.shape == target.shape else {
        error.mismatched.append("\(target.name) (model \(target.shape), weights \(entry.shape))")
        continue
      }
      let tensor = entry.tensor
      guard tensor.isFinite else {
        error.nonFinite.append(target.name)
        continue
      }
      // A negative variance would make every normalised value NaN.
      guard !target.name.hasSuffix("running_var") || tensor.scalars.allSatisfy({ $0 >= 0 }) else {
        error.mismatched.append("\(target.name) (negative variance)")
        continue
      }
      ready.append((tensor, target.assign))
    }
    if !error.mismatched.isEmpty || !error.nonFinite.isEmpty || (strict && (!error.missing.isEmpty || !error.unexpected.isEmpty)) {
      if !strict {
        error.missing = []
        error.unexpected = []
      }
      throw error
    }
    for (tensor, assign) in ready { assign(tensor) }
    return StateDictLoadReport(loaded: ready.count, missing: error.missing, unexpected: error.unexpected)
  }

  /// Writes `stateDict()` as a safetensors file that PyTorch loads with
  /// `model.load_state_dict(safetensors.torch.load_file(path), strict=True)`.
  public func saveWeights(to path: String, metadata: [String: String] = [:]) throws(FileError) {
    try SafeTensorsFile(tensors: stateDict(), metadata: metadata).write(to: path)
  }

  /// Loads weights from a safetensors file or a PyTorch checkpoint (its state dict at
  /// `stateDictKey`, or found as `PyTorchCheckpoint.stateDict` finds it); any mismatch
  /// becomes a `FileError` naming the file and listing the offending keys.
  @discardableResult
  public func loadWeights(
    from path: String, strict: Bool = true, stripPrefix: String? = nil, stateDictKey: String? = nil
  ) throws(FileError) -> StateDictLoadReport {
    let tensors = try WeightsFile.tensors(path, stateDictKey: stateDictKey)
    do {
      return try loadStateDict(tensors, strict: strict, stripPrefix: stripPrefix)
    } catch {
      throw FileError(path, error.description)
    }
  }
}
