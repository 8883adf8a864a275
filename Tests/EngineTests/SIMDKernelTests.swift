import Engine
import SIMDKernels
import Testing
import TestSupport

/// The convolution kernels (padded-image rows, Winograd transforms) in every
/// instruction-set variant this CPU runs, against sums in Double, with sizes that leave
/// remainders after each register block or vector.
@Suite struct SIMDKernelTests {
  static var variants: [clens_isa] {
    [clens_isa_baseline, clens_isa_avx2, clens_isa_avx512].filter { $0.rawValue <= clens_detected_isa().rawValue }
  }

  /// A buffer of random floats and `count` row pointers into it at scattered offsets.
  struct Rows {
    let storage: [Float]
    let offsets: [Int]
    init(count: Int, length: Int, rng: inout RandomGenerator) {
      storage = Tensor(randomNormal: [count * 7 + length + 16], using: &rng).scalars
      offsets = (0..<count).map { ($0 * 7 + $0 % 3) }
    }
    func value(_ j: Int, _ t: Int) -> Double { Double(storage[offsets[j] + t]) }
    func withPointers<R>(_ body: (UnsafePointer<UnsafePointer<Float>?>) -> R) -> R {
      storage.withUnsafeBufferPointer { buffer in
        let pointers: [UnsafePointer<Float>?] = offsets.map { buffer.baseAddress! + $0 }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
      }
    }
  }

  @Test(arguments: variants, [(29, 37, 48), (9, 5, 16), (50, 20, 32)])
  func rowsTimesMatrixAccumulates(isa: clens_isa, size: (n: Int, length: Int, m: Int)) {
    var rng = RandomGenerator(seed: 31)
    let rows = Rows(count: size.n, length: size.length, rng: &rng)
    let b = Tensor(randomNormal: [size.length, size.m], using: &rng).scalars
    var c = Tensor(randomNormal: [size.n, size.m], using: &rng).scalars
    var expected = c
    for j in 0..<size.n {
      for i in 0..<size.m {
        var sum = Double(expected[j * size.m + i])
        for t in 0..<size.length { sum += rows.value(j, t) * Double(b[t * size.m + i]) }
        expected[j * size.m + i] = Float(sum)
      }
    }
    rows.withPointers { pointers in
      clens_accumulate_rows_times_using(isa, pointers, size.n, size.length, b, size.m, size.m, &c, size.m)
    }
    #expect(maxNormalizedError(c, expected) < 1e-5)
  }

  /// Sizes that take every block of the kernel: rows of c in full, 4-row (2-row) and
  /// single-row blocks (11, 16, 32, 2, 12, 10 rows), tails of t shorter than a block, and
  /// a deep sum (600 image rows).
  @Test(arguments: variants, [(11, 29, 112), (16, 3, 16), (4, 40, 64), (32, 7, 48), (2, 5, 16), (12, 9, 80), (10, 600, 96)])
  func rowsCombineWithWeights(isa: clens_isa, size: (m: Int, n: Int, length: Int)) {
    var rng = RandomGenerator(seed: 32)
    let rows = Rows(count: size.n, length: size.length, rng: &rng)
    let a = Tensor(randomNormal: [size.m, size.n], using: &rng).scalars
    var c = [Float](repeating: .nan, count: size.m * size.length)
    var expected = c
    for i in 0..<size.m {
      for t in 0..<size.length {
        var sum = 0.0
        for j in 0..<size.n { sum += Double(a[i * size.n + j]) * rows.value(j, t) }
        expected[i * size.length + t] = Float(sum)
      }
    }
    rows.withPointers { pointers in
      clens_combine_rows_using(isa, a, size.n, size.m, pointers, size.n, size.length, &c, size.length)
    }
    #expect(maxNormalizedError(c, expected) < 1e-5)
  }

  /// Winograd's Bᵀ (input) and Aᵀ (output) for F(2×2, 3×3).
  static let inputMatrix: [[Double]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
  static let outputMatrix: [[Double]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

  @Test(arguments: variants, [(9, 11), (8, 8), (5, 3), (16, 17), (1, 1)])
  func winogradInputTransformIsBTransposedDB(isa: clens_isa, size: (height: Int, width: Int)) {
    var rng = RandomGenerator(seed: 33)
    let (h, w) = size
    let (tileRows, tileColumns) = ((h + 1) / 2, (w + 1) / 2)
    let tiles = tileRows * tileColumns
    let plane = Tensor(randomNormal: [h * w], using: &rng).scalars
    var v = [Float](repeating: .nan, count: 16 * tiles)
    var scratch = [Float](repeating: .nan, count: clens_winograd_scratch(w))
    clens_winograd_input_plane_using(isa, plane, h, w, &v, tiles, &scratch)
    var expected = [Float](repeating: 0, count: 16 * tiles)
    let bt = Self.inputMatrix
    for ty in 0..<tileRows {
      for tx in 0..<tileColumns {
        func d(_ i: Int, _ j: Int) -> Double {
          let (y, x) = (2 * ty - 1 + i, 2 * tx - 1 + j)
          return y >= 0 && y < h && x >= 0 && x < w ? Double(plane[y * w + x]) : 0
        }
        for a in 0..<4 {
          for b in 0..<4 {
            var sum = 0.0
            for i in 0..<4 { for j in 0..<4 { sum += bt[a][i] * d(i, j) * bt[b][j] } }
            expected[(4 * a + b) * tiles + ty * tileColumns + tx] = Float(sum)
          }
        }
      }
    }
    #expect(maxNormalizedError(v, expected) < 1e-6)
  }

  @Test(arguments: variants, [(9, 11), (8, 8), (5, 3), (16, 17), (1, 1)])
  func winogradOutputTransformIsATransposedMA(isa: clens_isa, size: (height: Int, width: Int)) {
    var rng = RandomGenerator(seed: 34)
    let (h, w) = size
    let (tileRows, tileColumns) = ((h + 1) / 2, (w + 1) / 2)
    let tiles = tileRows * tileColumns
    let m = Tensor(randomNormal: [16 * tiles], using: &rng).scalars
    var y = [Float](repeating: .nan, count: h * w)
    var scratch = [Float](repeating: .nan, count: clens_winograd_scratch(w))
    clens_winograd_output_plane_using(isa, m, tiles, h, w, &y, &scratch)
    var expected = [Float](repeating: .nan, count: h * w)
    let at = Self.outputMatrix
    for ty in 0..<tileRows {
      for tx in 0..<tileColumns {
        for a in 0..<2 {
          for b in 0..<2 where 2 * ty + a < h && 2 * tx + b < w {
            var sum = 0.0
            for i in 0..<4 {
              for j in 0..<4 { sum += at[a][i] * Double(m[(4 * i + j) * tiles + ty * tileColumns + tx]) * at[b][j] }
            }
            expected[(2 * ty + a) * w + 2 * tx + b] = Float(sum)
          }
        }
      }
    }
    #expect(maxNormalizedError(y, expected) < 1e-6)
  }
}
