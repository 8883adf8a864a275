import Engine
import Foundation
import Testing

@testable import Analysis

@Suite struct FFTTests {
  /// Every radix (4, 2, 3, 5) against a direct DFT, forward and inverse.
  @Test(arguments: [1, 2, 3, 4, 5, 8, 12, 30, 60, 100, 300])
  func batchedFFTMatchesDirectDFT(n: Int) {
    let fft = BatchedFFT(length: n)
    var rng = RandomGenerator(seed: UInt64(n))
    let lanes = BatchedFFT.lanes
    let xr = (0..<n * lanes).map { _ in rng.normal() }
    let xi = (0..<n * lanes).map { _ in rng.normal() }
    let re = UnsafeMutablePointer<SIMD4<Double>>.allocate(capacity: 2 * n)
    let im = UnsafeMutablePointer<SIMD4<Double>>.allocate(capacity: 2 * n)
    let sr = UnsafeMutablePointer<SIMD4<Double>>.allocate(capacity: 2 * n)
    let si = UnsafeMutablePointer<SIMD4<Double>>.allocate(capacity: 2 * n)
    defer { [re, im, sr, si].forEach { $0.deallocate() } }
    func load() {
      for j in 0..<n {
        for v in 0..<2 {
          re[2 * j + v] = SIMD4((0..<4).map { xr[j * lanes + 4 * v + $0] })
          im[2 * j + v] = SIMD4((0..<4).map { xi[j * lanes + 4 * v + $0] })
        }
      }
    }
    load()
    fft.transform(re: re, im: im, scratchRe: sr, scratchIm: si)
    var worst = 0.0
    for lane in 0..<lanes {
      for f in 0..<n {
        var sumR = 0.0
        var sumI = 0.0
        for j in 0..<n {
          let a = -2 * Double.pi * Double(j * f % n) / Double(n)
          sumR += xr[j * lanes + lane] * cos(a) - xi[j * lanes + lane] * sin(a)
          sumI += xr[j * lanes + lane] * sin(a) + xi[j * lanes + lane] * cos(a)
        }
        worst = max(
          worst, abs(re[2 * f + lane / 4][lane % 4] - sumR),
          abs(im[2 * f + lane / 4][lane % 4] - sumI))
      }
    }
    #expect(worst < 1e-11 * Double(n))
    // Inverse (re and im swapped) brings back n·x.
    fft.transform(re: im, im: re, scratchRe: si, scratchIm: sr)
    var back = 0.0
    for j in 0..<n {
      for lane in 0..<lanes {
        back = max(back, abs(re[2 * j + lane / 4][lane % 4] / Double(n) - xr[j * lanes + lane]))
        back = max(back, abs(im[2 * j + lane / 4][lane % 4] / Double(n) - xi[j * lanes + lane]))
      }
    }
    #expect(back < 1e-12 * Double(n))
  }

  /// The pruned, padded FFT convolution equals the direct sum over grid nodes.
  @Test(arguments: [(15, 1.0), (27, 2.0), (30, 0.5)])
  func gridConvolutionMatchesDirectSum(m: Int, dof: Double) {
    let spacing = 0.37
    let grid = ConvolutionGrid(nodes: m, spacing: spacing, dof: dof, threads: ThreadCount(2))
    grid.clear()
    var rng = RandomGenerator(seed: UInt64(m))
    var qa = [Double](repeating: 0, count: m * m)
    var qb = qa
    var qc = qa
    for r in 0..<m {
      for c in 0..<m {
        qa[r * m + c] = rng.normal()
        qb[r * m + c] = rng.normal()
        qc[r * m + c] = rng.normal()
        grid.aRe[r * grid.l + c] = qa[r * m + c]
        grid.aIm[r * grid.l + c] = qb[r * m + c]
        grid.bRe[r * grid.l + c] = qc[r * m + c]
      }
    }
    grid.convolve(threads: ThreadCount(2))
    var worst = 0.0
    for r in stride(from: 0, to: m, by: 4) {
      for c in stride(from: 0, to: m, by: 3) {
        var a = 0.0
        var b = 0.0
        var c2 = 0.0
        var c1 = 0.0
        for r2 in 0..<m {
          for cc in 0..<m {
            let d2 = Double((r - r2) * (r - r2) + (c - cc) * (c - cc)) * spacing * spacing
            let base = 1 + d2 / dof
            let k1 = pow(base, -dof)
            let k2 = k1 / base
            a += k2 * qa[r2 * m + cc]
            b += k2 * qb[r2 * m + cc]
            c2 += k2 * qc[r2 * m + cc]
            c1 += k1 * qc[r2 * m + cc]
          }
        }
        let i = r * grid.l + c
        worst = max(
          worst, abs(grid.aRe[i] - a), abs(grid.aIm[i] - b), abs(grid.bRe[i] - c2),
          abs(grid.bIm[i] - c1))
      }
    }
    #expect(worst < 1e-10)
  }
}
