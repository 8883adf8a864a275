import Engine
import Testing
import TestSupport

/// A whole ResNet-18 (CIFAR stem, width 16, 1 channel) against PyTorch: weights exported
/// by `safetensors.torch.save_file`, one train-mode step's logits, loss, every parameter
/// gradient and BN running statistic, and eval-mode features and logits.
@Suite struct ResNetParityTests {
  static let configuration = ResNetConfiguration(depth: .resnet18, stem: .cifar, width: 16, inChannels: 1, classes: 10)

  func model(normalized: Bool = false) throws -> ResNet {
    var rng = RandomGenerator(seed: 0)
    var configuration = Self.configuration
    if normalized { configuration.normalization = (mean: [0.2860], std: [0.3530]) }
    let model = ResNet(configuration, rng: &rng)
    try model.loadWeights(from: Fixtures.path("resnet18w16.safetensors"))
    return model
  }

  @Test func namesMatchTorchvision() throws {
    let file = try SafeTensorsFile.read(Fixtures.path("resnet18w16.safetensors"))
    let names = Set(try model().stateDict().keys)
    #expect(names == Set(file.tensors.keys))
    #expect(names.contains("layer2.0.downsample.1.running_var") && names.contains("fc.bias"))
  }

  @Test(arguments: [1, 2])
  func trainingStepGradients(threads: Int) throws {
    let reference = try Fixtures.tensors("resnet18w16-train.safetensors")
    let model = try model()
    let labels = reference["labels"]!.scalars.map { Int($0) }
    try withThreads(ThreadCount(threads)) {
      let logits = model(reference["input"]!)
      let loss = logits.crossEntropy(labels: labels)
      try loss.checkFinite("loss")
      #expect(maxNormalizedError(logits.scalars, reference["logits"]!.scalars) < 1e-4)
      #expect(abs(loss.scalar - reference["loss"]!.scalar) < 1e-5 * max(1, abs(loss.scalar)))
      loss.backward()
    }
    let parameters = model.namedParameters()
    #expect(parameters.count == 62)
    // The reference is float64: float32 rounding alone (PyTorch's too) moves small
    // entries by ~5e-4 relative, so entries are compared relative to the tensor's scale
    // at 1e-4, and element-wise (above 1e-3 of the scale) at 3e-3: the 3×3 stride-1
    // layers' Winograd F(4×4, 3×3) rounds a few times more than im2col, and entries just
    // above the floor reach 2.7e-3 (2.3e-3 with the baseline kernels, CLENS_ISA=baseline).
    for (name, parameter) in parameters {
      let expected = reference["grad.\(name)"]!.scalars
      let actual = parameter.gradient!.scalars
      let error = maxNormalizedError(actual, expected)
      #expect(error < 1e-4, "gradient of \(name): error \(error) relative to its largest entry")
      #expect(maxRelativeError(actual, expected) < 3e-3, "gradient of \(name): element-wise")
    }
    // Running means are averages of activations near zero, where element-wise relative
    // error only measures cancellation: compare to the tensor's scale at 1e-5, and
    // element-wise at the 1e-4.
    for (name, buffer) in model.namedBuffers() {
      let actual = buffer.value.scalars, expected = reference["after.\(name)"]!.scalars
      let error = maxNormalizedError(actual, expected)
      #expect(error < 1e-5, "buffer \(name) after the step: error \(error) relative to its largest entry")
      #expect(maxRelativeError(actual, expected) < 1e-4, "buffer \(name) after the step: element-wise")
    }
  }

  @Test func evaluationFeaturesAndLogits() throws {
    let expected = try Fixtures.tensors("features-expected.safetensors")
    let images = try NPYArray.read(Fixtures.path("features-images.npy"))
    let model = try model(normalized: true)
    model.setTraining(false)
    let x = Tensor(shape: [images.shape[0], 1, 28, 28], scalars: images.floats().map { $0 / 255 })
    let out = withoutGradients { model.forward(x) }
    #expect(!out.features.requiresGradient)
    // Element-wise at 2e-4: Winograd F(4×4, 3×3)'s rounding (see above) takes the logits to
    // 1.0e-4 with the baseline kernels.
    #expect(maxRelativeError(out.features.scalars, expected["features"]!.scalars) < 2e-4)
    #expect(maxRelativeError(out.logits!.scalars, expected["logits"]!.scalars) < 2e-4)
  }
}
