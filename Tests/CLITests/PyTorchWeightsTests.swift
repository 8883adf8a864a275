import Engine
import Foundation
import RunFormat
import Testing
import TestSupport

/// PyTorch checkpoints where a user meets them: `clens inspect`, `--weights` and `--from`.
@Suite struct PyTorchWeightsTests {
  static func pytorch(_ name: String) -> String { FeaturesCommandTests.fixture("pytorch/" + name) }

  /// `clens features` through a .pth gives PyTorch's features and logits, as through
  /// safetensors: the plain state dict (zip format) and MoCo's nested, prefixed one (legacy).
  @Test(arguments: [
    ["resnet18w16.pth"], ["moco-resnet18w16.pth.tar", "--strip-prefix", "module.encoder_q."],
    ["moco-resnet18w16.pth.tar", "--state-dict-key", "state_dict", "--strip-prefix", "module.encoder_q."],
  ])
  func featuresThroughACheckpointMatchPyTorch(weights: [String]) throws {
    let dir = TemporaryDirectory()
    var arguments = FeaturesCommandTests().modelArguments
    arguments[2] = Self.pytorch(weights[0])
    let result = try CommandLineTool.run(arguments + Array(weights.dropFirst()) + [
      "--images", FeaturesCommandTests.fixture("features-images.npy"), "--out", dir.file("f.npy"), "--logits",
      dir.file("l.npy"), "--threads", "2",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    try FeaturesCommandTests().expectPyTorchOutputs(features: dir.file("f.npy"), logits: dir.file("l.npy"))
  }

  /// Fine-tuning starts from a MoCo checkpoint as from the same weights in safetensors:
  /// the same first loss, and config.json records the entry and prefix.
  @Test func fineTuningStartsFromAMoCoCheckpoint() throws {
    let dir = TemporaryDirectory()
    let shape = ["--arch", "resnet18", "--width", "16", "--stem", "cifar", "--dataset", "digits"]
    let fromCheckpoint = try CommandLineTool.run(
      ["finetune", "--method", "ce", "--from", Self.pytorch("moco-resnet18w16.pth.tar"), "--state-dict-key", "state_dict",
       "--strip-prefix", "module.encoder_q.", "--out", dir.file("pth")] + shape + FineTuneCommandTests.tinyFineTune)
    #expect(fromCheckpoint.status == 0, "\(fromCheckpoint.stderr)")
    let fromSafetensors = try CommandLineTool.run(
      ["finetune", "--method", "ce", "--from", FeaturesCommandTests.fixture("resnet18w16.safetensors"), "--out",
       dir.file("st")] + shape + FineTuneCommandTests.tinyFineTune)
    #expect(fromSafetensors.status == 0, "\(fromSafetensors.stderr)")
    let a = try RunDirectory(dir.file("pth")).metricsFile.read().records
    let b = try RunDirectory(dir.file("st")).metricsFile.read().records
    #expect(!a.isEmpty && a.map(\.loss) == b.map(\.loss))
    let settings = try #require(try RunDirectory(dir.file("pth")).configuration()?.fineTuning)
    #expect(settings.stateDictKey == "state_dict" && settings.stripPrefix == "module.encoder_q.")
  }

  @Test func inspectShowsTheEntriesThePrefixAndEveryTensor() throws {
    let result = try CommandLineTool.run(["inspect", Self.pytorch("moco-resnet18w16.pth.tar"), "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(report["format"] as? String == "pytorch-legacy")
    #expect(report["default_state_dict_key"] as? String == "state_dict" && report["state_dict_tensors"] as? Int == 122)
    let prefixes = (report["prefixes"] as? [[String: Any]])?.compactMap { $0["prefix"] as? String } ?? []
    #expect(prefixes.first == "module.encoder_q.")
    let items = report["items"] as? [[String: Any]] ?? []
    let conv = items.first { $0["name"] as? String == "state_dict.module.encoder_q.conv1.weight" }
    #expect(conv?["dtype"] as? String == "float32" && conv?["shape"] as? [Int] == [16, 1, 3, 3])
    let text = try CommandLineTool.run(["inspect", Self.pytorch("mixed.pth")])
    #expect(text.status == 0 && text.stdout.contains("args        argparse.Namespace"), "\(text.stdout)")
    #expect(text.stdout.contains("state_dict.half") && text.stdout.contains("float16  [5]"))
  }

  @Test func aHostileCheckpointIsOneErrorLineWherever() throws {
    let dir = TemporaryDirectory()
    var features = FeaturesCommandTests().modelArguments
    features[2] = Self.pytorch("evil-reduce.pth")
    for arguments in [
      ["inspect", Self.pytorch("evil-reduce.pth")],
      features + ["--images", FeaturesCommandTests.fixture("features-images.npy"), "--out", dir.file("f.npy")],
      ["finetune", "--method", "ce", "--from", Self.pytorch("evil-reduce.pth"), "--dataset", "digits", "--out", dir.file("ft")],
    ] {
      let result = try CommandLineTool.run(arguments)
      #expect(result.status != 0)
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1 && lines[0].contains("posix.system"), "\(arguments[0]): \(result.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.npy")) && !FileManager.default.fileExists(atPath: dir.file("ft")))
  }
}
