import Engine

/// Convolution sums in Double, written from the definition, as the reference for the fast
/// convolution paths (Winograd, padded-image kernels, im2col on thin maps).
struct DirectConvolution {
  let stride: Int
  let padding: Int

  init(stride: Int = 1, padding: Int) {
    self.stride = stride
    self.padding = padding
  }

  /// Visits every (image n, out o, in c, output i, j, kernel ky, kx) whose input position
  /// (i·s + ky − p, j·s + kx − p) lies inside the image, with the flat indices of x, w and y.
  private func forEachTerm(x: [Int], w: [Int], _ body: (_ xi: Int, _ wi: Int, _ yi: Int) -> Void) {
    let (n, c, h, wd) = (x[0], x[1], x[2], x[3])
    let (o, kh, kw) = (w[0], w[2], w[3])
    let (oh, ow) = outputSize(x: x, w: w)
    for b in 0..<n {
      for out in 0..<o {
        for i in 0..<oh {
          for j in 0..<ow {
            for ch in 0..<c {
              for ky in 0..<kh {
                let yy = i * stride + ky - padding
                guard yy >= 0 && yy < h else { continue }
                for kx in 0..<kw {
                  let xx = j * stride + kx - padding
                  guard xx >= 0 && xx < wd else { continue }
                  body(((b * c + ch) * h + yy) * wd + xx, ((out * c + ch) * kh + ky) * kw + kx, ((b * o + out) * oh + i) * ow + j)
                }
              }
            }
          }
        }
      }
    }
  }

  func outputSize(x: [Int], w: [Int]) -> (Int, Int) {
    ((x[2] + 2 * padding - w[2]) / stride + 1, (x[3] + 2 * padding - w[3]) / stride + 1)
  }

  /// y[n, o, i, j] = Σ_c,ky,kx x[n, c, i·s + ky − p, j·s + kx − p] · w[o, c, ky, kx].
  func forward(_ x: Tensor, _ w: Tensor) -> [Float] {
    let (xs, ws) = (x.scalars, w.scalars)
    let (oh, ow) = outputSize(x: x.shape, w: w.shape)
    var y = [Double](repeating: 0, count: x.shape[0] * w.shape[0] * oh * ow)
    forEachTerm(x: x.shape, w: w.shape) { xi, wi, yi in y[yi] += Double(xs[xi]) * Double(ws[wi]) }
    return y.map { Float($0) }
  }

  /// dw[o, c, ky, kx] = Σ_n,i,j dy[n, o, i, j] · x[n, c, i·s + ky − p, j·s + kx − p].
  func weightGradient(_ x: Tensor, _ dy: Tensor, weightShape: [Int]) -> [Float] {
    let (xs, dys) = (x.scalars, dy.scalars)
    var dw = [Double](repeating: 0, count: weightShape.reduce(1, *))
    forEachTerm(x: x.shape, w: weightShape) { xi, wi, yi in dw[wi] += Double(dys[yi]) * Double(xs[xi]) }
    return dw.map { Float($0) }
  }

  /// dx[n, c, i·s + ky − p, j·s + kx − p] = Σ dy[n, o, i, j] · w[o, c, ky, kx].
  func inputGradient(_ dy: Tensor, _ w: Tensor, inputShape: [Int]) -> [Float] {
    let (ws, dys) = (w.scalars, dy.scalars)
    var dx = [Double](repeating: 0, count: inputShape.reduce(1, *))
    forEachTerm(x: inputShape, w: w.shape) { xi, wi, yi in dx[xi] += Double(dys[yi]) * Double(ws[wi]) }
    return dx.map { Float($0) }
  }
}
