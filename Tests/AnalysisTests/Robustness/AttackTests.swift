import Analysis
import Engine
import RunFormat
import Testing

/// Properties of the attacks themselves: the starting points, the projection, early exit,
/// and what a seed determines.
@Suite struct AttackTests {
  /// A linear model on `inputSize` pixels that sit at 0.5, far from the box edges.
  static func centred(count: Int, inputSize: Int) -> (LinearClassifier, [Float], [Int]) {
    let (model, _, labels) = OracleData.binary(count: count, inputSize: inputSize, seed: 21)
    return (model, [Float](repeating: 0.5, count: count * inputSize), labels)
  }

  static func streams(_ count: Int, seed: UInt64 = 1) -> [RandomGenerator] {
    (0..<count).map { RandomGenerator(seed: seed).stream(UInt64($0)) }
  }

  /// torchattacks' l2 start: radius U(0, 1)·ε (so ‖δ‖/ε is uniform, not the r^(1/n) of a
  /// point uniform in the ball); l-inf start: every coordinate uniform in [−ε, ε].
  @Test func randomStartDistributions() {
    let count = 4000
    let n = 50
    let (model, x, y) = Self.centred(count: count, inputSize: n)
    let l2 = PGD(norm: .l2, epsilon: 0.2, stepSize: 0, steps: 0).run(
      on: model, images: x, labels: y, randomness: Self.streams(count))
    let radii = PerturbationNorm.l2.perturbationSizes(
      adversarial: l2.adversarial, original: x, inputSize: n
    )
    .map { $0 / 0.2 }
    let mean = radii.reduce(0, +) / Double(count)
    let belowQuarter = Double(radii.filter { $0 < 0.25 }.count) / Double(count)
    #expect(
      abs(mean - 0.5) < 0.015 && abs(belowQuarter - 0.25) < 0.025,
      "mean \(mean), P(r < 1/4) \(belowQuarter)")
    #expect(radii.allSatisfy { $0 <= 1 + 1e-6 })

    let linf = PGD(norm: .linf, epsilon: 0.1, stepSize: 0, steps: 0).run(
      on: model, images: x, labels: y, randomness: Self.streams(count))
    let deltas = zip(linf.adversarial, x).map { Double($0 - $1) / 0.1 }
    let deltaMean = deltas.reduce(0, +) / Double(deltas.count)
    let deltaVariance = deltas.reduce(0) { $0 + $1 * $1 } / Double(deltas.count)
    #expect(abs(deltaMean) < 0.005 && abs(deltaVariance - 1.0 / 3) < 0.005)
    #expect(deltas.allSatisfy { abs($0) <= 1 + 1e-6 })
  }

  /// One l-inf step moves each pixel by α·sign(g) and clips to the ball and the box; one
  /// l2 step moves by α along g/‖g‖ and rescales to the sphere.
  @Test func singleStepsByHand() {
    // logits [0, w·x] with w = (1, −2, 0): for label 0 the CE gradient is σ(w·x)·w.
    let model = LinearClassifier(
      weights: [0, 0, 0, 1, -2, 0], bias: [0, 0], classCount: 2, inputSize: 3)
    let x: [Float] = [0.5, 0.99, 0.3]
    let linf = PGD(norm: .linf, epsilon: 0.05, stepSize: 0.03, steps: 2, randomStart: false)
      .run(on: model, images: x, labels: [0], randomness: Self.streams(1))
    // Step 1: (0.53, 0.96, 0.3); step 2: (0.56, 0.93, 0.3) projected to the ball of 0.05:
    // (0.55, 0.94, 0.3); the third pixel has g = 0 and never moves.
    #expect(
      zip(linf.adversarial, [Float(0.55), 0.94, 0.3]).allSatisfy { abs($0 - $1) < 1e-6 },
      "\(linf.adversarial)")
    let up = PGD(norm: .linf, epsilon: 0.05, stepSize: 0.03, steps: 2, randomStart: false)
      .run(on: model, images: x, labels: [1], randomness: Self.streams(1))
    // Label 1 pushes pixel 2 up: 0.99 + 0.03 clips to the box at 1.
    #expect(zip(up.adversarial, [Float(0.45), 1, 0.3]).allSatisfy { abs($0 - $1) < 1e-6 })

    let l2 = PGD(norm: .l2, epsilon: 0.05, stepSize: 0.1, steps: 1, randomStart: false)
      .run(on: model, images: [0.5, 0.5, 0.5], labels: [0], randomness: Self.streams(1))
    let root5 = Float(5).squareRoot()
    let unit: [Float] = [1 / root5, -2 / root5, 0]
    #expect(zip(l2.adversarial, unit.map { 0.5 + 0.05 * $0 }).allSatisfy { abs($0 - $1) < 1e-6 })
  }

  /// Early exit returns the first misclassified iterate: it never raises robust accuracy,
  /// and every example it reports as fooled is misclassified at the returned point.
  @Test func earlyExitNeverRaisesRobustAccuracy() {
    let (model, x, y) = OracleData.multiclass(count: 300, inputSize: 16, classCount: 4, seed: 22)
    for norm in PerturbationNorm.allCases {
      let epsilon: Float = norm == .linf ? 0.01 : 0.04
      let plain = PGD(norm: norm, epsilon: epsilon, stepSize: epsilon / 4, steps: 20)
      var early = plain
      early.earlyExit = true
      let a = plain.run(on: model, images: x, labels: y, randomness: Self.streams(300))
      let b = early.run(on: model, images: x, labels: y, randomness: Self.streams(300))
      #expect(zip(a.fooled, b.fooled).allSatisfy { !$0 || $1 })
      let z = model.logits(b.adversarial, count: 300)
      for i in 0..<300 where b.fooled[i] {
        let row = z[i * 4..<(i + 1) * 4]
        #expect(row.indices.max { row[$0] < row[$1] } != i * 4 + y[i])
      }
      let sizes = norm.perturbationSizes(adversarial: b.adversarial, original: x, inputSize: 16)
      #expect(sizes.allSatisfy { $0 <= Double(epsilon) * (1 + 1e-5) })
    }
  }

  /// A seed fixes every draw: same seed, same points; another seed, other points. (On a
  /// model with gradients every start would converge to the same vertex of the ball; the
  /// quantised model keeps the starting points.)
  @Test func seedDeterminesTheRun() {
    let (linear, x, y) = OracleData.binary(count: 50, inputSize: 10, seed: 23)
    let model = QuantisedClassifier(inner: linear, levels: 4)
    for attack in [
      PGD(norm: .l2, epsilon: 0.05, stepSize: 0.01, steps: 5) as any AdversarialAttack,
      APGD(norm: .linf, epsilon: 0.01, steps: 5), RandomNoise(norm: .l2, epsilon: 0.05, draws: 3),
    ] {
      let a = attack.run(on: model, images: x, labels: y, randomness: Self.streams(50, seed: 1))
      let b = attack.run(on: model, images: x, labels: y, randomness: Self.streams(50, seed: 1))
      let c = attack.run(on: model, images: x, labels: y, randomness: Self.streams(50, seed: 2))
      #expect(a.adversarial == b.adversarial && a.fooled == b.fooled)
      #expect(a.adversarial != c.adversarial)
    }
  }

  /// The noise baseline draws on the sphere of radius ε (l-inf: every pixel ±ε).
  @Test func noiseLiesOnTheSphere() {
    let (model, x, y) = Self.centred(count: 20, inputSize: 30)
    for (norm, epsilon) in [(PerturbationNorm.linf, Float(0.05)), (.l2, 0.3)] {
      let run = RandomNoise(norm: norm, epsilon: epsilon, draws: 2).run(
        on: model, images: x, labels: y, randomness: Self.streams(20))
      let sizes = norm.perturbationSizes(adversarial: run.adversarial, original: x, inputSize: 30)
      #expect(sizes.allSatisfy { abs($0 - Double(epsilon)) < 1e-6 })
    }
  }
}
