/// Statistics of one batch normalisation in training mode, per channel.
public struct BatchStatistics: Sendable {
  /// Batch mean.
  public let mean: [Float]
  /// Biased batch variance (divides by n), the one used to normalise.
  public let variance: [Float]
  /// Values per channel (N·H·W); the unbiased variance is variance · n/(n − 1).
  public let count: Int
}

/// Σ(x − center) and Σ(x − center)² over one row of `length` floats (Float lanes, Double
/// total).
@inline(__always)
private func rowSums(_ row: UnsafePointer<Float>, length: Int, center: Float) -> (Double, Double) {
  let centerVector = SIMD8<Float>(repeating: center)
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
  return (Double(s.sum() + tailSum), Double(q.sum() + tailSquares))
}

/// Mean and biased variance of `rows` strided rows of `length` floats. Each row is summed
/// twice while it is in cache, the second time centred on its own mean, and the rows are
/// merged with Chan's pairwise update: one read of the data from memory, and a variance
/// that stays accurate when the mean is large compared with the spread.
@inline(__always)
private func channelMoments(_ base: UnsafePointer<Float>, rows: Int, rowStride: Int, length: Int) -> (mean: Double, variance: Double) {
  var count = 0.0
  var mean = 0.0
  var squares = 0.0
  let n = Double(length)
  for r in 0..<rows {
    let row = base + r * rowStride
    let (sum, _) = rowSums(row, length: length, center: 0)
    let center = Float(sum / n)
    let (shifted, centredSquares) = rowSums(row, length: length, center: center)
    let rowMean = Double(center) + shifted / n
    let rowSquares = Swift.max(centredSquares - shifted * shifted / n, 0)
    let total = count + n
    let delta = rowMean - mean
    mean += delta * n / total
    squares += rowSquares + delta * delta * count * n / total
    count = total
  }
  return (mean, squares / count)
}

/// y = x·scale + shift (+ residual), then max(y, 0) when `relu`: the fused epilogue of
/// batch normalisation over one contiguous run.
@inline(__always)
private func affineRun(
  _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, _ count: Int,
  scale: Float, shift: Float, relu: Bool
) {
  switch (residual, relu) {
  case (nil, false): for i in 0..<count { y[i] = x[i] * scale + shift }
  case (nil, true): for i in 0..<count { y[i] = Swift.max(x[i] * scale + shift, 0) }
  case (let r?, false): for i in 0..<count { y[i] = x[i] * scale + shift + r[i] }
  case (let r?, true): for i in 0..<count { y[i] = Swift.max(x[i] * scale + shift + r[i], 0) }
  }
}

/// The gradient reaching the normalisation when ReLU followed it: dy where y > 0.
@inline(__always)
private func maskedGradient(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, _ i: Int) -> Float {
  guard let y else { return dy[i] }
  return y[i] > 0 ? dy[i] : 0
}

/// Sums and gathers across the processes of a data-parallel group, so that batch
/// normalisation uses the statistics of the global batch (PyTorch's `SyncBatchNorm`).
/// Every process must normalise the same layers in the same order.
public protocol BatchNormSynchronizer: AnyObject {
  /// Every process's `values` (the same length everywhere), concatenated in process order.
  func allGather(_ values: [Double]) -> [Double]
  /// Element-wise sums over the processes, in place.
  func allReduceSum(_ values: inout [Double])
}

extension Tensor {
  /// Batch normalisation with batch statistics (training mode) over an [N, C, ...]
  /// tensor: y = (x − mean_c)/√(var_c + eps)·weight_c + bias_c, statistics over every
  /// axis but 1. Returns the statistics so the caller can update running estimates.
  ///
  /// `residual` (same shape) is added and `relu` applied in the same pass, as in a
  /// residual block's `relu(bn(x) + shortcut)`: one pass and one tensor instead of three.
  /// With a `synchronizer` the statistics (and the backward pass's sums) are those of
  /// every process's batch together.
  public func batchNormalized(
    weight: Tensor?, bias: Tensor?, eps: Float, adding residual: Tensor? = nil, relu: Bool = false,
    synchronizer: (any BatchNormSynchronizer)? = nil
  ) -> (Tensor, BatchStatistics) {
    precondition(rank >= 2, "batchNorm: needs [N, C, ...] input, got \(shape)")
    let (n, c) = (shape[0], shape[1])
    let plane = shape[2...].reduce(1, *)
    let m = n * plane
    precondition(m > 1, "batchNorm: expected more than 1 value per channel in training mode, got input \(shape)")
    if let weight { precondition(weight.shape == [c], "batchNorm: weight \(weight.shape) for \(c) channels") }
    if let bias { precondition(bias.shape == [c], "batchNorm: bias \(bias.shape) for \(c) channels") }
    if let residual { precondition(residual.shape == shape, "batchNorm: residual \(residual.shape) differs from input \(shape)") }
    var means = [Float](repeating: 0, count: c)
    var variances = [Float](repeating: 0, count: c)
    let out = TensorStorage(uninitializedCount: count)
    let x = ConstPointer(self)
    let y = SendablePointer(out)
    let r = residual.map { ConstPointer($0) }
    let gamma = weight.map { ConstPointer($0) }
    let beta = bias.map { ConstPointer($0) }
    var total = m
    var global: (mean: [Double], variance: [Double])?
    if let synchronizer {
      let moments = Self.globalMoments(self, channels: c, plane: plane, synchronizer: synchronizer)
      global = (moments.mean, moments.variance)
      total = moments.count
    }
    let merged = global
    means.withUnsafeMutableBufferPointer { meanBuffer in
      variances.withUnsafeMutableBufferPointer { varianceBuffer in
        let mp = SendablePointer(meanBuffer.baseAddress!)
        let vp = SendablePointer(varianceBuffer.baseAddress!)
        forEachRange(c, minimumPerThread: Swift.max(1, 32_768 / m)) { channels in
          for ch in channels {
            let (mean, variance) =
              merged.map { ($0.mean[ch], $0.variance[ch]) }
              ?? channelMoments(x.base + ch * plane, rows: n, rowStride: c * plane, length: plane)
            mp[ch] = Float(mean)
            vp[ch] = Float(variance)
            let invStd = Float(1 / (variance + Double(eps)).squareRoot())
            let scale = invStd * (gamma?.base[ch] ?? 1)
            let shift = (beta?.base[ch] ?? 0) - Float(mean) * scale
            for row in 0..<n {
              let o = (row * c + ch) * plane
              affineRun(x.base + o, y.base + o, r.map { $0.base + o }, plane, scale: scale, shift: shift, relu: relu)
            }
          }
        }
      }
    }
    let statistics = BatchStatistics(mean: means, variance: variances, count: total)
    let input = self
    let output = Tensor(shape: shape, storage: out)
    let result = Tensor.result(out, shape: shape, inputs: [self, weight ?? Tensor(0), bias ?? Tensor(0), residual ?? Tensor(0)]) { g in
      batchNormTrainingBackward(
        input, weight: weight, bias: bias, residual: residual, output: relu ? output : nil, statistics: statistics, eps: eps,
        synchronizer: synchronizer, dy: g)
    }
    return (result, statistics)
  }

  /// Per-channel mean and biased variance of every process's batch together: each
  /// process's own moments, gathered, merged in process order with Chan's update (so
  /// every process gets the same numbers; one process keeps its own exactly), and the
  /// total count.
  private static func globalMoments(
    _ input: Tensor, channels c: Int, plane: Int, synchronizer: any BatchNormSynchronizer
  ) -> (mean: [Double], variance: [Double], count: Int) {
    let n = input.shape[0]
    var local = [Double](repeating: 0, count: 2 * c + 1)
    local[2 * c] = Double(n * plane)
    let x = ConstPointer(input)
    local.withUnsafeMutableBufferPointer { buffer in
      let moments = SendablePointer(buffer.baseAddress!)
      forEachRange(c, minimumPerThread: Swift.max(1, 32_768 / Swift.max(n * plane, 1))) { channels in
        for ch in channels {
          let (mean, variance) = channelMoments(x.base + ch * plane, rows: n, rowStride: c * plane, length: plane)
          moments[ch] = mean
          moments[c + ch] = variance
        }
      }
    }
    let all = synchronizer.allGather(local)
    let stride = 2 * c + 1
    let processes = all.count / stride
    var means = [Double](repeating: 0, count: c)
    var variances = [Double](repeating: 0, count: c)
    var total = 0.0
    for ch in 0..<c {
      var (count, mean, variance): (Double, Double, Double) = (all[2 * c], all[ch], all[c + ch])
      for process in 1..<Swift.max(processes, 1) {
        let part: Double = all[process * stride + 2 * c]
        let delta: Double = all[process * stride + ch] - mean
        let merged: Double = count + part
        let between: Double = delta * delta * count * part / merged
        let squares: Double = variance * count + all[process * stride + c + ch] * part + between
        mean += delta * part / merged
        variance = squares / merged
        count = merged
      }
      (means[ch], variances[ch], total) = (mean, variance, count)
    }
    return (means, variances, Int(total))
  }

  /// Batch normalisation with fixed statistics (evaluation mode):
  /// y = (x − mean_c)/√(var_c + eps)·weight_c + bias_c, with the same fused `residual`
  /// and `relu` as the training form.
  public func batchNormalized(
    mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, adding residual: Tensor? = nil,
    relu: Bool = false
  ) -> Tensor {
    precondition(rank >= 2, "batchNorm: needs [N, C, ...] input, got \(shape)")
    let (n, c) = (shape[0], shape[1])
    let plane = shape[2...].reduce(1, *)
    precondition(mean.shape == [c] && variance.shape == [c], "batchNorm: running statistics do not have \(c) channels")
    if let residual { precondition(residual.shape == shape, "batchNorm: residual \(residual.shape) differs from input \(shape)") }
    let invStd = variance.scalars.map { 1 / ($0 + eps).squareRoot() }
    let meanValues = mean.scalars
    let gammaValues = weight?.scalars ?? Array(repeating: 1, count: c)
    let betaValues = bias?.scalars ?? Array(repeating: 0, count: c)
    let scales = (0..<c).map { invStd[$0] * gammaValues[$0] }
    let shifts = (0..<c).map { betaValues[$0] - meanValues[$0] * scales[$0] }
    let out = TensorStorage(uninitializedCount: count)
    let x = ConstPointer(self)
    let y = SendablePointer(out)
    let r = residual.map { ConstPointer($0) }
    forEachRange(n * c, minimumPerThread: Swift.max(1, 32_768 / Swift.max(plane, 1))) { range in
      for p in range {
        let o = p * plane
        affineRun(x.base + o, y.base + o, r.map { $0.base + o }, plane, scale: scales[p % c], shift: shifts[p % c], relu: relu)
      }
    }
    let input = self
    let output = Tensor(shape: shape, storage: out)
    return Tensor.result(out, shape: shape, inputs: [self, weight ?? Tensor(0), bias ?? Tensor(0), residual ?? Tensor(0)]) { g in
      let needAffine = weight?.requiresGradient == true || bias?.requiresGradient == true
      let needResidual = residual?.requiresGradient == true
      let dxStorage = input.requiresGradient ? TensorStorage(uninitializedCount: input.count) : nil
      let dzStorage = needResidual ? TensorStorage(uninitializedCount: input.count) : nil
      var sums = [Double](repeating: 0, count: c)
      var products = [Double](repeating: 0, count: c)
      let dy = ConstPointer(g)
      let x = ConstPointer(input)
      let mask = relu ? ConstPointer(output) : nil
      let dx = dxStorage.map { SendablePointer($0) }
      let dz = dzStorage.map { SendablePointer($0) }
      sums.withUnsafeMutableBufferPointer { sumBuffer in
        products.withUnsafeMutableBufferPointer { productBuffer in
          let sp = SendablePointer(sumBuffer.baseAddress!)
          let pp = SendablePointer(productBuffer.baseAddress!)
          // Channels are independent, so threads split them and each keeps its own sums.
          forEachRange(c, minimumPerThread: Swift.max(1, 32_768 / Swift.max(n * plane, 1))) { channels in
            // Where the masked gradient goes when neither dz nor dx is wanted (affine only).
            let scratch = dz == nil && dx == nil ? UnsafeMutablePointer<Float>.allocate(capacity: plane) : nil
            defer { scratch?.deallocate() }
            for ch in channels {
              var sum = 0.0
              var product = 0.0
              let (scale, center, invStdValue) = (scales[ch], meanValues[ch], invStd[ch])
              for b in 0..<n {
                let o = (b * c + ch) * plane
                let (gradient, source) = (dy.base + o, x.base + o)
                // Plain loops, one job each, so that each vectorises: the ReLU-masked
                // gradient (dz) first, then the sums, then dx = dz·scale.
                let value = dz.map { $0.base + o } ?? dx.map { $0.base + o } ?? scratch!
                if let keep = mask.map({ $0.base + o }) {
                  for i in 0..<plane { value[i] = keep[i] > 0 ? gradient[i] : 0 }
                } else {
                  value.update(from: gradient, count: plane)
                }
                if needAffine {
                  var planeSum: Float = 0
                  var planeProduct: Float = 0
                  for i in 0..<plane {
                    planeSum += value[i]
                    planeProduct += value[i] * (source[i] - center)
                  }
                  sum += Double(planeSum)
                  product += Double(planeProduct) * Double(invStdValue)
                }
                if let dx {
                  let target = dx.base + o
                  if target == value {
                    for i in 0..<plane { target[i] *= scale }
                  } else {
                    for i in 0..<plane { target[i] = value[i] * scale }
                  }
                }
              }
              sp[ch] = sum
              pp[ch] = product
            }
          }
        }
      }
      return [
        dxStorage.map { Tensor(shape: input.shape, storage: $0) },
        weight?.requiresGradient == true ? Tensor(shape: [c], scalars: products.map { Float($0) }) : nil,
        bias?.requiresGradient == true ? Tensor(shape: [c], scalars: sums.map { Float($0) }) : nil,
        dzStorage.map { Tensor(shape: input.shape, storage: $0) },
      ]
    }
  }
}

/// Gradients of training-mode batch norm with its fused epilogue, from dz (dy masked by
/// the ReLU): dx = γ·invStd·(dz − mean(dz) − x̂·mean(dz·x̂)), dγ = Σ dz·x̂, dβ = Σ dz,
/// d(residual) = dz.
private func batchNormTrainingBackward(
  _ input: Tensor, weight: Tensor?, bias: Tensor?, residual: Tensor?, output: Tensor?, statistics: BatchStatistics,
  eps: Float, synchronizer: (any BatchNormSynchronizer)?, dy g: Tensor
) -> [Tensor?] {
  let (n, c) = (input.shape[0], input.shape[1])
  let plane = input.shape[2...].reduce(1, *)
  let m = Float(statistics.count)
  let dxStorage = input.requiresGradient ? TensorStorage(uninitializedCount: input.count) : nil
  let dzStorage = residual?.requiresGradient == true ? TensorStorage(uninitializedCount: input.count) : nil
  var sums = [Float](repeating: 0, count: c)
  var products = [Float](repeating: 0, count: c)
  let x = ConstPointer(input)
  let dy = ConstPointer(g)
  let mask = output.map { ConstPointer($0) }
  let dx = dxStorage.map { SendablePointer($0) }
  let dzOut = dzStorage.map { SendablePointer($0) }
  // The masked gradient dz goes to d(residual) when it is wanted, else into dx's buffer,
  // where the second pass reads it back instead of dy and the mask.
  let dzStore = dzOut ?? dx
  let gamma = weight.map { ConstPointer($0) }
  let synchronized = synchronizer != nil
  /// dx of one channel from the (global) sums Σdz and Σdz·x̂ over m values.
  @Sendable func inputGradient(
    channel ch: Int, dx: SendablePointer<Float>, dz: SendablePointer<Float>, sumDz: Float, sumDzXhat: Float
  ) {
    let mean = statistics.mean[ch]
    let invStd = 1 / (statistics.variance[ch] + eps).squareRoot()
    let scale = (gamma?.base[ch] ?? 1) * invStd
    let meanDz = sumDz / m
    let meanDzXhat = sumDzXhat / m
    // dx = scale·dz − scale·meanDz − scale·invStd·meanDzXhat·(x − mean), as a·dz + b·x + k.
    let b = -scale * invStd * meanDzXhat
    let k = -scale * meanDz - b * mean
    for r in 0..<n {
      let offset = (r * c + ch) * plane
      // Separate loops for in place and not, so that neither needs an overlap check.
      if dz.base == dx.base {
        for i in offset..<(offset + plane) { dx.base[i] = scale * dx.base[i] + b * x.base[i] + k }
      } else {
        for i in offset..<(offset + plane) { dx.base[i] = scale * dz.base[i] + b * x.base[i] + k }
      }
    }
  }
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
            var sv = SIMD8<Float>()
            var qv = SIMD8<Float>()
            let meanVector = SIMD8<Float>(repeating: mean)
            var i = 0
            while i + 8 <= plane {
              var d = UnsafeRawPointer(dy.base + offset + i).loadUnaligned(as: SIMD8<Float>.self)
              if let mask {
                let y = UnsafeRawPointer(mask.base + offset + i).loadUnaligned(as: SIMD8<Float>.self)
                d.replace(with: 0, where: y .<= 0)
              }
              if let dzStore { UnsafeMutableRawPointer(dzStore.base + offset + i).storeBytes(of: d, as: SIMD8<Float>.self) }
              let v = UnsafeRawPointer(x.base + offset + i).loadUnaligned(as: SIMD8<Float>.self)
              sv += d
              qv += d * (v - meanVector)
              i += 8
            }
            var s = sv.sum()
            var q = qv.sum()
            while i < plane {
              let d = maskedGradient(dy.base, mask?.base, offset + i)
              dzStore?.base[offset + i] = d
              s += d
              q += d * (x.base[offset + i] - mean)
              i += 1
            }
            sum += Double(s)
            product += Double(q)
          }
          let sumDz = Float(sum)
          let sumDzXhat = Float(product) * invStd
          sp[ch] = sumDz
          pp[ch] = sumDzXhat
          // Synchronized: dx needs every process's sums, so it waits for the second pass.
          guard !synchronized, let dx, let dz = dzStore else { continue }
          inputGradient(channel: ch, dx: dx, dz: dz, sumDz: sumDz, sumDzXhat: sumDzXhat)
        }
      }
      guard let synchronizer, let dx, let dz = dzStore else { return }
      var global = (0..<c).map { Double(sp[$0]) } + (0..<c).map { Double(pp[$0]) }
      synchronizer.allReduceSum(&global)
      let reduced = global
      forEachRange(c, minimumPerThread: Swift.max(1, 16_384 / Swift.max(n * plane, 1))) { channels in
        for ch in channels {
          inputGradient(channel: ch, dx: dx, dz: dz, sumDz: Float(reduced[ch]), sumDzXhat: Float(reduced[c + ch]))
        }
      }
    }
  }
  return [
    dxStorage.map { Tensor(shape: input.shape, storage: $0) },
    weight?.requiresGradient == true ? Tensor(shape: [c], scalars: products) : nil,
    bias?.requiresGradient == true ? Tensor(shape: [c], scalars: sums) : nil,
    dzStorage.map { Tensor(shape: input.shape, storage: $0) },
  ]
}
