extension Optimizer {
  /// The optimizer's state keyed `<slot>.<parameter name>` (`momentum_buffer.layer1.0.conv1.weight`,
  /// `step.fc.bias`), `names[i]` naming `parameters[i]`; parameters not yet updated have
  /// no entry. Float slots are float32 tensors of the parameter's shape, counters int64 [1].
  public func stateDict(names: [String]) -> [String: SafeTensor] {
    precondition(names.count == parameters.count, "stateDict(names:): one name per parameter")
    let current = state
    var result = [String: SafeTensor]()
    for (slot, buffers) in current.buffers {
      for (index, buffer) in buffers.enumerated() {
        guard let buffer else { continue }
        result["\(slot).\(names[index])"] = SafeTensor(Tensor(shape: parameters[index].shape, scalars: buffer))
      }
    }
    for (slot, counts) in current.counts {
      for (index, count) in counts.enumerated() {
        result["\(slot).\(names[index])"] = SafeTensor(shape: [1], int64s: [Int64(count)])
      }
    }
    return result
  }

  /// Restores a state saved by `stateDict(names:)`. Nothing changes unless every entry
  /// names a slot and a parameter of this optimizer, has the parameter's shape and is
  /// finite; the error lists every offending key.
  public func loadStateDict(_ entries: [String: SafeTensor], names: [String]) throws(StateDictError) {
    precondition(names.count == parameters.count, "loadStateDict(names:): one name per parameter")
    let current = state
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    var restored = OptimizerState(
      buffers: current.buffers.mapValues { _ in Array(repeating: nil, count: parameters.count) },
      counts: current.counts.mapValues { _ in Array(repeating: 0, count: parameters.count) })
    var error = StateDictError(missing: [], unexpected: [], mismatched: [], nonFinite: [])
    for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
      guard let dot = key.firstIndex(of: "."), let position = index[String(key[key.index(after: dot)...])] else {
        error.unexpected.append(key)
        continue
      }
      let slot = String(key[..<dot])
      if restored.buffers[slot] != nil {
        guard entry.shape == parameters[position].shape else {
          error.mismatched.append("\(key) (parameter \(parameters[position].shape), state \(entry.shape))")
          continue
        }
        let values = entry.floats()
        guard values.allSatisfy(\.isFinite) else {
          error.nonFinite.append(key)
          continue
        }
        restored.buffers[slot]![position] = values
      } else if restored.counts[slot] != nil {
        let values = entry.floats()
        guard entry.count == 1, let count = values.first, count >= 0, count == count.rounded() else {
          error.mismatched.append("\(key) (expected one whole number, got shape \(entry.shape))")
          continue
        }
        restored.counts[slot]![position] = Int(count)
      } else {
        error.unexpected.append(key)
      }
    }
    guard error.unexpected.isEmpty && error.mismatched.isEmpty && error.nonFinite.isEmpty else { throw error }
    state = restored
  }
}
