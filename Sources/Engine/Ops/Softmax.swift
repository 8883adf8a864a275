import Foundation

extension Tensor {
  /// Applies `body(fibre, row, out, n, stride)` to every 1-D fibre along `axis`, where
  /// `row` and `out` point at its first element, consecutive elements are `stride` apart,
  /// and `fibre` numbers the fibres in [outer, inner] order.
  private func forEachFibre(
    axis: Int, into out: TensorStorage,
    _ body: @escaping @Sendable (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
  ) {
    let layout = AxisLayout(shape, axis: axis)
    let src = ConstPointer(self)
    let dst = SendablePointer(out)
    forEachRange(layout.outer * layout.inner, minimumPerThread: Swift.max(1, 16_384 / Swift.max(layout.size, 1))) { range in
      for fibre in range {
        let o = fibre / layout.inner
        let i = fibre % layout.inner
        let offset = o * layout.size * layout.inner + i
        body(fibre, src.base + offset, dst.base + offset, layout.size, layout.inner)
      }
    }
  }

  /// log Σ exp(x) along `axis`, computed stably (the row maximum is subtracted first).
  public func logSumExp(alongAxis axis: Int = -1, keepingDimension: Bool = false) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "logSumExp")
    var keptShape = shape
    keptShape[axis] = 1
    let layout = AxisLayout(shape, axis: axis)
    let out = TensorStorage(uninitializedCount: layout.outer * layout.inner)
    let src = ConstPointer(self)
    let dst = SendablePointer(out)
    forEachRange(layout.outer * layout.inner, minimumPerThread: Swift.max(1, 16_384 / Swift.max(layout.size, 1))) { range in
      for fibre in range {
        let o = fibre / layout.inner
        let i = fibre % layout.inner
        let row = src.base + o * layout.size * layout.inner + i
        dst.base[fibre] = logSumExpOf(row, layout.size, layout.inner)
      }
    }
    let value = Tensor(shape: keptShape, storage: out)
    let resultShape = keepingDimension ? keptShape : shape.enumerated().filter { $0.offset != axis }.map(\.element)
    return Tensor.result(out, shape: resultShape, inputs: [self]) { g in
      // d/dx logsumexp = softmax(x) = exp(x - lse).
      let softmax = (self.detached() - value).exp()
      return [softmax * g.reshaped(to: keptShape)]
    }
  }

  /// Softmax along `axis` (default: last).
  public func softmax(alongAxis axis: Int = -1) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "softmax")
    let out = TensorStorage(uninitializedCount: count)
    forEachFibre(axis: axis, into: out) { _, x, y, n, s in
      var m = -Float.infinity
      for k in 0..<n { m = Swift.max(m, x[k * s]) }
      var total = 0.0
      for k in 0..<n {
        let e = Foundation.exp(x[k * s] - m)
        y[k * s] = e
        total += Double(e)
      }
      let scale = Float(1 / total)
      for k in 0..<n { y[k * s] *= scale }
    }
    let y = Tensor(shape: shape, storage: out)
    return Tensor.result(out, shape: shape, inputs: [self]) { g in
      // dx = y ⊙ (g − Σ g⊙y)
      [y * (g - (g * y).sum(alongAxes: [axis], keepingDimensions: true))]
    }
  }

  /// log-softmax along `axis` (default: last), computed stably.
  public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "logSoftmax")
    let out = TensorStorage(uninitializedCount: count)
    forEachFibre(axis: axis, into: out) { _, x, y, n, s in
      let lse = logSumExpOf(x, n, s)
      for k in 0..<n { y[k * s] = x[k * s] - lse }
    }
    let y = Tensor(shape: shape, storage: out)
    return Tensor.result(out, shape: shape, inputs: [self]) { g in
      // dx = g − softmax ⊙ Σ g
      [g - y.exp() * g.sum(alongAxes: [axis], keepingDimensions: true)]
    }
  }

  /// x / max(‖x‖₂, eps) along `axis` (PyTorch's `F.normalize`, default eps 1e-12).
  public func l2Normalized(alongAxis axis: Int = -1, eps: Float = 1e-12) -> Tensor {
    let axis = normalizedAxis(axis, rank: rank, "l2Normalized")
    let layout = AxisLayout(shape, axis: axis)
    let norms = TensorStorage(uninitializedCount: layout.outer * layout.inner)
    let normPointer = SendablePointer(norms)
    let out = TensorStorage(uninitializedCount: count)
    forEachFibre(axis: axis, into: out) { fibre, x, y, n, s in
      var sum = 0.0
      for k in 0..<n { sum += Double(x[k * s]) * Double(x[k * s]) }
      let norm = Float(sum.squareRoot())
      normPointer[fibre] = norm
      let denominator = Swift.max(norm, eps)
      for k in 0..<n { y[k * s] = x[k * s] / denominator }
    }
    var keptShape = shape
    keptShape[axis] = 1
    let norm = Tensor(shape: keptShape, storage: norms)
    let y = Tensor(shape: shape, storage: out)
    return Tensor.result(out, shape: shape, inputs: [self]) { g in
      // Above eps: dx = (g − y·⟨g, y⟩) / ‖x‖; clamped rows are a plain division by eps.
      let denominator = Tensor(shape: keptShape, storage: mapUnary(norm) { Swift.max($0, eps) })
      let clamped = Tensor(shape: keptShape, storage: mapUnary(norm) { $0 > eps ? 1 : 0 })
      let projection = (g * y).sum(alongAxes: [axis], keepingDimensions: true) * clamped
      return [(g - y * projection) / denominator]
    }
  }
}

/// Stable log Σ exp over `n` values `stride` apart.
@inline(__always)
func logSumExpOf(_ x: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Float {
  var m = -Float.infinity
  for k in 0..<n { m = max(m, x[k * stride]) }
  if m == -.infinity || m.isNaN { return m }
  var total = 0.0
  for k in 0..<n { total += Double(Foundation.exp(x[k * stride] - m)) }
  return m + Float(Foundation.log(total))
}
