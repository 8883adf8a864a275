import Foundation

/// A tensor viewed as [outer, size, inner] around one axis: the layout every
/// single-axis reduction, softmax, concat and gather works on.
struct AxisLayout {
  let outer: Int
  let size: Int
  let inner: Int

  init(_ shape: [Int], axis: Int) {
    outer = shape[..<axis].reduce(1, *)
    size = shape[axis]
    inner = shape[(axis + 1)...].reduce(1, *)
  }
}

extension Tensor {
  /// Sum over one axis in Double precision, result [outer, inner].
  private func sumStorage(axis: Int) -> TensorStorage {
    let layout = AxisLayout(shape, axis: axis)
    let out = TensorStorage(uninitializedCount: layout.outer * layout.inner)
    let src = ConstPointer(self)
    let dst = SendablePointer(out)
    let work = layout.size * layout.inner
    forEachRange(layout.outer, minimumPerThread: Swift.max(1, 65_536 / Swift.max(work, 1))) { range in
      var accumulator = [Double](repeating: 0, count: layout.inner)
      for o in range {
        let base = src.base + o * work
        if layout.inner == 1 {
          var sum = 0.0
          for k in 0..<layout.size { sum += Double(base[k]) }
          dst.base[o] = Float(sum)
        } else {
          accumulator.withUnsafeMutableBufferPointer { acc in
            for i in 0..<layout.inner { acc[i] = 0 }
            for k in 0..<layout.size {
              let row = base + k * layout.inner
              for i in 0..<layout.inner { acc[i] += Double(row[i]) }
            }
            for i in 0..<layout.inner { dst.base[o * layout.inner + i] = Float(acc[i]) }
          }
        }
      }
    }
    return out
  }

  /// The shape after reducing `axes`, keeping them as size-1 dimensions or dropping them.
  private func reducedShape(_ axes: Set<Int>, keeping: Bool) -> [Int] {
    shape.enumerated().compactMap { axes.contains($0.offset) ? (keeping ? 1 : nil) : $0.element }
  }

  /// Sum over the given axes (negative axes count from the end).
  public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let resolved = Set(axes.map { normalizedAxis($0, rank: rank, "sum") })
    var storage = self.storage
    var current = shape
    for axis in resolved.sorted() {
      storage = Tensor(shape: current, storage: storage).sumStorage(axis: axis)
      current[axis] = 1
    }
    let keptShape = current
    let outShape = reducedShape(resolved, keeping: keepingDimensions)
    return Tensor.result(storage, shape: outShape, inputs: [self]) { g in
      [g.reshaped(to: keptShape).broadcast(to: self.shape)]
    }
  }

  /// Sum of all elements, as a rank-0 tensor.
  public func sum() -> Tensor { sum(alongAxes: Array(0..<rank)) }

  /// Mean over the given axes.
  public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let n = axes.map { shape[normalizedAxis($0, rank: rank, "mean")] }.reduce(1, *)
    return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(n)
  }

  /// Mean of all elements.
  public func mean() -> Tensor { mean(alongAxes: Array(0..<rank)) }

  /// Variance over the given axes; unbiased (divides by n − 1) by default, as
  /// `torch.var`.
  public func variance(alongAxes axes: [Int], unbiased: Bool = true, keepingDimensions: Bool = false) -> Tensor {
    let n = axes.map { shape[normalizedAxis($0, rank: rank, "variance")] }.reduce(1, *)
    let centered = self - mean(alongAxes: axes, keepingDimensions: true)
    let squares = centered.squared().sum(alongAxes: axes, keepingDimensions: keepingDimensions)
    return squares / Float(unbiased ? n - 1 : n)
  }

  /// The index of the largest (or smallest) element along `axis` for each position of
  /// the other axes, first index on ties; shape [outer, inner] flattened.
  private func extremeIndices(axis: Int, largest: Bool) -> [Int] {
    let layout = AxisLayout(shape, axis: axis)
    precondition(layout.size > 0, "argmax: empty axis")
    var result = [Int](repeating: 0, count: layout.outer * layout.inner)
    withUnsafeBufferPointer { x in
      for o in 0..<layout.outer {
        for i in 0..<layout.inner {
          let base = o * layout.size * layout.inner + i
          var best = x[base]
          var bestIndex = 0
          for k in 1..<layout.size {
            let v = x[base + k * layout.inner]
            // NaN counts as the extreme value, as in PyTorch.
            if largest ? (v > best || (v.isNaN && !best.isNaN)) : (v < best || (v.isNaN && !best.isNaN)) {
              best = v
              bestIndex = k
            }
          }
          result[o * layout.inner + i] = bestIndex
        }
      }
    }
    return result
  }

  /// Index of the largest element along `axis` (first on ties), one per position of the
  /// other axes in row-major order; e.g. predicted classes of [N, C] logits.
  public func argmax(alongAxis axis: Int = -1) -> [Int] {
    extremeIndices(axis: normalizedAxis(axis, rank: rank, "argmax"), largest: true)
  }

  /// Index of the smallest element along `axis` (first on ties).
  public func argmin(alongAxis axis: Int = -1) -> [Int] {
    extremeIndices(axis: normalizedAxis(axis, rank: rank, "argmin"), largest: false)
  }

  /// Largest element along `axis`; the gradient goes to the first maximal element.
  public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "max")
    let indices = argmax(alongAxis: axis)
    return gatherAlong(axis: axis, indices: indices, keepingDimension: keepingDimension)
  }

  /// Smallest element along `axis`; the gradient goes to the first minimal element.
  public func min(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "min")
    let indices = argmin(alongAxis: axis)
    return gatherAlong(axis: axis, indices: indices, keepingDimension: keepingDimension)
  }

  /// Largest element of the whole tensor.
  public func max() -> Tensor { reshaped(to: [count]).max(alongAxis: 0) }

  /// Picks element `indices[p]` along `axis` for each position p of the other axes.
  private func gatherAlong(axis: Int, indices: [Int], keepingDimension: Bool) -> Tensor {
    var keptShape = shape
    keptShape[axis] = 1
    return gather(alongAxis: axis, indices: indices, indexShape: keptShape)
      .reshaped(to: keepingDimension ? keptShape : shape.enumerated().filter { $0.offset != axis }.map(\.element))
  }

  /// The `k` largest elements along the last axis, in descending order (first index on
  /// ties), and their indices ([rows, k], row-major). Gradients flow to the chosen
  /// elements.
  public func topK(_ k: Int) -> (values: Tensor, indices: [Int]) {
    precondition(rank >= 1, "topK: needs at least one dimension")
    let n = shape[rank - 1]
    precondition(k >= 0 && k <= n, "topK: k = \(k) out of range for last dimension \(n)")
    let rows = count / Swift.max(n, 1)
    var indices = [Int]()
    indices.reserveCapacity(rows * k)
    withUnsafeBufferPointer { x in
      var order = [Int](repeating: 0, count: n)
      for r in 0..<rows {
        let row = x.baseAddress! + r * n
        for j in 0..<n { order[j] = j }
        // Stable sort by value descending keeps the lower index first on ties.
        order.sort { a, b in row[a] > row[b] || (row[a] == row[b] && a < b) }
        indices.append(contentsOf: order.prefix(k))
      }
    }
    var indexShape = shape
    indexShape[rank - 1] = k
    return (gather(alongAxis: rank - 1, indices: indices, indexShape: indexShape), indices)
  }
}
