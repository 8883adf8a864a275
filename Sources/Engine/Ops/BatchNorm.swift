/// Statistics of one batch normalisation in training mode, per channel.
public struct BatchStatistics: Sendable {
  /// Batch mean.
  public let mean: [Float]
  /// Biased batch variance (divides by n), the one used to normalise.
  public let variance: [Float]
  /// Values per channel (N·H·W); the unbiased variance is variance · n/(n − 1).
  public let count: Int
}

/// Sums of a strided set of rows: Σ(x − center) and Σ(x − center)² over `rows` rows of
/// `length` floats (Float lanes within a row, Double across rows).
@inline(__always)
private func rowSums(_ base: UnsafePointer<Float>, rows: Int, rowStride: Int, length: Int, center: Float) -> (Double, Double) {
  let centerVector = SIMD8<Float>(repeating: center)
  var sum = 0.0
  var squares = 0.0
  for r in 0..<rows {
    let row = base + r * rowStride
    var s = SIMD8<Float>()
    var q = SIMD8<Float>()
    var i = 0
    while i + 8 <= length {
      let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self) - centerVector
      s += v
      q += v * v
      i += 8
    }
    var tailSum: Float = 0
    var tailSquares: Float = 0
    while i < length {
      let v = row[i] - center
      tailSum += v
      tailSquares += v * v
      i += 1
    }
    sum += Double(s.sum() + tailSum)
    squares += Double(q.sum() + tailSquares)
  }
  return (sum, squares)
}

extension Tensor {
  /// Batch normalisation with batch statistics (training mode) over an [N, C, ...]
  /// tensor: y = (x − mean_c)/√(var_c + eps)·weight_c + bias_c, statistics over every
  /// axis but 1. Returns the statistics so the caller can update running estimates.
  public func batchNormalized(weight: Tensor?, bias: Tensor?, eps: Float) -> (Tensor, BatchStatistics) {
    precondition(rank >= 2, "batchNorm: needs [N, C, ...] input, got \(shape)")
    let (n, c) = (shape[0], shape[1])
    let plane = shape[2...].reduce(1, *)
    let m = n * plane
    precondition(m > 1, "batchNorm: expected more than 1 value per channel in training mode, got input \(shape)")
    if let weight { precondition(weight.shape == [c], "batchNorm: weight \(weight.shape) for \(c) channels") }
    if let bias { precondition(bias.shape == [c], "batchNorm: bias \(bias.shape) for \(c) channels") }
    var means = [Float](repeating: 0, count: c)
    var variances = [Float](repeating: 0, count: c)
    let out = TensorStorage(uninitializedCount: count)
    let x = ConstPointer(self)
    let y = SendablePointer(out)
    let gamma = weight.map { ConstPointer($0) }
    let beta = bias.map { ConstPointer($0) }
    means.withUnsafeMutableBufferPointer { meanBuffer in
      variances.withUnsafeMutableBufferPointer { varianceBuffer in
        let mp = SendablePointer(meanBuffer.baseAddress!)
        let vp = SendablePointer(varianceBuffer.baseAddress!)
        forEachRange(c, minimumPerThread: Swift.max(1, 32_768 / m)) { channels in
          for ch in channels {
            let base = x.base + ch * plane
            // Two passes (the second centred on the first's mean) keep the variance
            // accurate when the mean is large compared with the spread.
            let (sum, _) = rowSums(base, rows: n, rowStride: c * plane, length: plane, center: 0)
            let estimate = Float(sum / Double(m))
            let (shifted, squares) = rowSums(base, rows: n, rowStride: c * plane, length: plane, center: estimate)
            let offset = shifted / Double(m)
            let mean = Double(estimate) + offset
            let variance = Swift.max(squares / Double(m) - offset * offset, 0)
            mp[ch] = Float(mean)
            vp[ch] = Float(variance)
            let invStd = Float(1 / (variance + Double(eps)).squareRoot())
            let scale = invStd * (gamma?.base[ch] ?? 1)
            let shift = (beta?.base[ch] ?? 0) - Float(mean) * scale
            for r in 0..<n {
              let src = base + r * c * plane
              let dst = y.base + ch * plane + r * c * plane
              for i in 0..<plane { dst[i] = src[i] * scale + shift }
            }
          }
        }
      }
    }
    let statistics = BatchStatistics(mean: means, variance: variances, count: m)
    let input = self
    let output = Tensor.result(out, shape: shape, inputs: [self, weight ?? Tensor(0), bias ?? Tensor(0)]) { g in
      batchNormTrainingBackward(input, weight: weight, bias: bias, statistics: statistics, eps: eps, dy: g)
    }
    return (output, statistics)
  }

  /// Batch normalisation with fixed statistics (evaluation mode):
  /// y = (x − mean_c)/√(var_c + eps)·weight_c + bias_c.
  public func batchNormalized(mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
    precondition(rank >= 2, "batchNorm: needs [N, C, ...] input, got \(shape)")
    let (n, c) = (shape[0], shape[1])
    let plane = shape[2...].reduce(1, *)
    precondition(mean.shape == [c] && variance.shape == [c], "batchNorm: running statistics do not have \(c) channels")
    let invStd = variance.scalars.map { 1 / ($0 + eps).squareRoot() }
    let meanValues = mean.scalars
    let gammaValues = weight?.scalars ?? Array(repeating: 1, count: c)
    let betaValues = bias?.scalars ?? Array(repeating: 0, count: c)
    let scales = (0..<c).map { invStd[$0] * gammaValues[$0] }
    let shifts = (0..<c).map { betaValues[$0] - meanValues[$0] * scales[$0] }
    let out = TensorStorage(uninitializedCount: count)
    let x = ConstPointer(self)
    let y = SendablePointer(out)
    forEachRange(n * c, minimumPerThread: Swift.max(1, 32_768 / Swift.max(plane, 1))) { range in
      for p in range {
        let ch = p % c
        let (scale, shift) = (scales[ch], shifts[ch])
        for i in 0..<plane { y.base[p * plane + i] = x.base[p * plane + i] * scale + shift }
      }
    }
    let input = self
    return Tensor.result(out, shape: shape, inputs: [self, weight ?? Tensor(0), bias ?? Tensor(0)]) { g in
      let dx: Tensor? = input.requiresGradient
        ? Tensor(shape: input.shape, storage: channelAffine(g, scales: scales, shifts: nil, channels: c, plane: plane)) : nil
      var dGamma: Tensor? = nil
      var dBeta: Tensor? = nil
      if weight?.requiresGradient == true || bias?.requiresGradient == true {
        var sums = [Double](repeating: 0, count: c)
        var products = [Double](repeating: 0, count: c)
        for p in 0..<(n * c) {
          let ch = p % c
          for i in 0..<plane {
            let dy = Double(g.storage.pointer[p * plane + i])
            sums[ch] += dy
            products[ch] += dy * Double((input.storage.pointer[p * plane + i] - meanValues[ch]) * invStd[ch])
          }
        }
        if weight?.requiresGradient == true { dGamma = Tensor(shape: [c], scalars: products.map { Float($0) }) }
        if bias?.requiresGradient == true { dBeta = Tensor(shape: [c], scalars: sums.map { Float($0) }) }
      }
      return [dx, dGamma, dBeta]
    }
  }
}

/// y = x·scale_c (+ shift_c) over an [N, C, plane] buffer.
private func channelAffine(_ x: Tensor, scales: [Float], shifts: [Float]?, channels c: Int, plane: Int) -> TensorStorage {
  let out = TensorStorage(uninitializedCount: x.count)
  let src = ConstPointer(x)
  let dst = SendablePointer(out)
  forEachRange(x.count / Swift.max(plane, 1), minimumPerThread: Swift.max(1, 32_768 / Swift.max(plane, 1))) { range in
    for p in range {
      let scale = scales[p % c]
      let shift = shifts?[p % c] ?? 0
      for i in 0..<plane { dst.base[p * plane + i] = src.base[p * plane + i] * scale + shift }
    }
  }
  return out
}

/// Gradients of training-mode batch norm:
/// dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)), dγ = Σ dy·x̂, dβ = Σ dy.
private func batchNormTrainingBackward(
  _ input: Tensor, weight: Tensor?, bias: Tensor?, statistics: BatchStatistics, eps: Float, dy g: Tensor
) -> [Tensor?] {
  let (n, c) = (input.shape[0], input.shape[1])
  let plane = input.shape[2...].reduce(1, *)
  let m = Float(statistics.count)
  let needInput = input.requiresGradient
  let dxStorage = needInput ? TensorStorage(uninitializedCount: input.count) : nil
  var sums = [Float](repeating: 0, count: c)
  var products = [Float](repeating: 0, count: c)
  let x = ConstPointer(input)
  let dy = ConstPointer(g)
  let dx = dxStorage.map { SendablePointer($0) }
  let gamma = weight.map { ConstPointer($0) }
  sums.withUnsafeMutableBufferPointer { sumBuffer in
    products.withUnsafeMutableBufferPointer { productBuffer in
      let sp = SendablePointer(sumBuffer.baseAddress!)
      let pp = SendablePointer(productBuffer.baseAddress!)
      forEachRange(c, minimumPerThread: Swift.max(1, 16_384 / statistics.count)) { channels in
        for ch in channels {
          let mean = statistics.mean[ch]
          let invStd = 1 / (statistics.variance[ch] + eps).squareRoot()
          var sum = 0.0
          var product = 0.0
          for r in 0..<n {
            let offset = (r * c + ch) * plane
            var s = SIMD8<Float>()
            var q = SIMD8<Float>()
            var i = 0
            let meanVector = SIMD8<Float>(repeating: mean)
            while i + 8 <= plane {
              let d = UnsafeRawPointer(dy.base + offset + i).loadUnaligned(as: SIMD8<Float>.self)
              let v = UnsafeRawPointer(x.base + offset + i).loadUnaligned(as: SIMD8<Float>.self)
              s += d
              q += d * (v - meanVector)
              i += 8
            }
            var tailSum: Float = 0
            var tailProduct: Float = 0
            while i < plane {
              tailSum += dy.base[offset + i]
              tailProduct += dy.base[offset + i] * (x.base[offset + i] - mean)
              i += 1
            }
            sum += Double(s.sum() + tailSum)
            product += Double(q.sum() + tailProduct)
          }
          let sumDy = Float(sum)
          let sumDyXhat = Float(product) * invStd
          sp[ch] = sumDy
          pp[ch] = sumDyXhat
          guard let dx else { continue }
          let scale = (gamma?.base[ch] ?? 1) * invStd
          let meanDy = sumDy / m
          let meanDyXhat = sumDyXhat / m
          for r in 0..<n {
            let offset = (r * c + ch) * plane
            for i in 0..<plane {
              let xhat = (x.base[offset + i] - mean) * invStd
              dx.base[offset + i] = scale * (dy.base[offset + i] - meanDy - xhat * meanDyXhat)
            }
          }
        }
      }
    }
  }
  return [
    dxStorage.map { Tensor(shape: input.shape, storage: $0) },
    weight?.requiresGradient == true ? Tensor(shape: [c], scalars: products) : nil,
    bias?.requiresGradient == true ? Tensor(shape: [c], scalars: sums) : nil,
  ]
}
