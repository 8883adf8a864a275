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
