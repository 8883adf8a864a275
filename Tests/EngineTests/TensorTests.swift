import Engine
import Foundation
import Testing
import TestSupport

/// Forward values of the core ops against hand-computed results.
@Suite struct TensorTests {
  @Test func broadcastingValues() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor(shape: [3], scalars: [10, 20, 30])
    #expect((a + b).scalars == [11, 22, 33, 14, 25, 36])
    let c = Tensor(shape: [2, 1], scalars: [2, 3])
    #expect((a * c).scalars == [2, 4, 6, 12, 15, 18])
    #expect((a - 1).scalars == [0, 1, 2, 3, 4, 5])
    #expect(a.broadcast(to: [2, 2, 3]).scalars == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
  }

  @Test func reductionValues() {
    let a = Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
    #expect(a.sum().scalar == 21)
    #expect(a.sum(alongAxes: [0]).scalars == [5, 7, 9])
    #expect(a.mean(alongAxes: [1]).scalars == [3, 4])
    #expect(a.variance(alongAxes: [1]).scalars == [4, 4])
    #expect(a.argmax(alongAxis: 1) == [1, 2])
    #expect(a.argmin(alongAxis: 0) == [0, 1, 0])
    #expect(a.max().scalar == 6)
    let ties = Tensor(shape: [4], scalars: [1, 3, 3, 2])
    #expect(ties.argmax() == [1])
    let (values, indices) = ties.topK(3)
    #expect(values.scalars == [3, 3, 2] && indices == [1, 2, 3])
  }

  @Test func matmulAgreesWithNaiveProduct() {
    let a = randomTensor([37, 53], seed: 1)
    let b = randomTensor([53, 29], seed: 2)
    let c = a.matmul(b)
    var expected = [Float](repeating: 0, count: 37 * 29)
    for i in 0..<37 { for j in 0..<29 { var s: Double = 0; for k in 0..<53 { s += Double(a[i, k]) * Double(b[k, j]) }; expected[i * 29 + j] = Float(s) } }
    #expect(maxRelativeError(c.scalars, expected) < 1e-4)
    // Large enough to be split over threads, in both directions.
    let big = randomTensor([300, 200], seed: 3)
    let other = randomTensor([200, 250], seed: 4)
    let one = withThreads(.one) { big.matmul(other) }
    let two = withThreads(ThreadCount(2)) { big.matmul(other) }
    #expect(maxRelativeError(two.scalars, one.scalars) < 2e-4)
    let wide = randomTensor([8, 2000], seed: 5)
    let oneWide = withThreads(.one) { wide.matmul(other.reshaped(to: [2000, 25]), transposeSelf: false) }
    let twoWide = withThreads(ThreadCount(2)) { wide.matmul(other.reshaped(to: [2000, 25])) }
    #expect(maxRelativeError(twoWide.scalars, oneWide.scalars) < 2e-4)
  }

  @Test func softmaxAndNormalize() {
    let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, 1000])
    let s = x.softmax()
    #expect(abs(s.sum(alongAxes: [1]).scalars[0] - 1) < 1e-6)
    #expect(s.scalars[3...].allSatisfy { abs($0 - 1.0 / 3) < 1e-6 })
    #expect(abs(x.logSumExp().scalars[1] - (1000 + logf(3))) < 1e-3)
    let n = Tensor(shape: [1, 2], scalars: [3, 4]).l2Normalized()
    #expect(n.scalars == [0.6, 0.8])
    let zero = Tensor(zeros: [1, 3]).l2Normalized()
    #expect(zero.scalars == [0, 0, 0])
  }

  @Test func tapeAccumulatesAndReleases() {
    let w = Tensor(shape: [2], scalars: [1, 2]).requiringGradient()
    (w * w).sum().backward()
    (w * 3).sum().backward()
    #expect(w.gradient?.scalars == [5, 7])
    w.clearGradient()
    #expect(w.gradient == nil)
    // Gradients with respect to an intermediate result and an input.
    let x = Tensor(shape: [2], scalars: [3, 4]).requiringGradient()
    let h = x * 2
    let y = (h * h).sum()
    let g = gradients(of: y, wrt: [h, x])
    #expect(g[0].scalars == [12, 16] && g[1].scalars == [24, 32])
    #expect(x.gradient == nil)
    // Unreachable inputs get zeros; no-grad results have no tape.
    let unused = Tensor(zeros: [3]).requiringGradient()
    #expect(gradients(of: (x * 1).sum(), wrt: [unused])[0].scalars == [0, 0, 0])
    #expect(!withoutGradients { x * 2 }.requiresGradient)
    #expect(!(x.detached() * 2).requiresGradient)
    // Stop-gradient: the detached path contributes nothing.
    let z = (x.detached() * x).sum()
    #expect(gradients(of: z, wrt: [x])[0].scalars == [3, 4])
  }

  @Test func copyOnWrite() {
    let a = Tensor(shape: [2], scalars: [1, 2])
    var b = a
    b.withUnsafeMutableBufferPointer { $0[0] = 9 }
    #expect(a.scalars == [1, 2] && b.scalars == [9, 2])
  }

  @Test func lossesAndMasks() throws {
    let logits = Tensor(shape: [2, 2], scalars: [0, 0, 2, 0])
    let ce = logits.crossEntropy(labels: [0, 1]).scalar
    let expected = (logf(2) + (2 + logf(1 + expf(-2)))) / 2
    #expect(abs(ce - expected) < 1e-6)
    #expect(Tensor.oneHot([1, 0], classes: 3).scalars == [0, 1, 0, 1, 0, 0])
    #expect(Tensor.equalityMask([1, 2, 1]).scalars == [1, 0, 1, 0, 1, 0, 1, 0, 1])
    let filled = Tensor.select(Tensor.identity(2), Tensor(-.infinity), Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
    #expect(filled.scalars == [-.infinity, 2, 3, -.infinity])
    #expect(throws: NumericError.self) { try (logits / 0).checkFinite("loss") }
  }
}
