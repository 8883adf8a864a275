import Engine
import RunFormat

/// AutoAttack (Croce & Hein 2020), the ensemble a robustness claim is judged by: its
/// attacks run one after another, each only on the points still correctly classified, and
/// a point is robust only if it survives all of them.
///
/// - `standard`: APGD-CE (no restarts), APGD-T (targeted DLR, `targets` classes), FAB-T
///   (`targets` classes), Square (`queries` queries) — fra31/auto-attack's standard version,
///   with 100 iterations, 9 targets and 5,000 queries by default.
/// - `rand`, for randomised models: APGD-CE and APGD-DLR, each gradient an expectation over
///   `eotSamples` (20) forward/backward passes.
///
/// With fewer than 4 classes the targeted DLR loss is undefined and APGD-T is left out
/// (the evaluation says so in a sanity check); the targets are capped at classes − 1.
public struct AutoAttack: AdversarialAttack {
  /// fra31/auto-attack's versions.
  public enum Version: String, Sendable, Codable, CaseIterable {
    case standard
    case rand
  }

  public var norm: PerturbationNorm
  public var epsilon: Float
  public var version: Version
  /// Iterations of APGD, APGD-T and FAB-T.
  public var steps: Int
  /// Target classes of APGD-T and FAB-T (capped at classes − 1).
  public var targets: Int
  /// Square Attack's queries per example.
  public var queries: Int
  /// Gradient samples per iteration in the `rand` version.
  public var eotSamples: Int
  /// The images' geometry, for Square's windows (nil: Square is left out).
  public var imageShape: ImageShape?

  public init(
    norm: PerturbationNorm, epsilon: Float, version: Version = .standard, steps: Int = 100,
    targets: Int = 9, queries: Int = 5000, eotSamples: Int = 20, imageShape: ImageShape?
  ) {
    self.norm = norm
    self.epsilon = epsilon
    self.version = version
    self.steps = steps
    self.targets = targets
    self.queries = queries
    self.eotSamples = eotSamples
    self.imageShape = imageShape
  }

  /// The names of the stages run against a `classCount`-class model, in order.
  public func stageNames(classCount: Int) -> [String] {
    stages(classCount: classCount).map(\.name)
  }

  func stages(classCount: Int) -> [StagedAttack.Stage] {
    let targetCount = min(targets, classCount - 1)
    switch version {
    case .standard:
      var stages = [
        StagedAttack.Stage(
          name: "apgd-ce", attack: APGD(norm: norm, epsilon: epsilon, steps: steps), stream: 0)
      ]
      if classCount >= AttackKind.apgdT.minimumClasses {
        stages.append(
          .init(
            name: "apgd-t",
            attack: APGDTargeted(norm: norm, epsilon: epsilon, steps: steps, targets: targetCount),
            stream: 1))
      }
      stages.append(
        .init(
          name: "fab-t", attack: FABTargeted(norm: norm, epsilon: epsilon, steps: steps, targets: targetCount),
          stream: 2))
      if let shape = imageShape, shape.height >= 5, shape.width >= 5 {
        stages.append(
          .init(
            name: "square",
            attack: SquareAttack(
              norm: norm, epsilon: epsilon, queries: queries, channels: shape.channels, height: shape.height,
              width: shape.width),
            stream: 3))
      }
      return stages
    case .rand:
      var stages = [
        StagedAttack.Stage(
          name: "apgd-ce", attack: APGD(norm: norm, epsilon: epsilon, steps: steps, eotSamples: eotSamples),
          stream: 0)
      ]
      if classCount >= AttackKind.apgdDLR.minimumClasses {
        stages.append(
          .init(
            name: "apgd-dlr",
            attack: APGD(norm: norm, epsilon: epsilon, steps: steps, loss: .dlr, eotSamples: eotSamples),
            stream: 1))
      }
      return stages
    }
  }

  public func run<Classifier: AttackableClassifier>(
    on classifier: Classifier, images: [Float], labels: [Int], randomness: [RandomGenerator]
  ) -> AttackRun {
    StagedAttack(stages: stages(classCount: classifier.classCount)).run(
      on: classifier, images: images, labels: labels, randomness: randomness)
  }
}
