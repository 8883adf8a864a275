import Foundation
import Engine
import RunFormat
import TestSupport
import Testing
import Training

@Suite struct NetworkTests {
  static let architecture = ModelArchitecture(
    encoder: ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 4, inChannels: 1, classes: nil),
    headWidths: [32, 16])

  @Test func listsAllItsStateUnderTorchvisionNames() {
    var rng = RandomGenerator(seed: 0)
    let model = Network(Self.architecture, rng: &rng)
    #expect(unlistedState(of: model).isEmpty)
    let names = model.stateDict().keys
    #expect(names.contains("encoder.conv1.weight") && names.contains("encoder.layer2.0.downsample.1.running_mean"))
    #expect(Set(names.filter { $0.hasPrefix("head.") }) == ["head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"])
  }

  /// With `headBatchNorm`, both heads of a SelfCon network get BatchNorm after their hidden
  /// layer, listed with its buffers; a config.json without the field means no BatchNorm.
  @Test func headBatchNormAddsBatchNormToEveryHead() throws {
    var architecture = Self.architecture
    architecture.exit = ModelArchitecture.Exit(stage: 2, size: "fc")
    architecture.headBatchNorm = true
    var rng = RandomGenerator(seed: 0)
    let model = Network(architecture, rng: &rng)
    #expect(unlistedState(of: model).isEmpty)
    let names = Set(model.stateDict().keys)
    for head in ["head", "exit_head"] {
      #expect(names.isSuperset(of: ["\(head).1.weight", "\(head).1.running_mean", "\(head).3.weight"]), "\(head)")
    }
    var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(architecture)) as? [String: Any])
    object["head_batch_norm"] = nil
    let decoded = try JSONDecoder().decode(ModelArchitecture.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(!decoded.headBatchNorm && decoded.exit == architecture.exit)
    #expect(try JSONDecoder().decode(ModelArchitecture.self, from: JSONEncoder().encode(architecture)) == architecture)
  }

  /// A deep copy starts equal and stays independent of the original.
  @Test func deepCopyIsIndependent() {
    var rng = RandomGenerator(seed: 1)
    let model = Network(Self.architecture, rng: &rng)
    let copy = model.deepCopy()
    #expect(copy !== model && copy.stateDict() == model.stateDict())
    model.head?.layers[0].parameters()[0].update { $0[0] += 1 }
    #expect(copy.stateDict()["head.0.weight"] != model.stateDict()["head.0.weight"])
    let shared = Set(model.parameters().map(ObjectIdentifier.init)).intersection(copy.parameters().map(ObjectIdentifier.init))
    #expect(shared.isEmpty)
  }

  /// Embeddings are unit rows.
  @Test func embeddingsAreNormalised() {
    var rng = RandomGenerator(seed: 2)
    let model = Network(Self.architecture, rng: &rng)
    let out = withoutGradients { model.forward(Tensor(randomUniform: [3, 1, 8, 8], using: &rng)) }
    #expect(out.features.shape == [3, 32] && out.embeddings.shape == [3, 16])
    for row in 0..<3 {
      let norm = (0..<16).map { out.embeddings[row, $0] * out.embeddings[row, $0] }.reduce(0, +)
      #expect(abs(norm - 1) < 1e-5)
    }
  }
}
