import RunFormat

/// The sanity checks of a robustness curve (analysis spec §4.7), as constructors.
extension SanityCheck {
  /// The gap tolerated between another attack and the curve's attack: AutoAttack's 0.2 pp,
  /// but at least one example, so that a single borderline example of a small check
  /// subset does not raise the alarm.
  public static func maskingTolerance(examples: Int) -> Double {
    max(0.002, 1 / Double(max(examples, 1))) + 1e-12
  }

  /// ε = 0 through the attack must give exactly the clean accuracy.
  public static func epsilonZero(cleanAccuracy: Double, attackedAccuracy: Double, examples: Int)
    -> SanityCheck
  {
    SanityCheck(
      name: "epsilon_zero_equals_clean", passed: cleanAccuracy == attackedAccuracy,
      severity: .error,
      detail:
        "clean accuracy \(percent(cleanAccuracy)), attack at eps 0 \(percent(attackedAccuracy)) "
        + "on \(examples) examples")
  }

  /// Every perturbation inside the ε-ball, every pixel in [0, 1], no NaN (the slack of the
  /// ball is in `FeasibilityRecord.record`).
  public static func feasibility(_ record: FeasibilityRecord) -> SanityCheck {
    let passed = record.outsideBall == 0 && record.outsideBox == 0 && record.notANumber == 0
    return SanityCheck(
      name: "perturbation_feasible", passed: passed, severity: .error,
      detail: "\(record.examples) adversarial examples: \(record.outsideBall) outside the eps-ball "
        + "(largest ‖δ‖/ε \(format(record.largestRatio))), \(record.outsideBox) pixels outside [0, 1], "
        + "\(record.notANumber) NaN")
  }

  /// Accuracy must not rise with ε (the raw curve, sorted by ε).
  public static func monotonicity(epsilons: [Float], accuracies: [Double]) -> SanityCheck {
    let order = epsilons.indices.sorted { epsilons[$0] < epsilons[$1] }
    var rises = [String]()
    for (a, b) in zip(order, order.dropFirst()) where accuracies[b] > accuracies[a] {
      rises.append(
        "\(format(epsilons[a]))→\(format(epsilons[b])): \(percent(accuracies[a]))→\(percent(accuracies[b]))"
      )
    }
    return SanityCheck(
      name: "accuracy_non_increasing_in_eps", passed: rises.isEmpty, severity: .warning,
      detail: rises.isEmpty
        ? "robust accuracy never rises with eps"
        : "robust accuracy rises with eps (\(rises.joined(separator: "; "))); see robust_accuracy_envelope"
    )
  }

  /// A stronger attack (twice the steps, one more restart) must not leave the model more
  /// accurate than the attack of the curve.
  public static func moreEffort(
    epsilons: [Float], base: [Double], stronger: [Double], examples: Int
  ) -> SanityCheck {
    let worse = epsilons.indices.filter { stronger[$0] > base[$0] }
    return SanityCheck(
      name: "more_effort_never_raises_accuracy", passed: worse.isEmpty, severity: .warning,
      detail: "on \(examples) examples, attack / stronger attack: "
        + pairs(epsilons, base, stronger))
  }

  /// The stronger attack must not find many more adversarial examples than the attack of
  /// the curve (more than 1 percentage point means the curve's attack had not converged).
  public static func converged(
    epsilons: [Float], base: [Double], stronger: [Double], examples: Int
  ) -> SanityCheck {
    let gaps = epsilons.indices.map { base[$0] - stronger[$0] }
    let largest = gaps.max() ?? 0
    return SanityCheck(
      name: "attack_converged", passed: largest <= 0.01 + 1e-12, severity: .warning,
      detail: "largest drop under twice the steps and one more restart: \(percent(largest)) "
        + "on \(examples) examples (tolerance 1 pp)")
  }

  /// Random noise of the same norm must not beat the attack (beyond `maskingTolerance`).
  public static func noiseBaseline(
    epsilons: [Float], attack: [Double], noise: [Double], draws: Int, examples: Int
  ) -> SanityCheck {
    notStronger(
      "random_noise_not_stronger", other: "random noise (\(draws) draws on the eps-sphere)",
      epsilons: epsilons,
      attack: attack, otherAccuracy: noise, examples: examples,
      verdict: "noise beats the attack: gradient masking suspected")
  }

  /// The gradient-free Square Attack must not beat the attack (beyond `maskingTolerance`;
  /// AutoAttack's check).
  public static func gradientFree(
    epsilons: [Float], attack: [Double], square: [Double], queries: Int, examples: Int
  ) -> SanityCheck {
    notStronger(
      "gradient_free_not_stronger", other: "Square Attack (\(queries) queries)", epsilons: epsilons,
      attack: attack, otherAccuracy: square, examples: examples,
      verdict: "the black-box attack wins: gradient masking suspected")
  }

  /// One full-size gradient step (FGSM/FGM) must not beat the iterative attack (beyond
  /// `maskingTolerance`).
  public static func singleStep(
    epsilons: [Float], attack: [Double], singleStep: [Double], examples: Int
  ) -> SanityCheck {
    notStronger(
      "single_step_not_stronger", other: "single step", epsilons: epsilons, attack: attack,
      otherAccuracy: singleStep, examples: examples,
      verdict: "the single step wins: attack bug or masking suspected")
  }

  /// A weaker attack (`other`) leaving lower accuracy than the curve's attack, by more than
  /// `maskingTolerance`, at any ε.
  private static func notStronger(
    _ name: String, other: String, epsilons: [Float], attack: [Double], otherAccuracy: [Double],
    examples: Int,
    verdict: String
  ) -> SanityCheck {
    let tolerance = maskingTolerance(examples: examples)
    let beaten = epsilons.indices.filter { otherAccuracy[$0] < attack[$0] - tolerance }
    return SanityCheck(
      name: name, passed: beaten.isEmpty, severity: .warning,
      detail: "on \(examples) examples, attack / \(other): "
        + pairs(epsilons, attack, otherAccuracy)
        + (beaten.isEmpty ? "" : "; " + verdict))
  }

  /// At ε = half the pixel range the attacker reaches almost any image, so accuracy must
  /// be about 0 (at most 1%).
  public static func largeEpsilon(epsilon: Float, accuracy: Double, examples: Int) -> SanityCheck {
    SanityCheck(
      name: "large_eps_accuracy_near_zero", passed: accuracy <= 0.01, severity: .warning,
      detail: "accuracy \(percent(accuracy)) at eps \(format(epsilon)) on \(examples) examples"
        + (accuracy <= 0.01 ? "" : "; masking suspected"))
  }

  /// The attack's mean loss must end higher than it started (over the first restart of
  /// every attack at a positive ε, weighted by the `examples` attacked).
  public static func lossIncreases(first: Double, last: Double, examples: Int) -> SanityCheck {
    SanityCheck(
      name: "attack_loss_increases", passed: last >= first, severity: .warning,
      detail: examples == 0
        ? "no loss trace (no example attacked at a positive eps, or an attack without a loss)"
        : "mean loss at the first and last iteration over \(examples) attacked examples: "
          + "\(format(first)) → \(format(last))")
  }

  /// At most 10% of the input-gradient entries may be exactly zero.
  public static func zeroGradients(fraction: Double) -> SanityCheck {
    SanityCheck(
      name: "gradients_not_zero", passed: fraction <= 0.1, severity: .warning,
      detail:
        "\(percent(fraction)) of input-gradient entries were exactly zero (sign(0) never moves a pixel)"
    )
  }

  /// The model must return logits, not probabilities (cross-entropy on probabilities
  /// saturates and hides adversarial examples).
  public static func logitsNotProbabilities(_ logits: [Float], classCount: Int) -> SanityCheck {
    let rows = classCount == 0 ? 0 : logits.count / classCount
    var probabilityRows = 0
    for row in 0..<rows {
      let values = logits[row * classCount..<(row + 1) * classCount]
      let sum = values.reduce(0.0) { $0 + Double($1) }
      if values.allSatisfy({ $0 >= 0 && $0 <= 1 }) && abs(sum - 1) < 1e-4 { probabilityRows += 1 }
    }
    let passed = rows == 0 || probabilityRows < rows
    return SanityCheck(
      name: "outputs_are_logits", passed: passed, severity: .warning,
      detail: passed
        ? "model outputs are not probability vectors"
        : "every output row lies in [0, 1] and sums to 1: the model returns probabilities, not logits"
    )
  }

  /// Two clean passes over the same batches must give identical logits.
  public static func deterministic(_ first: [Float], _ second: [Float]) -> SanityCheck {
    var differing = 0
    var largest: Float = 0
    for (a, b) in zip(first, second) where a != b || a.isNaN {
      differing += 1
      largest = max(largest, abs(a - b))
    }
    return SanityCheck(
      name: "model_deterministic", passed: differing == 0, severity: .warning,
      detail: differing == 0
        ? "two clean passes give identical logits"
        : "\(differing) of \(first.count) logits differ between two clean passes (largest difference "
          + "\(format(largest))): a randomised model needs expectation over transformation "
          + "(--attack autoattack --version rand)")
  }

  /// No example's gradient of the DLR loss at the image may be exactly zero: gradient
  /// attacks cannot move such examples, and their robustness is an artefact (AutoAttack's
  /// `check_zero_gradients`).
  public static func zeroGradientExamples(_ zero: Int, examples: Int) -> SanityCheck {
    SanityCheck(
      name: "gradient_at_every_example", passed: zero == 0, severity: .warning,
      detail: zero == 0
        ? "every one of \(examples) examples has a nonzero input gradient of the DLR loss"
        : "\(zero) of \(examples) examples have an input gradient of exactly zero: gradient-based attacks "
          + "cannot move them (gradient masking or saturated outputs)")
  }

  /// AutoAttack must run every attack of its version; APGD-T needs 4 classes (targeted
  /// DLR), Square needs images of at least 5x5 pixels.
  public static func autoAttackComplete(version: AutoAttack.Version, ran: [String]) -> SanityCheck {
    let expected = version == .standard ? ["apgd-ce", "apgd-t", "fab-t", "square"] : ["apgd-ce", "apgd-dlr"]
    let missing = expected.filter { !ran.contains($0) }
    return SanityCheck(
      name: "autoattack_complete", passed: missing.isEmpty, severity: .warning,
      detail: missing.isEmpty
        ? "ran \(ran.joined(separator: ", "))"
        : "left out \(missing.joined(separator: ", ")) (targeted DLR needs at least 4 classes, DLR 3, Square "
          + "images of at least 5x5 pixels): this is not AutoAttack \(version.rawValue)'s number")
  }

  /// Square Attack, run after the white-box attacks, must not lower robust accuracy by
  /// more than 0.2 percentage points (AutoAttack's `check_square_sr`): when a black-box
  /// attack finds what gradients missed, the gradients are likely masked.
  public static func squareAfterWhiteBox(epsilons: [Float], fooled: [Double], examples: Int) -> SanityCheck {
    let worse = zip(epsilons, fooled).filter { $0.1 > 0.002 }
    return SanityCheck(
      name: "square_adds_little", passed: worse.isEmpty, severity: .warning,
      detail: worse.isEmpty
        ? "Square Attack lowered robust accuracy by at most 0.2 points after the white-box attacks"
        : "Square Attack lowered robust accuracy after the white-box attacks by "
          + worse.map { "\(percent($0.1)) at eps \(format($0.0))" }.joined(separator: ", ")
          + " of \(examples) examples: the gradient-based attacks may be masked")
  }
}

/// The bookkeeping behind the feasibility check, summed over every attack output.
public struct FeasibilityRecord: Sendable, Equatable {
  public var examples = 0
  public var outsideBall = 0
  public var outsideBox = 0
  public var notANumber = 0
  public var largestRatio = 0.0

  public init() {}

  /// Adds the rows of `adversarial` (attacks of `original` at radius `epsilon`). A row is
  /// inside the ball when ‖δ‖ ≤ ε(1 + 1e-6) plus the rounding of float32 pixels x₀ + δ:
  /// one unit in the last place of 1 (2⁻²³) per pixel, i.e. 2⁻²³ for l-inf and √n·2⁻²³
  /// for l2.
  public mutating func record(
    adversarial: [Float], original: [Float], epsilon: Float, norm: PerturbationNorm, inputSize: Int
  ) {
    for value in adversarial {
      if value.isNaN { notANumber += 1 } else if value < 0 || value > 1 { outsideBox += 1 }
    }
    let sizes = norm.perturbationSizes(
      adversarial: adversarial, original: original, inputSize: inputSize)
    examples += sizes.count
    let rounding = 0x1p-23 * (norm == .linf ? 1 : Double(inputSize).squareRoot())
    let bound = Double(epsilon) * (1 + 1e-6) + rounding
    for size in sizes {
      if size > bound { outsideBall += 1 }
      if epsilon > 0 { largestRatio = max(largestRatio, size / Double(epsilon)) }
    }
  }
}

private func percent(_ value: Double) -> String { format(value * 100, digits: 2) + "%" }

private func format(_ value: Float) -> String { format(Double(value), digits: 4) }

private func format(_ value: Double) -> String { format(value, digits: 4) }

/// `value` with up to `digits` decimals, trailing zeros dropped.
private func format(_ value: Double, digits: Int) -> String {
  guard value.isFinite else { return String(value) }
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let rounded = (value * scale).rounded() / scale
  var text = String(rounded)
  if text.hasSuffix(".0") { text.removeLast(2) }
  return text
}

private func pairs(_ epsilons: [Float], _ a: [Double], _ b: [Double]) -> String {
  epsilons.indices.map { "eps \(format(epsilons[$0])) \(percent(a[$0])) / \(percent(b[$0]))" }
    .joined(separator: ", ")
}
