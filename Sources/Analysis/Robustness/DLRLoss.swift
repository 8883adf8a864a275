/// AutoAttack's difference-of-logits-ratio losses (Croce & Hein 2020) and their gradients
/// with respect to the logits, per example, as torchattacks 3.5.1 computes them.
///
/// With the logits sorted descending (z_π1 ≥ z_π2 ≥ …):
/// - untargeted: −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 10⁻¹²);
/// - targeted at class t: −(z_y − z_t) / (z_π1 − ½(z_π3 + z_π4) + 10⁻¹²).
/// Both are invariant to shifting and scaling the logits, so, unlike cross-entropy, they do
/// not saturate on confidently classified points. The losses are float32 values computed
/// as PyTorch computes them; the gradient is computed in `Double` and returned in `Float`
/// for the model's backward pass.
public struct DLRLoss {
  /// Loss of each example.
  public let losses: [Double]
  /// ∂(Σᵢ lossᵢ)/∂logits, `[count, classCount]`.
  public let logitGradient: [Float]

  /// The untargeted loss of `logits` (`[labels.count, classCount]`, at least 3 classes).
  public init(logits: [Float], labels: [Int], classCount: Int) {
    self.init(logits: logits, labels: labels, targets: nil, classCount: classCount)
  }

  /// The targeted loss towards `targets[i]` (at least 4 classes).
  public init(logits: [Float], labels: [Int], targets: [Int], classCount: Int) {
    self.init(logits: logits, labels: labels, targets: Optional(targets), classCount: classCount)
  }

  private init(logits: [Float], labels: [Int], targets: [Int]?, classCount: Int) {
    let count = labels.count
    precondition(logits.count == count * classCount, "DLRLoss: logits do not match labels")
    precondition(classCount >= (targets == nil ? 3 : 4), "DLRLoss: too few classes")
    var losses = [Double](repeating: 0, count: count)
    var gradient = [Float](repeating: 0, count: logits.count)
    for row in 0..<count {
      let base = row * classCount
      let z = { (c: Int) in Double(logits[base + c]) }
      let order = AttackMath.descendingClasses(logits, row: row, classCount: classCount)
      let label = labels[row]
      let rival: Int
      if let targets {
        rival = targets[row]
      } else {
        rival = order[0] == label ? order[1] : order[0]
      }
      // d(denominator)/dz: weights of the sorted logits it is made of.
      let scale: [(Int, Double)] =
        targets == nil
        ? [(order[0], 1), (order[2], -1)]
        : [(order[0], 1), (order[2], -0.5), (order[3], -0.5)]
      var denominator = 1e-12
      for (c, weight) in scale { denominator += weight * z(c) }
      let numerator = z(label) - z(rival)
      // The loss APGD compares from step to step, in float32 and in PyTorch's order of
      // operations: near-equal losses then compare as they do in torchattacks, so a
      // checkpoint halves the same step sizes.
      let f = { (c: Int) in logits[base + c] }
      let floatDenominator: Float =
        targets == nil
        ? f(order[0]) - f(order[2]) + 1e-12
        : f(order[0]) - 0.5 * f(order[2]) - 0.5 * f(order[3]) + 1e-12
      losses[row] = Double(-(f(label) - f(rival)) / floatDenominator)
      var g = [Double](repeating: 0, count: classCount)
      g[label] -= 1 / denominator
      g[rival] += 1 / denominator
      for (c, weight) in scale { g[c] += weight * numerator / (denominator * denominator) }
      for c in 0..<classCount { gradient[base + c] = Float(g[c]) }
    }
    self.losses = losses
    self.logitGradient = gradient
  }
}
