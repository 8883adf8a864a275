import Engine
import SIMDKernels
import Testing
import TestSupport

/// The padded-image convolution kernels in every instruction-set variant this CPU runs,
/// against sums in Double, with sizes that leave remainders after each register block.
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

  @Test(arguments: variants, [(11, 29, 112), (16, 3, 16), (4, 40, 64)])
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
}
