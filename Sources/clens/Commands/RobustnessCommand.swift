import Analysis
import ArgumentParser
import Datasets
import Engine
import Foundation
import RunFormat
import Training

extension PerturbationNorm: ExpressibleByArgument {}
extension AttackKind: ExpressibleByArgument {}
extension AutoAttack.Version: ExpressibleByArgument {}

/// The ε grids `--preset` names.
enum EpsilonPreset: String, CaseIterable, ExpressibleByArgument {
  /// Core-tuning's table: l2 0.5, 1.5, 2.5; l-inf 2, 4, 8 /255.
  case paper
}

/// A sanity check with severity `error` failed: the curve's numbers are wrong.
struct FailedSanityCheck: Error, CustomStringConvertible {
  let checks: [SanityCheck]
  let report: String
  var description: String {
    checks.map { "sanity check \($0.name) failed (\($0.detail))" }.joined(separator: "; ")
      + "; the numbers in \(report) cannot be trusted"
  }
}

/// `clens robustness`: PGD, APGD, FAB, Square and AutoAttack robustness curves of a model
/// a user brings, with the sanity checks that show whether the attack worked.
struct RobustnessCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "robustness",
    abstract: "Robust accuracy under PGD, AutoAttack or its attacks over an eps grid, with sanity checks.",
    discussion: """
      Attacks every image in pixel space [0, 1] (normalisation happens inside the model, so eps is \
      in pixel units: l-inf 8/255, l2 0.5) with the model in evaluation mode. PGD follows \
      torchattacks 3.5.1 (PGD, PGDL2, including its l2 random start). --attack autoattack runs \
      AutoAttack's standard evaluation, the number reviewers accept: APGD-CE, then APGD-T \
      (targeted DLR, --targets classes), FAB-T and Square (--queries), each on the images still \
      correctly classified, with 100 iterations by default (--version rand: APGD-CE and APGD-DLR \
      with --eot-samples gradient samples, for randomised models); the report gives the robust \
      accuracy after each attack, its queries and time, and which attack broke each image. The \
      attacks also run alone (apgd, apgd-dlr, apgd-t, fab, fab-t, square). Each curve comes \
      with sanity checks (eps 0 equals clean accuracy, feasibility, monotonicity, more steps \
      never help the model, random noise, a single step and Square Attack never beat the \
      attack, accuracy near 0 at a huge eps, loss trace, zero gradients, logits, determinism; \
      with AutoAttack also every attack ran and Square adds at most 0.2 points) on a seeded \
      subset of --check-examples images. A failed error check exits with status 1; failed \
      warnings are printed. Results go to robustness-<norm>.json (PGD) or \
      robustness-<norm>-<attack>.json in --out-dir (or analysis/ of --run), and with \
      --save-adversarial the adversarial images to the same name with -eps<eps>.npy (float32 \
      [N, C, H, W]).
      """)

  @OptionGroup(title: "Model") var model: ModelOptions

  @Option(
    help:
      "Images as a .npy file: float32 [N, C, H, W] in [0, 1], or uint8 [N, H, W] / [N, H, W, C].")
  var images: String?

  @Option(help: "Labels for --images: an integer .npy file [N].")
  var labels: String?

  @OptionGroup(title: "Dataset (when --images is not given)") var data: DatasetOptions

  @Option(help: "Threat model: linf or l2.")
  var norm: PerturbationNorm = .linf

  @Option(help: "Comma-separated eps list in pixel units; fractions allowed (2/255,4/255,8/255).")
  var eps: String?

  @Option(
    help: "A named eps grid instead of --eps: paper (l2 0.5,1.5,2.5; linf 2/255,4/255,8/255).")
  var preset: EpsilonPreset?

  @Option(
    help: """
      Attack: pgd (torchattacks PGD/PGDL2), autoattack, or one of AutoAttack's attacks alone: \
      apgd (APGD-CE), apgd-dlr, apgd-t, fab, fab-t, square.
      """)
  var attack: AttackKind = .pgd

  @Option(help: "Iterations per attack run. (default: 20 for pgd, 100 for AutoAttack and its attacks)")
  var steps: Int?

  @Option(help: "AutoAttack's version: standard, or rand for randomised models.")
  var version: AutoAttack.Version?

  @Option(help: "Target classes of apgd-t and fab-t, alone or in AutoAttack (at most classes - 1). (default: 9)")
  var targets: Int?

  @Option(help: "Square Attack's queries per image, alone or in AutoAttack. (default: 5000)")
  var queries: Int?

  @Option(help: "Gradient samples per iteration of AutoAttack rand. (default: 20)")
  var eotSamples: Int?

  @Option(help: "PGD step size in pixel units (default: --step-factor * eps / steps).")
  var stepSize: Float?

  @Option(help: "PGD step size as a multiple of eps/steps when --step-size is not given.")
  var stepFactor: Float = 2.5

  @Option(help: "Runs from fresh random starts; an image is robust only if it survives all.")
  var restarts: Int = 1

  @Flag(
    inversion: .prefixedNo,
    help: "PGD's random start (uniform in the l-inf box; torchattacks' l2 start).")
  var randomStart = true

  @Flag(
    help: "Stop moving an image once it is misclassified (faster; never raises robust accuracy).")
  var earlyExit = false

  @Option(help: "Images per model call (bounds memory).")
  var batchSize: Int = 100

  @Option(help: "Images in the seeded subset the extra sanity checks run on.")
  var checkExamples: Int = 200

  @Option(help: "Random draws per image of the noise baseline check.")
  var noiseDraws: Int = 8

  @Option(help: "Square Attack queries per image in the gradient-free check.")
  var squareQueries: Int = 100

  @Option(
    name: .customLong("run"),
    help: "Run directory: results go to its analysis/ folder; without --weights its fine-tuned model is attacked, on its dataset's test split.")
  var runDirectory: String?

  @Option(help: "With --run and no --weights: which checkpoint of the run. (default: best, else last)")
  var checkpoint: String?

  @Option(help: "Folder for the results when --run is not given.")
  var outDir: String = "."

  @Flag(help: "Also write the adversarial images of every eps as .npy.")
  var saveAdversarial = false

  @OptionGroup var common: CommonOptions

  func validate() throws {
    if (eps == nil) == (preset == nil) { throw ValidationError("give either --eps or --preset") }
    try requirePositiveNumbers([("--step-size", stepSize.map(Double.init)), ("--step-factor", Double(stepFactor))])
    if images != nil && labels == nil {
      throw ValidationError("--images needs --labels (an integer .npy file)")
    }
    if labels != nil && images == nil { throw ValidationError("--labels goes with --images") }
    if model.weights == nil && runDirectory == nil {
      throw ValidationError("give --weights FILE (with its architecture) or --run DIR (a fine-tuning run)")
    }
    if checkpoint != nil && (runDirectory == nil || model.weights != nil) {
      throw ValidationError("--checkpoint picks a checkpoint of --run's model (without --weights)")
    }
    if model.weights != nil && model.numClasses < 2 {
      throw ValidationError("robustness needs a classifier: --num-classes must be at least 2")
    }
    if attack != .pgd {
      // The other attacks pick their own steps and starts and keep any misclassified point.
      if stepSize != nil {
        throw ValidationError("--step-size applies to --attack pgd (\(attack.rawValue) adapts its own)")
      }
      if !randomStart {
        throw ValidationError("--no-random-start applies to --attack pgd (\(attack.rawValue) has its own start)")
      }
      if earlyExit {
        throw ValidationError(
          "--early-exit applies to --attack pgd (\(attack.rawValue) keeps any misclassified point)")
      }
    }
    if attack == .square && steps != nil {
      throw ValidationError("--steps does not apply to --attack square (its budget is --queries)")
    }
    if version != nil && attack != .autoattack {
      throw ValidationError("--version applies to --attack autoattack")
    }
    if eotSamples != nil && !(attack == .autoattack && version == .rand) {
      throw ValidationError("--eot-samples applies to --attack autoattack --version rand")
    }
    if targets != nil && ![.apgdT, .fabT].contains(attack) && !(attack == .autoattack && version != .rand) {
      throw ValidationError("--targets applies to --attack apgd-t, fab-t and autoattack (standard)")
    }
    if queries != nil && attack != .square && !(attack == .autoattack && version != .rand) {
      throw ValidationError("--queries applies to --attack square and autoattack (standard)")
    }
    do {
      try settings(image: nil).validate(inputSize: nil)
    } catch {
      throw ValidationError(error.problem)
    }
  }

  /// The evaluation settings the options describe, for images of shape `image`.
  func settings(image: ImageShape?) throws(RobustnessInputError) -> RobustnessSettings {
    let epsilons =
      try eps.map { text throws(RobustnessInputError) in
        do throws(RobustnessInputError) {
          return try RobustnessSettings.parseEpsilons(text)
        } catch {
          throw RobustnessInputError("--eps: \(error.problem)")
        }
      }
      ?? RobustnessSettings.paperEpsilons(norm)
    return RobustnessSettings(
      norm: norm, epsilons: epsilons, attack: attack, steps: steps ?? (attack == .pgd ? 20 : 100),
      stepSize: stepSize.map { .absolute($0) } ?? .relative(stepFactor), restarts: restarts,
      randomStart: randomStart, earlyExit: earlyExit, seed: common.seed, batchSize: batchSize,
      checkExamples: checkExamples, noiseDraws: noiseDraws, imageShape: image,
      squareQueries: squareQueries, targets: targets ?? 9, queries: queries ?? 5000,
      version: version ?? .standard, eotSamples: eotSamples ?? 20)
  }

  /// The report's file-name tag: nil for PGD, else the attack (and AutoAttack's version).
  var fileTag: String? {
    switch attack {
    case .pgd: nil
    case .autoattack where version == .rand: "autoattack-rand"
    default: attack.rawValue
    }
  }

  /// The classifier to attack: `--weights` with its architecture, or the fine-tuned model
  /// of `--run` (with the dataset it was trained on).
  private struct Target {
    var model: any Layer
    var configuration: ResNetConfiguration
    var classes: Int
    var dataset: DatasetSource?
  }

  private func resolveTarget() throws -> Target {
    if model.weights != nil {
      return Target(
        model: try model.loadModel(), configuration: model.configuration, classes: model.numClasses, dataset: nil)
    }
    let run = try RunDirectory(runDirectory!)
    let name = checkpoint ?? (FileManager.default.fileExists(atPath: run.checkpoint("best")) ? "best" : "last")
    guard FileManager.default.fileExists(atPath: run.checkpoint(name)) else {
      throw FileError(run.checkpoint(name), "no such checkpoint")
    }
    let network = try Checkpoint.read(run.checkpoint(name)).buildModel()
    guard let classes = network.architecture.classifier?.classes, classes >= 2 else {
      throw FileError(run.checkpoint(name), "has no classifier to attack (a pre-training run? fine-tune it first)")
    }
    let dataset = try data.dataset == nil ? run.configuration().map(TrainingData.source) : nil
    return Target(
      model: network, configuration: network.architecture.encoder, classes: classes, dataset: dataset)
  }

  /// The images and their labels, from --images/--labels, the dataset options, or the run's dataset.
  private func loadExamples(_ target: Target, threads: ThreadCount) throws -> (ImageArray, [Int]) {
    guard let images, let labels else {
      var set = try (target.dataset?.load(data.split ?? .test, threads: threads)) ?? data.load(seed: common.seed, threads: threads)
      if target.dataset != nil, let limit = data.limit, limit < set.count {
        set = set.subset(set.stratifiedIndices(total: limit, seed: common.seed))
      }
      return (ImageArray(set), set.labels)
    }
    let source = try ImageArray.read(images)
    let array = try NPYArray.read(labels)
    guard array.shape.count == 1, let values = array.integers() else {
      throw FileError(
        labels, "labels must be a 1-D integer array, found \(array.type) \(array.shape)")
    }
    guard values.count == source.count else {
      throw FileError(
        labels,
        "\(values.count) labels for the \(source.count) images of \(images) (label count mismatch)")
    }
    if let bad = values.first(where: { $0 < 0 || $0 >= target.classes }) {
      throw FileError(labels, "label \(bad) is not a class of the \(target.classes)-class model")
    }
    return (source, values)
  }

  func run() throws {
    let threadCount = common.threadCount
    let target = try resolveTarget()
    let (source, labelValues) = try loadExamples(target, threads: threadCount)
    if source.channels != target.configuration.inChannels {
      let problem = "images have \(source.channels) channel(s) but the model takes \(target.configuration.inChannels)"
      if let images { throw FileError(images, problem) }
      throw ValidationError(problem)
    }
    let image = ImageShape(channels: source.channels, height: source.height, width: source.width)
    let settings: RobustnessSettings
    do {
      settings = try self.settings(image: image)
      try settings.validate(inputSize: image.channels * image.height * image.width)
    } catch {
      throw ValidationError(error.problem)
    }
    // Attacks go backward to the input: memory as for training.
    try common.requireMemory(
      model: target.configuration, shape: [image.channels, image.height, image.width],
      batch: min(batchSize, source.count), training: true, culprit: images ?? data.culprit)
    let classifier = LayerClassifier(target.model, image: image, classCount: target.classes)

    let directory = runDirectory.map { $0 + "/analysis" } ?? outDir
    let stem = directory + "/" + RunDirectory.robustnessReportStem(norm, attack: fileTag)
    let reportPath = stem + ".json"
    var adversarial = [[Float]](repeating: [], count: saveAdversarial ? settings.epsilons.count : 0)
    let bar = ProgressBar("robustness", unit: "batch", quiet: !common.showsProgress)
    let curve = try withThreads(threadCount) {
      try RobustnessEvaluation(settings: settings).run(
        on: classifier, labels: labelValues, images: { source.pixels($0) },
        progress: bar.callback,
        adversarial: saveAdversarial ? { e, _, images in adversarial[e] += images } : nil)
    }
    try curve.write(to: reportPath)
    for (e, epsilon) in settings.epsilons.enumerated() where saveAdversarial {
      let path = stem + "-eps\(epsilon).npy"
      try NPYArray(
        shape: [source.count, image.channels, image.height, image.width], floats: adversarial[e]
      )
      .write(to: path)
    }

    if common.json {
      try common.printJSON(Summary(curve, report: reportPath))
    } else {
      print(Self.text(curve, report: reportPath))
    }
    for check in curve.failedWarnings {
      FileHandle.standardError.write(Data("warning: \(check.name): \(check.detail)\n".utf8))
    }
    if !curve.failedErrors.isEmpty {
      throw FailedSanityCheck(checks: curve.failedErrors, report: reportPath)
    }
  }

  /// What `--json` prints: norm, n, clean accuracy, eps, robust accuracy, failed checks.
  struct Summary: Encodable {
    var norm: String
    var attack: String?
    var n: Int?
    var cleanAccuracy: Double
    var eps: [Double]
    var robustAccuracy: [Double]
    /// `[eps][stage]`: robust accuracy after each attack, its queries and time.
    var stages: [[RobustnessReport.StageRecord]]
    var failedChecks: [String]
    var report: String

    init(_ curve: RobustnessReport, report: String) {
      norm = curve.norm.rawValue
      attack = curve.attack?.name
      n = curve.n
      cleanAccuracy = curve.cleanAccuracy
      eps = curve.eps
      robustAccuracy = curve.robustAccuracy
      stages = curve.stages
      failedChecks = curve.sanityChecks.filter { !$0.passed }.map(\.name)
      self.report = report
    }

    enum CodingKeys: String, CodingKey {
      case norm, attack, n, eps, report, stages
      case cleanAccuracy = "clean_accuracy"
      case robustAccuracy = "robust_accuracy"
      case failedChecks = "failed_checks"
    }
  }

  /// ε as the table shows it: l-inf also in units of 1/255.
  private static func epsilonLabel(_ eps: Double, _ norm: PerturbationNorm) -> String {
    norm == .linf ? String(format: "%.4f (%.3g/255)", eps, eps * 255) : String(format: "%.4f", eps)
  }

  /// The curve as a small table, then the sanity checks.
  static func text(_ curve: RobustnessReport, report: String) -> String {
    func percent(_ x: Double) -> String { String(format: "%6.2f%%", 100 * x) }
    var lines = [String]()
    if let a = curve.attack {
      let title = AttackKind(rawValue: a.name)?.title ?? a.name
      let settings: String
      switch a.name {
      case "pgd":
        let step = a.stepSize.map { "step \($0)" } ?? a.stepSizeFactor.map { "step \($0)·eps/\(a.steps)" } ?? ""
        settings = "\(title)-\(a.steps) \(curve.norm.rawValue) (\(step), \(a.restarts) restart(s), random start \(a.randomStart))"
      case "autoattack":
        let parts =
          a.version == "rand"
          ? ["\(a.steps) iterations", "\(a.eotSamples ?? 0) EOT samples"]
          : ["\(a.steps) iterations", "\(a.targets ?? 0) targets", "\(a.queries ?? 0) Square queries"]
        settings = "\(title) \(a.version ?? "standard") \(curve.norm.rawValue) (\(parts.joined(separator: ", ")))"
      case "square":
        settings = "\(title) \(curve.norm.rawValue) (\(a.queries ?? 0) queries, \(a.restarts) restart(s))"
      default:
        let targets = a.targets.map { ", \($0) targets" } ?? ""
        settings = "\(title)-\(a.steps) \(curve.norm.rawValue) (\(a.restarts) restart(s)\(targets))"
      }
      lines.append("\(settings) on \(curve.n ?? 0) images")
    }
    lines += [
      "clean accuracy  \(percent(curve.cleanAccuracy))",
      "eps          robust accuracy   95% interval",
    ]
    for (e, eps) in curve.eps.enumerated() {
      let ci = curve.robustAccuracyCi95[e]
      let label = epsilonLabel(eps, curve.norm)
      lines.append(
        label.padding(toLength: 22, withPad: " ", startingAt: 0) + percent(curve.robustAccuracy[e])
          + "   [\(percent(ci[0])), \(percent(ci[1]))]")
    }
    if curve.stages.contains(where: { $0.count > 1 }) {
      for (e, stages) in curve.stages.enumerated() {
        lines.append("attacks at eps \(epsilonLabel(curve.eps[e], curve.norm))")
        lines.append("  attack      attacked   fooled   robust after   forward   gradient      time")
        for stage in stages {
          lines.append(
            "  " + stage.name.padding(toLength: 10, withPad: " ", startingAt: 0)
              + String(format: "%10d %8d", stage.attacked, stage.fooled)
              + String(format: "%15.2f%%", 100 * stage.robustAccuracy)
              + String(format: " %9d %10d %8.1f s", stage.forwardPasses, stage.gradientPasses, stage.seconds))
        }
      }
    }
    let failed = curve.sanityChecks.filter { !$0.passed }
    lines.append(
      "sanity checks: \(curve.sanityChecks.count - failed.count) of \(curve.sanityChecks.count) passed"
        + (failed.isEmpty ? "" : "; failed: " + failed.map(\.name).joined(separator: ", ")))
    lines.append("wrote \(report)")
    return lines.joined(separator: "\n")
  }
}
