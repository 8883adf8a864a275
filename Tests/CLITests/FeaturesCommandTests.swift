import Engine
import Foundation
import Testing
import TestSupport

/// `clens features` run as a real process on the Engine fixtures: a ResNet-18 trained
/// and exported by PyTorch must give PyTorch's features and logits.
@Suite struct FeaturesCommandTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("EngineTests/Fixtures")

  static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

  let modelArguments = [
    "features", "--weights", fixture("resnet18w16.safetensors"), "--arch", "resnet18", "--width", "16", "--in-channels", "1",
    "--num-classes", "10", "--stem", "cifar", "--normalize-mean", "0.2860", "--normalize-std", "0.3530",
  ]

  func expectPyTorchOutputs(features: String, logits: String) throws {
    let expected = try SafeTensorsFile.read(Self.fixture("features-expected.safetensors")).tensors
    let f = try NPYArray.read(features)
    let l = try NPYArray.read(logits)
    #expect(f.shape == [16, 128] && f.type == .float32 && l.shape == [16, 10])
    // Element-wise at 2e-4, as in ResNetParityTests: Winograd F(4×4, 3×3) rounds a few
    // times more than im2col (1.0e-4 measured).
    #expect(maxRelativeError(f.floats(), expected["features"]!.floats()) < 2e-4)
    #expect(maxRelativeError(l.floats(), expected["logits"]!.floats()) < 2e-4)
  }

  @Test func reproducesPyTorchOnUInt8Images() throws {
    let dir = TemporaryDirectory()
    let result = try CommandLineTool.run(modelArguments + [
      "--images", Self.fixture("features-images.npy"), "--out", dir.file("f.npy"), "--logits", dir.file("l.npy"),
      "--batch-size", "5", "--threads", "2", "--json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    try expectPyTorchOutputs(features: dir.file("f.npy"), logits: dir.file("l.npy"))
    let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    #expect(report?["count"] as? Int == 16 && report?["feature_dimension"] as? Int == 128)
  }

  @Test func acceptsFloatNCHWAndChannelsLastImages() throws {
    let dir = TemporaryDirectory()
    let bytes = try NPYArray.read(Self.fixture("features-images.npy"))
    try NPYArray(shape: [16, 1, 28, 28], floats: bytes.floats().map { $0 / 255 }).write(to: dir.file("float.npy"))
    try NPYArray(shape: [16, 28, 28, 1], uint8s: bytes.bytes).write(to: dir.file("nhwc.npy"))
    for input in ["float.npy", "nhwc.npy"] {
      let result = try CommandLineTool.run(modelArguments + [
        "--images", dir.file(input), "--out", dir.file("f.npy"), "--logits", dir.file("l.npy"), "--threads", "1",
      ])
      #expect(result.status == 0, "\(input): \(result.stderr)")
      try expectPyTorchOutputs(features: dir.file("f.npy"), logits: dir.file("l.npy"))
    }
  }

  @Test func badInputGetsOneClearErrorLine() throws {
    let dir = TemporaryDirectory()
    let weights = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("resnet18w16.safetensors")))
    try weights.prefix(weights.count - 1000).write(to: URL(fileURLWithPath: dir.file("truncated.safetensors")))
    var arguments = modelArguments
    arguments[2] = dir.file("truncated.safetensors")
    let images = ["--images", Self.fixture("features-images.npy"), "--out", dir.file("f.npy")]
    let truncated = try CommandLineTool.run(arguments + images)
    #expect(truncated.status == 1 && truncated.stderr.contains("truncated.safetensors: truncated: tensor"))

    let wrongWidth = try CommandLineTool.run(modelArguments.map { $0 == "16" ? "32" : $0 } + images)
    #expect(wrongWidth.status == 1 && wrongWidth.stderr.contains("weights do not fit the model: shape mismatches: conv1.weight"))

    try NPYArray(shape: [2, 1, 4, 4], floats: [Float](repeating: 0.5, count: 31) + [.nan]).write(to: dir.file("nan.npy"))
    let nan = try CommandLineTool.run(modelArguments + ["--images", dir.file("nan.npy"), "--out", dir.file("f.npy")])
    #expect(nan.status == 1 && nan.stderr.contains("nan.npy: element 31 is NaN"))

    try NPYArray(shape: [2, 3, 4, 4], floats: [Float](repeating: 0.5, count: 96)).write(to: dir.file("rgb.npy"))
    let rgb = try CommandLineTool.run(modelArguments + ["--images", dir.file("rgb.npy"), "--out", dir.file("f.npy")])
    #expect(rgb.status == 1 && rgb.stderr.contains("images have 3 channel(s) but the model takes 1"))

    let badMean = try CommandLineTool.run(modelArguments.map { $0 == "0.2860" ? "0.1,0.2" : $0 } + images)
    #expect(badMean.status != 0 && badMean.stderr.contains("--normalize-mean needs 1 or 1 values"))
    #expect(!FileManager.default.fileExists(atPath: dir.file("f.npy")))
  }
}
