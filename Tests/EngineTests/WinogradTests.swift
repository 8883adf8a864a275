@testable import Engine
import Testing
import TestSupport

/// 3×3 stride-1 convolutions with 64 or more input channels on maps of 8×8 or more run
/// through Winograd's F(2×2, 3×3); these compare it with a direct float64 sum, odd image
/// sizes included (partial tiles), for the forward pass and for the input gradient, which is itself such a
/// convolution.
@Suite struct WinogradTests {
  /// y[n, o, i, j] = Σ_c,ky,kx x[n, c, i + ky − 1, j + kx − 1] · w[o, c, ky, kx] in Double.
  func directConvolution(_ x: Tensor, _ w: Tensor) -> [Float] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let o = w.shape[0]
    let xs = x.scalars, ws = w.scalars
    var y = [Float](repeating: 0, count: n * o * h * wd)
    for b in 0..<n {
      for out in 0..<o {
        for i in 0..<h {
          for j in 0..<wd {
            var sum = 0.0
            for ch in 0..<c {
              for ky in 0..<3 {
                let yy = i + ky - 1
                guard yy >= 0 && yy < h else { continue }
                for kx in 0..<3 {
                  let xx = j + kx - 1
                  guard xx >= 0 && xx < wd else { continue }
                  sum += Double(xs[((b * c + ch) * h + yy) * wd + xx]) * Double(ws[((out * c + ch) * 3 + ky) * 3 + kx])
                }
              }
            }
            y[((b * o + out) * h + i) * wd + j] = Float(sum)
          }
        }
      }
    }
    return y
  }

  @Test(arguments: [(9, 11), (8, 8), (13, 9), (16, 10)])
  func forwardMatchesTheDirectSum(height: Int, width: Int) {
    var rng = RandomGenerator(seed: 11)
    let x = Tensor(randomNormal: [3, 64, height, width], using: &rng)
    let w = Tensor(randomNormal: [16, 64, 3, 3], using: &rng) * 0.05
    #expect(Winograd.applies(to: ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)))
    let y = withoutGradients { x.conv2d(w, stride: 1, padding: 1) }
    #expect(y.shape == [3, 16, height, width])
    #expect(maxNormalizedError(y.scalars, directConvolution(x, w)) < 1e-5)
  }

  @Test func inputGradientMatchesTheDirectSum() {
    var rng = RandomGenerator(seed: 12)
    let x = Tensor(randomNormal: [2, 64, 9, 10], using: &rng).requiringGradient()
    let w = Tensor(randomNormal: [64, 64, 3, 3], using: &rng) * 0.05
    #expect(Winograd.applies(to: ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)))
    let seed = Tensor(randomNormal: [2, 64, 9, 10], using: &rng)
    let dx = gradients(of: x.conv2d(w, stride: 1, padding: 1), wrt: [x], seed: seed)[0]
    // dx is the convolution of the seed with the flipped, transposed kernel.
    let ws = w.scalars
    var flipped = [Float](repeating: 0, count: ws.count)
    for o in 0..<64 {
      for c in 0..<64 {
        for k in 0..<9 { flipped[((c * 64 + o) * 9) + (8 - k)] = ws[(o * 64 + c) * 9 + k] }
      }
    }
    let expected = directConvolution(seed, Tensor(shape: [64, 64, 3, 3], scalars: flipped))
    #expect(maxNormalizedError(dx.scalars, expected) < 1e-5)
  }
}
