import Engine
import Foundation
import Testing
import TestSupport

/// ResNet-50 (Bottleneck, ImageNet stem), ResNet-34 names, heads and module plumbing.
@Suite struct ModelTests {
  /// The ResNet-50 (width 4) of `scripts/fixtures/engine.py` with its weights, and the
  /// fixture's input, labels and PyTorch results.
  private func resnet50WithFixtureWeights() throws -> (ResNet, [String: Tensor]) {
    let reference = try Fixtures.tensors("resnet50w4.safetensors")
    let weights = Fixtures.stateDict(reference)
    var rng = RandomGenerator(seed: 0)
    let model = ResNet(ResNetConfiguration(depth: .resnet50, stem: .imagenet, width: 4, inChannels: 3, classes: 7), rng: &rng)
    try model.loadStateDict(weights)
    return (model, reference)
  }

  @Test func resnet50MatchesPyTorch() throws {
    let (model, reference) = try resnet50WithFixtureWeights()
    let input = reference["input"]!
    model.setTraining(false)
    let eval = withoutGradients { model.forward(input) }
    #expect(eval.features.shape == [2, 128] && eval.stages.map(\.shape) == [[2, 16, 16, 16], [2, 32, 8, 8], [2, 64, 4, 4], [2, 128, 2, 2]])
    #expect(maxRelativeError(eval.features.scalars, reference["eval.features"]!.scalars) < 1e-4)
    #expect(maxRelativeError(eval.logits!.scalars, reference["eval.logits"]!.scalars) < 1e-4)

    let x = input.requiringGradient()
    let loss = model(x).crossEntropy(labels: reference["labels"]!.scalars.map { Int($0) })
    #expect(abs(loss.scalar - reference["train.loss"]!.scalar) < 1e-4)
    loss.backward()
    #expect(maxNormalizedError(x.gradient!.scalars, reference["train.grad_input"]!.scalars) < 1e-4)
    for (name, parameter) in model.namedParameters() {
      let error = maxNormalizedError(parameter.gradient!.scalars, reference["train.grad.\(name)"]!.scalars)
      #expect(error < 1e-4, "gradient of \(name): \(error)")
    }
  }

  @Test func frozenParametersGiveTheSameInputGradientAndNoWeightGradient() throws {
    let (model, reference) = try resnet50WithFixtureWeights()
    model.setTraining(false)  // the fixture's gradients are of the evaluation-mode model
    let x = reference["input"]!.requiringGradient()
    let labels = reference["labels"]!.scalars.map { Int($0) }
    withFrozenParameters {
      let loss = model(x).crossEntropy(labels: labels)
      #expect(abs(loss.scalar - reference["train.loss"]!.scalar) < 1e-4)
      loss.backward()
    }
    #expect(maxNormalizedError(x.gradient!.scalars, reference["train.grad_input"]!.scalars) < 1e-4)
    #expect(model.namedParameters().allSatisfy { $0.1.gradient == nil })
    // Outside the closure the parameters are tape leaves again.
    model(x.detached()).crossEntropy(labels: labels).backward()
    #expect(model.namedParameters().allSatisfy { $0.1.gradient != nil })
  }

  @Test func resnet34NamesAndShapesAreTorchvisions() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("resnet34-names.json")))
    let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Int]])
    var rng = RandomGenerator(seed: 0)
    let model = ResNet(ResNetConfiguration(depth: .resnet34, stem: .imagenet, width: 2, inChannels: 3, classes: 7), rng: &rng)
    #expect(model.stateDict().mapValues(\.shape) == expected)
  }

  @Test func kaimingInitialisationAsTorchvision() {
    var rng = RandomGenerator(seed: 1)
    let model = ResNet(ResNetConfiguration(stem: .cifar, width: 64, inChannels: 3, classes: 10), rng: &rng)
    // kaiming_normal_(fan_out, relu): std = √(2 / (out·k·k)).
    let weights = model.stages[2].layers[0] as! BasicBlock
    let values = weights.conv1.weight.value.scalars.map(Double.init)
    let std = (values.map { $0 * $0 }.reduce(0, +) / Double(values.count)).squareRoot()
    #expect(abs(std - (2.0 / (256 * 9)).squareRoot()) < 0.01 * std)
    #expect(weights.bn1.weight!.value.scalars.allSatisfy { $0 == 1 } && weights.bn1.bias!.value.scalars.allSatisfy { $0 == 0 })
    let bound = 1 / Float(512).squareRoot()
    #expect(model.fc!.weight.value.scalars.allSatisfy { abs($0) <= bound })
    let zeroInit = ResNet(ResNetConfiguration(stem: .cifar, width: 4, classes: 10, zeroInitResidual: true), rng: &rng)
    #expect((zeroInit.stages[0].layers[1] as! BasicBlock).bn2.weight!.value.scalars.allSatisfy { $0 == 0 })
  }

  @Test func mlpHeadNamesAndForward() {
    var rng = RandomGenerator(seed: 2)
    let head = Sequential.mlp([8, 8, 4], rng: &rng)
    #expect(head.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    let bnHead = Sequential.mlp([8, 6, 6, 3], bias: false, batchNorm: true, rng: &rng)
    #expect(bnHead.stateDict().keys.sorted() == [
      "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean", "1.running_var", "1.weight",
      "3.weight", "4.bias", "4.num_batches_tracked", "4.running_mean", "4.running_var", "4.weight", "6.weight",
    ])
    let x = Tensor(randomNormal: [5, 8], using: &rng)
    let y = Sequential([head, L2Normalize()])(x)
    #expect(y.shape == [5, 4])
    #expect(y.squared().sum(alongAxes: [1]).scalars.allSatisfy { abs($0 - 1) < 1e-5 })
  }

  @Test func batchNormCumulativeAverageAndEvalMode() {
    let bn = BatchNorm(features: 2, momentum: nil)
    let a = Tensor(shape: [2, 2], scalars: [1, 10, 3, 20])
    let b = Tensor(shape: [2, 2], scalars: [5, 0, 7, 0])
    _ = bn(a)
    _ = bn(b)
    // Cumulative average of the batch means (2, 15) and (6, 0); unbiased variances (2, 50) and (2, 0).
    #expect(bn.runningMean!.value.scalars == [4, 7.5])
    #expect(bn.runningVariance!.value.scalars == [2, 25])
    #expect(bn.batchesTracked!.value.scalar == 2)
    bn.setTraining(false)
    let y = bn(Tensor(shape: [1, 2], scalars: [4, 7.5]))
    #expect(y.scalars.allSatisfy { abs($0) < 1e-6 })
    #expect(bn.batchesTracked!.value.scalar == 2)
  }

  @Test func trainingReducesTheLoss() throws {
    // A small end-to-end check: SGD on a fixed batch lowers the loss of a ResNet.
    var rng = RandomGenerator(seed: 3)
    let model = ResNet(ResNetConfiguration(stem: .cifar, width: 4, inChannels: 1, classes: 3), rng: &rng)
    let optimizer = SGD(model.parameters(), learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
    let x = Tensor(randomNormal: [12, 1, 8, 8], using: &rng)
    let labels = (0..<12).map { $0 % 3 }
    var losses = [Float]()
    for _ in 0..<15 {
      let loss = model(x).crossEntropy(labels: labels)
      try loss.checkFinite("loss")
      losses.append(loss.scalar)
      loss.backward()
      optimizer.step()
      optimizer.clearGradients()
    }
    #expect(losses.last! < 0.5 * losses.first!)
  }
}
