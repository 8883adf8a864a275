import Engine
import Testing
import TestSupport

/// Every module lists all the state it holds: a forgotten child or parameter would drop
/// weights from state dicts, optimizers and checkpoints without any error.
@Suite struct ModuleInventoryTests {
  @Test func everyModelListsAllItsState() {
    var rng = RandomGenerator(seed: 0)
    let models: [any Module] = [
      ResNet(ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 4, inChannels: 1, classes: 10), rng: &rng),
      ResNet(ResNetConfiguration(depth: .resnet50, stem: .imagenet, width: 4, inChannels: 3, classes: nil), rng: &rng),
      Sequential.mlp([8, 8, 4], batchNorm: true, rng: &rng),
      Sequential([Flatten(), L2Normalize(), ReLU()]),
    ]
    for model in models { #expect(unlistedState(of: model).isEmpty, "\(unlistedState(of: model))") }
  }

  /// The check itself finds a module that forgets a child and a parameter.
  @Test func aForgottenChildIsFound() {
    final class Forgetful: Module {
      var isTraining = true
      let listed: Linear
      let forgotten: Linear
      let extra = Parameter(Tensor(zeros: [2]))
      init() {
        var rng = RandomGenerator(seed: 1)
        listed = Linear(inFeatures: 2, outFeatures: 2, rng: &rng)
        forgotten = Linear(inFeatures: 2, outFeatures: 2, rng: &rng)
      }
      var children: [(name: String, module: any Module)] { [("listed", listed)] }
    }
    let problems = unlistedState(of: Forgetful())
    #expect(problems.contains { $0.contains("sub-module") } && problems.contains { $0.contains("parameter") })
  }
}
