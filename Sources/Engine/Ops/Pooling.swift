extension Tensor {
  /// 2-D max pooling of an NCHW tensor (PyTorch's `F.max_pool2d`, padding counts as −∞);
  /// the gradient goes to the first maximal element of each window.
  public func maxPool2d(kernelSize: Int, stride: Int, padding: Int = 0) -> Tensor {
    precondition(rank == 4, "maxPool2d: needs NCHW input, got \(shape)")
    precondition(padding * 2 <= kernelSize, "maxPool2d: padding must be at most half the kernel size")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let oh = (h + 2 * padding - kernelSize) / stride + 1
    let ow = (w + 2 * padding - kernelSize) / stride + 1
    precondition(oh > 0 && ow > 0, "maxPool2d: window larger than the input \(h)x\(w)")
    let out = TensorStorage(uninitializedCount: n * c * oh * ow)
    var argmax = [Int32](repeating: 0, count: n * c * oh * ow)
    let src = storage.pointer
    argmax.withUnsafeMutableBufferPointer { indices in
      for plane in 0..<(n * c) {
        let input = src + plane * h * w
        for oy in 0..<oh {
          for ox in 0..<ow {
            var best = -Float.infinity
            var bestIndex = -1
            for ky in 0..<kernelSize {
              let iy = oy * stride - padding + ky
              if iy < 0 || iy >= h { continue }
              for kx in 0..<kernelSize {
                let ix = ox * stride - padding + kx
                if ix < 0 || ix >= w { continue }
                let v = input[iy * w + ix]
                if v > best || bestIndex < 0 || v.isNaN {
                  best = v
                  bestIndex = iy * w + ix
                  if v.isNaN { break }
                }
              }
            }
            let o = (plane * oh + oy) * ow + ox
            out.pointer[o] = best
            indices[o] = Int32(bestIndex)
          }
        }
      }
    }
    let inputShape = shape
    let planeOut = oh * ow
    return Tensor.result(out, shape: [n, c, oh, ow], inputs: [self]) { g in
      let grad = TensorStorage(count: inputShape.product, repeating: 0)
      for plane in 0..<(n * c) {
        for o in 0..<planeOut {
          let index = plane * planeOut + o
          grad.pointer[plane * h * w + Int(argmax[index])] += g.storage.pointer[index]
        }
      }
      return [Tensor(shape: inputShape, storage: grad)]
    }
  }

  /// Mean over the spatial dimensions of an NCHW tensor: [N, C, H, W] → [N, C]
  /// (ResNet's `avgpool` followed by `flatten(1)`).
  public func globalAveragePool() -> Tensor {
    precondition(rank == 4, "globalAveragePool: needs NCHW input, got \(shape)")
    let planes = shape[0] * shape[1]
    let size = shape[2] * shape[3]
    let out = TensorStorage(uninitializedCount: planes)
    let src = ConstPointer(self)
    let dst = SendablePointer(out)
    forEachRange(planes, minimumPerThread: Swift.max(1, 65_536 / Swift.max(size, 1))) { range in
      for p in range {
        var sum: Float = 0
        let row = src.base + p * size
        for i in 0..<size { sum += row[i] }
        dst.base[p] = sum / Float(size)
      }
    }
    let inputShape = shape
    return Tensor.result(out, shape: [shape[0], shape[1]], inputs: [self]) { g in
      let grad = TensorStorage(uninitializedCount: inputShape.product)
      let gp = ConstPointer(g)
      let dp = SendablePointer(grad)
      let scale = 1 / Float(size)
      forEachRange(planes, minimumPerThread: Swift.max(1, 65_536 / Swift.max(size, 1))) { range in
        for p in range { (dp.base + p * size).initialize(repeating: gp.base[p] * scale, count: size) }
      }
      return [Tensor(shape: inputShape, storage: grad)]
    }
  }
}
