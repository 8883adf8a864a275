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

  /// Winograd's Bᵀ (input) and Aᵀ (output) for F(4×4, 3×3) at the points 0, 1, −1, 2,
  /// −1/2 and ∞.
  static let inputMatrix: [[Double]] = [
    [1, 1.5, -2, -1.5, 1, 0], [0, -1, -2.5, -0.5, 1, 0], [0, 1, 0.5, -2.5, 1, 0],
    [0, -0.5, -1, 0.5, 1, 0], [0, 2, -1, -2, 1, 0], [0, 1, 1.5, -2, -1.5, 1],
  ]
  static let outputMatrix: [[Double]] = [
    [1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -0.5, 0], [0, 1, 1, 4, 0.25, 0], [0, 1, -1, 8, -0.125, 1],
  ]

  /// Map sizes with partial tiles in each direction, a single tile, and one image's
  /// tiles not filling a vector (so lanes span images), for three stacked images whose
  /// planes lie `gap` floats apart.
  static let winogradSizes = [(9, 11), (8, 8), (5, 3), (16, 17), (1, 1), (32, 32), (7, 30)]

  /// A tile transform of `clens_winograd4_input_using`'s signature.
  typealias TileTransform = (
    clens_isa, UnsafePointer<Float>?, Int, Int, Int, Int, UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Float>?
  ) -> Void

  /// Runs `transform` on three stacked planes `gap` floats apart and compares value (i, j)
  /// of every tile with `expected(pixel, ty, tx, i, j)`, where pixel(y, x) reads the tile's
  /// image (0 outside it); the columns past the tiles must stay as they were (NaN).
  func checkTileTransform(
    _ transform: TileTransform, isa: clens_isa, size: (height: Int, width: Int), seed: UInt64,
    expected: (_ pixel: (Int, Int) -> Double, _ ty: Int, _ tx: Int, _ i: Int, _ j: Int) -> Double
  ) {
    var rng = RandomGenerator(seed: seed)
    let (h, w) = size
    let (tileRows, tileColumns) = ((h + 3) / 4, (w + 3) / 4)
    let (count, gap) = (3, h * w + 5)
    let tiles = count * tileRows * tileColumns
    let stride = tiles + 3
    let planes = Tensor(randomNormal: [count * gap], using: &rng).scalars
    var v = [Float](repeating: .nan, count: 36 * stride)
    var scratch = [Float](repeating: .nan, count: clens_winograd4_scratch(count, h, w))
    transform(isa, planes, gap, count, h, w, &v, stride, &scratch)
    var wanted = v
    for g in 0..<count {
      func pixel(_ y: Int, _ x: Int) -> Double {
        y >= 0 && y < h && x >= 0 && x < w ? Double(planes[g * gap + y * w + x]) : 0
      }
      for ty in 0..<tileRows {
        for tx in 0..<tileColumns {
          for i in 0..<6 {
            for j in 0..<6 {
              wanted[(6 * i + j) * stride + (g * tileRows + ty) * tileColumns + tx] = Float(expected(pixel, ty, tx, i, j))
            }
          }
        }
      }
    }
    for a in 0..<36 { for t in tiles..<stride { #expect(v[a * stride + t].isNaN) } }
    let inside = (0..<36).flatMap { a in (0..<tiles).map { a * stride + $0 } }
    #expect(maxNormalizedError(inside.map { v[$0] }, inside.map { wanted[$0] }) < 1e-6)
  }

  /// Bᵀ d B of every 6×6 tile, d starting one row and column before the 4×4 output tile.
  @Test(arguments: variants, winogradSizes)
  func winogradInputTransformIsBTransposedDB(isa: clens_isa, size: (height: Int, width: Int)) {
    let bt = Self.inputMatrix
    checkTileTransform(clens_winograd4_input_using, isa: isa, size: size, seed: 33) { pixel, ty, tx, a, b in
      var sum = 0.0
      for i in 0..<6 { for j in 0..<6 { sum += bt[a][i] * pixel(4 * ty - 1 + i, 4 * tx - 1 + j) * bt[b][j] } }
      return sum
    }
  }

  @Test(arguments: variants, winogradSizes)
  func winogradOutputTransformIsATransposedMA(isa: clens_isa, size: (height: Int, width: Int)) {
    var rng = RandomGenerator(seed: 34)
    let (h, w) = size
    let (tileRows, tileColumns) = ((h + 3) / 4, (w + 3) / 4)
    let (count, gap) = (3, h * w + 5)
    let tiles = count * tileRows * tileColumns
    let stride = (tiles + 15) / 16 * 16
    let m = Tensor(randomNormal: [36 * stride], using: &rng).scalars
    var y = [Float](repeating: .nan, count: count * gap)
    var scratch = [Float](repeating: .nan, count: clens_winograd4_scratch(count, h, w))
    clens_winograd4_output_using(isa, m, stride, count, h, w, &y, gap, &scratch)
    var expected = [Float](repeating: .nan, count: count * gap)
    let at = Self.outputMatrix
    for g in 0..<count {
      for ty in 0..<tileRows {
        for tx in 0..<tileColumns {
          let t = (g * tileRows + ty) * tileColumns + tx
          for a in 0..<4 {
            for b in 0..<4 where 4 * ty + a < h && 4 * tx + b < w {
              var sum = 0.0
              for i in 0..<6 {
                for j in 0..<6 { sum += at[a][i] * Double(m[(6 * i + j) * stride + t]) * at[b][j] }
              }
              expected[g * gap + (4 * ty + a) * w + 4 * tx + b] = Float(sum)
            }
          }
        }
      }
    }
    // The floats between the planes are left as they were (NaN here).
    for g in 0..<count { for k in h * w..<gap { #expect(y[g * gap + k].isNaN) } }
    let inside = (0..<count).flatMap { g in (0..<h * w).map { g * gap + $0 } }
    #expect(maxNormalizedError(inside.map { y[$0] }, inside.map { expected[$0] }) < 1e-6)
  }

  /// Winograd's G for F(4×4, 3×3) at the same points.
  static let kernelMatrix: [[Double]] = [
    [1, 0, 0], [-1.0 / 3, -1.0 / 3, -1.0 / 3], [1.0 / 3, -1.0 / 3, 1.0 / 3],
    [1.0 / 15, 2.0 / 15, 4.0 / 15], [-16.0 / 15, 8.0 / 15, -4.0 / 15], [0, 0, 1],
  ]

  /// Kernels 5 ..< 42 of 45 (a partial vector at each end), the others left untouched.
  @Test(arguments: variants)
  func winogradKernelTransformIsGgGTransposed(isa: clens_isa) {
    var rng = RandomGenerator(seed: 35)
    let (pairs, first, end) = (45, 5, 42)
    let w = Tensor(randomNormal: [pairs * 9], using: &rng).scalars
    var u = [Float](repeating: .nan, count: 36 * pairs)
    clens_winograd4_kernel_using(isa, w, first, end, pairs, &u)
    var expected = [Float](repeating: .nan, count: 36 * pairs)
    let g = Self.kernelMatrix
    for p in first..<end {
      for a in 0..<6 {
        for b in 0..<6 {
          var sum = 0.0
          for i in 0..<3 { for j in 0..<3 { sum += g[a][i] * Double(w[p * 9 + 3 * i + j]) * g[b][j] } }
          expected[(6 * a + b) * pairs + p] = Float(sum)
        }
      }
    }
    let inside = (0..<36).flatMap { a in (first..<end).map { a * pairs + $0 } }
    #expect(maxNormalizedError(inside.map { u[$0] }, inside.map { expected[$0] }) < 1e-6)
    #expect((0..<36).allSatisfy { a in (0..<first).allSatisfy { u[a * pairs + $0].isNaN } })
    #expect((0..<36).allSatisfy { a in (end..<pairs).allSatisfy { u[a * pairs + $0].isNaN } })
  }

  /// A dy Aᵀ of every 4×4 tile (zeros past the image).
  @Test(arguments: variants, winogradSizes)
  func winogradOutputAdjointIsADyATransposed(isa: clens_isa, size: (height: Int, width: Int)) {
    let at = Self.outputMatrix
    checkTileTransform(clens_winograd4_output_adjoint_using, isa: isa, size: size, seed: 36) { pixel, ty, tx, i, j in
      var sum = 0.0
      for a in 0..<4 { for b in 0..<4 { sum += at[a][i] * pixel(4 * ty + a, 4 * tx + b) * at[b][j] } }
      return sum
    }
  }

  /// Gᵀ m G for pairs 5 ..< 42 of 45, the others left untouched.
  @Test(arguments: variants)
  func winogradKernelAdjointIsGTransposedMG(isa: clens_isa) {
    var rng = RandomGenerator(seed: 37)
    let (pairs, first, end) = (45, 5, 42)
    let m = Tensor(randomNormal: [36 * pairs], using: &rng).scalars
    var w = [Float](repeating: .nan, count: pairs * 9)
    clens_winograd4_kernel_adjoint_using(isa, m, first, end, pairs, &w)
    var expected = w
    let g = Self.kernelMatrix
    for p in first..<end {
      for i in 0..<3 {
        for j in 0..<3 {
          var sum = 0.0
          for a in 0..<6 { for b in 0..<6 { sum += g[a][i] * Double(m[(6 * a + b) * pairs + p]) * g[b][j] } }
          expected[p * 9 + 3 * i + j] = Float(sum)
        }
      }
    }
    let inside = Array(first * 9..<end * 9)
    #expect(maxNormalizedError(inside.map { w[$0] }, inside.map { expected[$0] }) < 1e-6)
    #expect((0..<first * 9).allSatisfy { w[$0].isNaN } && (end * 9..<pairs * 9).allSatisfy { w[$0].isNaN })
  }
}
