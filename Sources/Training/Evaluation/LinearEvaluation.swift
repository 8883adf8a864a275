import Analysis

/// Linear evaluation over a grid of L2 penalties: a probe per penalty on the frozen
/// training features, its validation and test accuracy, the penalty chosen on
/// validation. With a SelfCon sub-network the sub-exit's features get their own probes,
/// and the ensemble (SelfCon's evaluation) averages the two probes' logits.
public struct LinearEvaluation: Sendable {
  /// Accuracies of one head over the grid.
  public struct Head: Sendable {
    public var name: String
    public var validationAccuracy: [Double]
    public var testAccuracy: [Double]

    /// The grid index with the best validation accuracy (the first on ties).
    public var selected: Int { validationAccuracy.indices.max { validationAccuracy[$0] < validationAccuracy[$1] }! }
  }

  public var l2: [Double]
  /// The backbone's head first, then "sub" and "ensemble" when the features have a sub-exit.
  public var heads: [Head]

  /// Fits every probe; `progress(done, total)` after each penalty.
  public init(
    _ features: FrozenFeatures, l2 grid: [Double], progress: ((Int, Int) -> Void)? = nil
  ) throws(AnalysisInputError) {
    precondition(!grid.isEmpty, "LinearEvaluation: at least one penalty")
    guard let validation = features.validation else {
      throw AnalysisInputError("linear evaluation selects its penalty on validation: the validation split is empty")
    }
    let hasExit = features.train.exitFeatures != nil && validation.exitFeatures != nil && features.test.exitFeatures != nil
    var heads = (hasExit ? ["backbone", "sub", "ensemble"] : ["backbone"]).map {
      Head(name: $0, validationAccuracy: [], testAccuracy: [])
    }
    for (index, penalty) in grid.enumerated() {
      let probe = try LinearProbe(fitting: features.train.features, labels: features.train.labels, l2: penalty)
      var logits = [(FrozenFeatures.Split) -> [Double]]()
      logits.append { probe.logits($0.features) }
      if hasExit, let trainExit = features.train.exitFeatures {
        let subProbe = try LinearProbe(fitting: trainExit, labels: features.train.labels, l2: penalty)
        precondition(subProbe.classes == probe.classes, "LinearEvaluation: both probes see the same labels")
        logits.append { subProbe.logits($0.exitFeatures!) }
        logits.append { split in zip(probe.logits(split.features), subProbe.logits(split.exitFeatures!)).map { ($0 + $1) / 2 } }
      }
      for (head, headLogits) in logits.enumerated() {
        func accuracy(_ split: FrozenFeatures.Split) -> Double {
          let predicted = LinearProbe.predictions(headLogits(split), classes: probe.classes)
          return Double(zip(predicted, split.labels).filter { $0 == $1 }.count) / Double(max(split.labels.count, 1))
        }
        heads[head].validationAccuracy.append(accuracy(validation))
        heads[head].testAccuracy.append(accuracy(features.test))
      }
      progress?(index + 1, grid.count)
    }
    l2 = grid
    self.heads = heads
  }
}
