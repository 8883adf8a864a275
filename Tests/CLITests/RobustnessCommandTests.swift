import Engine
import Foundation
import TestSupport
import Testing

/// `clens robustness` run as a real process on the PGD fixtures: the fixture ResNet-18
/// (width 6, safetensors from PyTorch) and 200 Fashion-MNIST test images, where
/// torchattacks' robust accuracies are known.
@Suite struct RobustnessCommandTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("AnalysisTests/Fixtures/pgd")

  static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

  struct Reference: Decodable {
    struct Attack: Decodable {
      var eps: Double
      var alpha: Double?
      var robust_accuracy: Double
    }
    var clean_accuracy: Double
    var attacks: [String: Attack]
  }

  static let model = [
    "robustness", "--weights", fixture("pgd_resnet18w6.safetensors"), "--arch", "resnet18",
    "--width", "6",
    "--in-channels", "1", "--num-classes", "10", "--stem", "cifar", "--normalize-mean", "0.2860",
    "--normalize-std", "0.3530",
  ]
  static let data = ["--images", fixture("pgd_images.npy"), "--labels", fixture("pgd_labels.npy")]

  /// The images come as uint8 [N, 784]; the command wants [N, H, W] or NCHW.
  static func images(in dir: TemporaryDirectory) throws -> [String] {
    let bytes = try NPYArray.read(fixture("pgd_images.npy"))
    try NPYArray(shape: [200, 28, 28], uint8s: bytes.bytes).write(to: dir.file("x.npy"))
    return ["--images", dir.file("x.npy"), "--labels", fixture("pgd_labels.npy")]
  }

  /// PGD without a random start through the whole command gives torchattacks' clean and
  /// robust accuracy on the 200 images, for both norms; the report follows DESIGN.md.
  @Test(arguments: [("linf", "pgd_linf"), ("l2", "pgd_l2")])
  func matchesTorchattacks(norm: String, name: String) throws {
    let reference = try JSONDecoder().decode(
      Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixture("pgd_resnet.json"))))
    let attack = try #require(reference.attacks[name])
    let dir = TemporaryDirectory()
    let result = try CommandLineTool.run(
      Self.model + Self.images(in: dir) + [
        "--norm", norm, "--eps", "0,\(attack.eps)", "--steps", "10", "--step-size",
        "\(try #require(attack.alpha))",
        "--no-random-start", "--check-examples", "16", "--square-queries", "10", "--batch-size",
        "64",
        "--threads", "2", "--out-dir", dir.path, "--save-adversarial", "--json",
      ])
    #expect(result.status == 0, "\(result.stderr)")
    let printed = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let robust = try #require(printed["robust_accuracy"] as? [Double])
    // The reference accuracies are float32 means.
    let clean = try #require(printed["clean_accuracy"] as? Double)
    #expect(abs(clean - reference.clean_accuracy) < 1e-6)
    #expect(robust.count == 2 && robust[0] == clean)
    #expect(
      abs(robust[1] - attack.robust_accuracy) <= 1.0 / 200,
      "\(robust[1]) vs \(attack.robust_accuracy)")

    let report = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: dir.file("robustness-\(norm).json"))))
        as? [String: Any])
    #expect(report["norm"] as? String == norm && report["n"] as? Int == 200)
    #expect((report["per_class_robust_accuracy"] as? [[Double?]])?.count == 2)
    let checks = try #require(report["sanity_checks"] as? [[String: Any]])
    #expect(
      checks.contains {
        $0["name"] as? String == "epsilon_zero_equals_clean" && $0["passed"] as? Bool == true
      })
    #expect(checks.contains { $0["name"] as? String == "gradient_free_not_stronger" })
    let saved = try NPYArray.read(dir.file("robustness-\(norm)-eps\(Float(attack.eps)).npy"))
    #expect(saved.shape == [200, 1, 28, 28] && saved.type == .float32)
  }

  @Test func presetAndRunDirectory() throws {
    let dir = TemporaryDirectory()
    let result = try CommandLineTool.run(
      Self.model + Self.images(in: dir) + [
        "--norm", "l2", "--preset", "paper", "--steps", "2", "--attack", "apgd", "--check-examples",
        "4",
        "--square-queries", "2", "--run", dir.path,
      ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("APGD-CE-2 l2") && result.stdout.contains("clean accuracy"))
    let curve = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: dir.file("analysis/robustness-l2-apgd.json"))))
        as? [String: Any])
    #expect(curve["eps"] as? [Double] == [0.5, 1.5, 2.5])
    // The report is what `clens plot robustness` reads from a run directory.
    let plot = try CommandLineTool.run([
      "plot", "robustness", dir.path, "--names", "model", "--format", "svg",
    ])
    #expect(plot.status == 0, "\(plot.stderr)")
    #expect(FileManager.default.fileExists(atPath: dir.file("figures/robustness.svg")))
  }

  /// AutoAttack through the command: its report sits beside PGD's in the run directory,
  /// gives robust accuracy after each attack and the stage that broke each image, prints
  /// the stage table, and `clens plot robustness` draws both curves.
  @Test func autoAttackBesidePGD() throws {
    let dir = TemporaryDirectory()
    let common =
      Self.model + (try Self.images(in: dir)) + [
        "--eps", "1/255,3/255", "--check-examples", "6", "--square-queries", "4", "--batch-size", "100", "--run",
        dir.path,
      ]
    let auto = try CommandLineTool.run(common + ["--attack", "autoattack", "--steps", "4", "--targets", "2", "--queries", "30"])
    #expect(auto.status == 0, "\(auto.stderr)")
    #expect(auto.stdout.contains("AutoAttack standard linf (4 iterations, 2 targets, 30 Square queries) on 200 images"))
    #expect(auto.stdout.contains("attacks at eps 0.0118 (3/255)") && auto.stdout.contains("fab-t"))
    let pgd = try CommandLineTool.run(common + ["--steps", "4"])
    #expect(pgd.status == 0, "\(pgd.stderr)")
    let path = dir.file("analysis/robustness-linf-autoattack.json")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    let stages = try #require(report["stages"] as? [[[String: Any]]])
    #expect(stages.count == 2 && stages[1].map { $0["name"] as? String } == ["apgd-ce", "apgd-t", "fab-t", "square"])
    let robust = try #require(report["robust_accuracy"] as? [Double])
    #expect(stages[1].last?["robust_accuracy"] as? Double == robust[1])
    let brokenBy = try #require(report["broken_by"] as? [[Int]])
    #expect(brokenBy.count == 2 && brokenBy[1].count == 200)
    #expect(brokenBy[1].filter { $0 == -1 }.count == Int((robust[1] * 200).rounded()))
    let attack = try #require(report["attack"] as? [String: Any])
    #expect(attack["name"] as? String == "autoattack" && attack["version"] as? String == "standard")

    let plot = try CommandLineTool.run(["plot", "robustness", dir.path, "--names", "model", "--format", "svg"])
    #expect(plot.status == 0, "\(plot.stderr)")
    let sidecar = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("figures/robustness.json"))))
        as? [String: Any])
    #expect(
      (sidecar["inputs"] as? [String])?.map { URL(fileURLWithPath: $0).lastPathComponent }
        == ["robustness-linf.json", "robustness-linf-autoattack.json"])

    let lone = try CommandLineTool.run(common + ["--attack", "apgd-t", "--version", "rand"])
    #expect(lone.status != 0 && lone.stderr.contains("--version applies to --attack autoattack"))
  }

  @Test func badInputGetsOneClearErrorLine() throws {
    let dir = TemporaryDirectory()
    let data = try Self.images(in: dir)
    let fast = [
      "--steps", "1", "--check-examples", "2", "--square-queries", "1", "--out-dir", dir.path,
    ]
    func run(_ arguments: [String]) throws -> CommandLineTool.Result {
      try CommandLineTool.run(arguments + fast)
    }

    let negative = try run(Self.model + data + ["--eps=-0.01"])
    #expect(negative.status != 0 && negative.stderr.contains("eps -0.01 is negative"))
    let beyond = try run(Self.model + data + ["--eps", "1.5"])
    #expect(beyond.status != 0 && beyond.stderr.contains("beyond the pixel range"))
    let beyondL2 = try run(Self.model + data + ["--norm", "l2", "--eps", "29"])
    #expect(beyondL2.status != 0 && beyondL2.stderr.contains("√784"))

    let bytes = try NPYArray.read(Self.fixture("pgd_images.npy"))
    try NPYArray(shape: [200, 1, 28, 28], floats: bytes.floats()).write(to: dir.file("x255.npy"))
    let unscaled = try run(
      Self.model + [
        "--images", dir.file("x255.npy"), "--labels", Self.fixture("pgd_labels.npy"), "--eps",
        "0.1",
      ])
    #expect(
      unscaled.status == 1 && unscaled.stderr.contains("x255.npy: element")
        && unscaled.stderr.contains("must lie in [0, 1]"))

    let labels = try NPYArray.read(Self.fixture("pgd_labels.npy"))
    try NPYArray(shape: [199], int64s: (labels.integers() ?? []).dropLast().map(Int64.init)).write(
      to: dir.file("y199.npy"))
    let mismatch = try run(
      Self.model + [data[0], data[1], "--labels", dir.file("y199.npy"), "--eps", "0.1"])
    #expect(
      mismatch.status == 1 && mismatch.stderr.contains("y199.npy: 199 labels for the 200 images"))

    let wrongWidth = try run(Self.model.map { $0 == "6" ? "8" : $0 } + data + ["--eps", "0.1"])
    #expect(wrongWidth.status == 1 && wrongWidth.stderr.contains("weights do not fit the model"))

    let noEps = try run(Self.model + data)
    #expect(noEps.status != 0 && noEps.stderr.contains("give either --eps or --preset"))
    let restarts = try run(
      Self.model + data + ["--eps", "0.1", "--restarts", "3", "--no-random-start"])
    #expect(restarts.status != 0 && restarts.stderr.contains("need a random start"))
    let apgdStep = try run(
      Self.model + data + ["--eps", "0.1", "--attack", "apgd", "--step-size", "0.01"])
    #expect(apgdStep.status != 0 && apgdStep.stderr.contains("--step-size applies to --attack pgd"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("robustness-linf.json")))
  }
}
