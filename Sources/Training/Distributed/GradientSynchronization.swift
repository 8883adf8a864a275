import Engine

extension ProcessGroup {
  /// Sums every parameter's gradient over the ranks in one all-reduce (parameters in
  /// order, flattened), then multiplies by `scale`: 1/size averages losses that each
  /// rank computed over its own shard, 1 sums gradients of a loss every rank computed
  /// over the whole gathered batch. A parameter without a gradient adds zeros and gets
  /// none back (every rank runs the same graph, so the same ones have none).
  public func reduceGradients(of parameters: [Parameter], scale: Float) {
    guard size > 1 else { return }
    var flat = [Float]()
    flat.reserveCapacity(parameters.reduce(0) { $0 + $1.value.count })
    for parameter in parameters {
      if let gradient = parameter.gradient {
        gradient.withUnsafeBufferPointer { flat.append(contentsOf: $0) }
      } else {
        flat.append(contentsOf: repeatElement(0, count: parameter.value.count))
      }
    }
    allReduceSum(&flat, "the gradient all-reduce")
    var offset = 0
    for parameter in parameters {
      let count = parameter.value.count
      if parameter.gradient != nil {
        let values = flat[offset..<(offset + count)].map { $0 * scale }
        parameter.setGradient(Tensor(shape: parameter.shape, scalars: values))
      }
      offset += count
    }
  }

  /// The ranks whose parameters differ bitwise from rank 0's (FNV-1a over the bit
  /// patterns, gathered): data parallelism keeps them identical, so any difference is a
  /// bug or a corrupted rank, and the run must stop.
  public func ranksDiverging(from parameters: [Parameter]) -> [Int] {
    guard size > 1 else { return [] }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for parameter in parameters {
      parameter.value.withUnsafeBufferPointer { values in
        for value in values {
          hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
        }
      }
    }
    let hashes = allGather([Int64(bitPattern: hash)], "the parameter checksum")
    return hashes.indices.filter { hashes[$0] != hashes[0] }
  }
}

/// A process group as batch normalisation's synchronizer (`--sync-bn`).
public final class SynchronizedBatchNorm: BatchNormSynchronizer {
  public let group: any ProcessGroup

  public init(_ group: any ProcessGroup) { self.group = group }

  public func allGather(_ values: [Double]) -> [Double] { group.allGather(values, "synchronized batch norm") }

  public func allReduceSum(_ values: inout [Double]) { group.allReduceSum(&values, "synchronized batch norm") }
}

extension Module {
  /// Makes every BatchNorm layer of the module normalise with the statistics of all of
  /// `group`'s batches together (nil: each process's own).
  public func synchronizeBatchNorm(_ synchronizer: (any BatchNormSynchronizer)?) {
    for (_, module) in namedModules() {
      (module as? BatchNorm)?.synchronizer = synchronizer
    }
  }

  /// The synchronizer of the module's batch norm layers (nil when each process
  /// normalises its own batch).
  public var batchNormSynchronizer: (any BatchNormSynchronizer)? {
    namedModules().lazy.compactMap { ($0.module as? BatchNorm)?.synchronizer }.first
  }
}
