import Engine

/// Stride-1 convolution sums in Double, written from the definition, as the reference for
/// the fast convolution paths (Winograd, padded-image kernels).
struct DirectConvolution {
  let padding: Int

  /// y[n, o, i, j] = Σ_c,ky,kx x[n, c, i + ky − p, j + kx − p] · w[o, c, ky, kx].
  func forward(_ x: Tensor, _ w: Tensor) -> [Float] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let (oh, ow) = (h + 2 * padding - kh + 1, wd + 2 * padding - kw + 1)
    let xs = x.scalars, ws = w.scalars
    var y = [Float](repeating: 0, count: n * o * oh * ow)
    for b in 0..<n {
      for out in 0..<o {
        for i in 0..<oh {
          for j in 0..<ow {
            var sum = 0.0
            for ch in 0..<c {
              for ky in 0..<kh {
                let yy = i + ky - padding
                guard yy >= 0 && yy < h else { continue }
                for kx in 0..<kw {
                  let xx = j + kx - padding
                  guard xx >= 0 && xx < wd else { continue }
                  sum += Double(xs[((b * c + ch) * h + yy) * wd + xx]) * Double(ws[((out * c + ch) * kh + ky) * kw + kx])
                }
              }
            }
            y[((b * o + out) * oh + i) * ow + j] = Float(sum)
          }
        }
      }
    }
    return y
  }

  /// dw[o, c, ky, kx] = Σ_n,i,j dy[n, o, i, j] · x[n, c, i + ky − p, j + kx − p].
  func weightGradient(_ x: Tensor, _ dy: Tensor, kernel: (height: Int, width: Int)) -> [Float] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, oh, ow) = (dy.shape[1], dy.shape[2], dy.shape[3])
    let (kh, kw) = kernel
    let xs = x.scalars, dys = dy.scalars
    var dw = [Float](repeating: 0, count: o * c * kh * kw)
    for out in 0..<o {
      for ch in 0..<c {
        for ky in 0..<kh {
          for kx in 0..<kw {
            var sum = 0.0
            for b in 0..<n {
              for i in 0..<oh {
                let yy = i + ky - padding
                guard yy >= 0 && yy < h else { continue }
                for j in 0..<ow {
                  let xx = j + kx - padding
                  guard xx >= 0 && xx < wd else { continue }
                  sum += Double(dys[((b * o + out) * oh + i) * ow + j]) * Double(xs[((b * c + ch) * h + yy) * wd + xx])
                }
              }
            }
            dw[((out * c + ch) * kh + ky) * kw + kx] = Float(sum)
          }
        }
      }
    }
    return dw
  }

  /// The kernel of the transposed convolution: w'[c, o, ky, kx] = w[o, c, kh − 1 − ky, kw − 1 − kx].
  /// With "same" padding, the input gradient is the convolution of dy with it.
  static func flippedTransposed(_ w: Tensor) -> Tensor {
    let (o, c, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let ws = w.scalars
    var flipped = [Float](repeating: 0, count: ws.count)
    for a in 0..<o {
      for b in 0..<c {
        for ky in 0..<kh {
          for kx in 0..<kw {
            flipped[((b * o + a) * kh + ky) * kw + kx] = ws[((a * c + b) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)]
          }
        }
      }
    }
    return Tensor(shape: [c, o, kh, kw], scalars: flipped)
  }
}
