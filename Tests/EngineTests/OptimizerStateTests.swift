import Engine
import Testing
import TestSupport

/// Optimizer state saved by parameter name and restored continues training exactly;
/// parameter groups apply their own weight decay and LARS adaptation.
@Suite struct OptimizerStateTests {
  static func parameters(seed: UInt64) -> [Parameter] {
    var rng = RandomGenerator(seed: seed)
    return [[3, 2], [2], [4]].map { Parameter(Tensor(randomNormal: $0, using: &rng)) }
  }

  /// Gradient of step `step` (the same for every copy).
  static func applyGradients(_ parameters: [Parameter], step: Int) {
    var rng = RandomGenerator(seed: 100 + UInt64(step))
    for parameter in parameters {
      (parameter.value * Tensor(randomNormal: parameter.shape, using: &rng)).sum().backward()
    }
  }

  static func make(_ name: String, _ parameters: [Parameter]) -> any Optimizer {
    switch name {
    case "sgd": SGD(parameters, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3)
    case "lars": LARS(parameters, learningRate: 0.5, momentum: 0.9, weightDecay: 1e-4)
    default: Adam(parameters, learningRate: 1e-2, weightDecay: 1e-3)
    }
  }

  @Test(arguments: ["sgd", "lars", "adam"]) func restoredStateContinuesExactly(name: String) throws {
    let make = { Self.make(name, $0) }
    let names = ["w", "b", "c"]
    let original = Self.parameters(seed: 1)
    let optimizer = make(original)
    for step in 0..<2 {
      Self.applyGradients(original, step: step)
      optimizer.step()
      optimizer.clearGradients()
    }
    let saved = optimizer.stateDict(names: names)
    #expect(!saved.isEmpty)
    let copy = original.map { Parameter($0.value) }
    let restored = make(copy)
    try restored.loadStateDict(saved, names: names)
    #expect(restored.state == optimizer.state)
    for (optimizer, parameters) in [(optimizer, original), (restored, copy)] {
      Self.applyGradients(parameters, step: 2)
      optimizer.step()
    }
    for (a, b) in zip(original, copy) { #expect(a.value.scalars == b.value.scalars) }
  }

  @Test func badStateIsRefusedAndChangesNothing() throws {
    let parameters = Self.parameters(seed: 2)
    let optimizer = SGD(parameters, learningRate: 0.1, momentum: 0.9)
    Self.applyGradients(parameters, step: 0)
    optimizer.step()
    let good = optimizer.stateDict(names: ["w", "b", "c"])
    let before = optimizer.state
    var bad = good
    bad["momentum_buffer.zz"] = good["momentum_buffer.w"]
    bad["momentum_buffer.b"] = SafeTensor(Tensor(zeros: [3]))
    bad["momentum_buffer.c"] = SafeTensor(Tensor(shape: [4], scalars: [0, .nan, 0, 0]))
    #expect(throws: StateDictError.self) { try optimizer.loadStateDict(bad, names: ["w", "b", "c"]) }
    do {
      try optimizer.loadStateDict(bad, names: ["w", "b", "c"])
    } catch {
      #expect(error.unexpected == ["momentum_buffer.zz"])
      #expect(error.mismatched.count == 1 && error.nonFinite == ["momentum_buffer.c"])
    }
    #expect(optimizer.state == before)
  }

  /// A group without weight decay updates like plain SGD; the other group decays.
  @Test func parameterGroupsHaveTheirOwnWeightDecay() {
    let decayed = Parameter(Tensor(shape: [2], scalars: [1, 2]))
    let plain = Parameter(Tensor(shape: [2], scalars: [1, 2]))
    let optimizer = SGD(
      groups: [ParameterGroup([decayed]), ParameterGroup([plain], weightDecay: 0)], learningRate: 0.1,
      weightDecay: 0.5)
    for parameter in [decayed, plain] { (parameter.value * Tensor(shape: [2], scalars: [1, 1])).sum().backward() }
    optimizer.step()
    #expect(maxRelativeError(plain.value.scalars, [0.9, 1.9]) < 1e-6)
    #expect(maxRelativeError(decayed.value.scalars, [0.85, 1.8]) < 1e-6)
    let split = ParameterGroup.excludingNormAndBias([decayed, Parameter(Tensor(zeros: [2, 2]))])
    #expect(split[0].parameters.count == 1 && split[1].parameters.count == 1 && split[1].weightDecay == 0)
    #expect(!split[1].adaptsLearningRate)
  }
}
