import Analysis
import Datasets
import Engine
import RunFormat

/// Adversarial training (Madry et al.; the Core-tuning paper's AT-CE and AT-Core): each
/// training batch is replaced by PGD adversarial examples of the current model, made in
/// evaluation mode with the parameters frozen, before the method's step.
public struct AdversarialTraining: Sendable {
  /// The attack (PGD with a random start, in pixel units of images in [0, 1]).
  public var attack: PGD

  public init(attack: PGD) { self.attack = attack }

  /// The attack a run's settings describe.
  public init(_ settings: AdversarialTrainingSettings) throws(TrainingSetup.InvalidConfiguration) {
    guard let norm = PerturbationNorm(rawValue: settings.norm) else {
      throw TrainingSetup.InvalidConfiguration(description: "unknown adversarial norm '\(settings.norm)' (linf or l2)")
    }
    attack = PGD(
      norm: norm, epsilon: Float(settings.eps), stepSize: Float(settings.stepSize), steps: settings.steps,
      randomStart: true)
  }

  /// `batch` with every view replaced by its adversarial example against `model`; the
  /// random starts draw from one stream of `rng` per image and view.
  public func perturb(_ batch: Batch, model: Network, rng: inout RandomGenerator) -> Batch {
    guard let classes = model.architecture.classifier?.classes else {
      preconditionFailure("AdversarialTraining: the model has no classifier")
    }
    let wasTraining = model.isTraining
    defer { model.setTraining(wasTraining) }
    let classifier = LayerClassifier(
      model, image: ImageShape(channels: batch.channels, height: batch.height, width: batch.width), classCount: classes)
    let labels = (0..<batch.views).flatMap { _ in batch.labels }
    let streams = labels.indices.map { rng.stream(UInt64($0)) }
    let run = withFrozenParameters { attack.run(on: classifier, images: batch.pixels, labels: labels, randomness: streams) }
    var perturbed = batch
    perturbed.pixels = run.adversarial
    return perturbed
  }
}
