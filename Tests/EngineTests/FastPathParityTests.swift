@testable import Engine
import Testing
import TestSupport

/// The engine's fast convolution paths and ResNet-50's training mode against PyTorch
/// (float64 references of `scripts/fixtures/engine_paths.py`).
@Suite struct FastPathParityTests {
  /// Float32 against a float64 reference: entries relative to the tensor's largest at
  /// 1e-4, as the ResNet-18 parity test compares.
  func expectClose(_ actual: Tensor?, _ expected: Tensor?, _ what: String, tolerance: Float = 1e-4) {
    guard let actual, let expected, actual.shape == expected.shape else {
      Issue.record("\(what): missing or of another shape (\(String(describing: actual?.shape)) vs \(String(describing: expected?.shape)))")
      return
    }
    let error = maxNormalizedError(actual.scalars, expected.scalars)
    #expect(error < tolerance, "\(what): error \(error) relative to its largest entry")
  }

  /// Two BasicBlocks at 64 channels: the 3x3 stride-1 convolutions run on the Winograd
  /// path, the strided and 1x1 ones on the GEMM path; 11x11 maps leave partial tiles.
  @Test(arguments: [16, 11], ["train", "eval"])
  func wideBlocks(size: Int, mode: String) throws {
    let reference = try Fixtures.tensors("wide-blocks.safetensors")
    var rng = RandomGenerator(seed: 0)
    let blocks = Sequential([
      BasicBlock(inPlanes: 64, planes: 64, stride: 1, rng: &rng), BasicBlock(inPlanes: 64, planes: 64, stride: 2, rng: &rng),
    ])
    try blocks.loadStateDict(Fixtures.stateDict(reference))
    blocks.setTraining(mode == "train")
    // The test is about these paths: it must fail if the dispatch rules stop sending
    // these layers there.
    let first = ConvGeometry(input: [2, 64, size, size], weight: [64, 64, 3, 3], stride: 1, padding: 1)
    #expect(Winograd.applies(to: first))
    #expect(Winograd.applies(to: ConvGeometry(input: [2, 64, 8, 8], weight: [64, 64, 3, 3], stride: 1, padding: 1)))
    let prefix = "\(size).\(mode)."
    let x = reference["\(size).input"]!.requiringGradient()
    let output = blocks(x)
    let loss = (output * reference["\(size).projection"]!).sum()
    loss.backward()
    expectClose(output, reference[prefix + "output"], prefix + "output")
    expectClose(x.gradient, reference[prefix + "grad_input"], prefix + "input gradient")
    guard mode == "train" else { return }
    let parameters = blocks.namedParameters()
    #expect(parameters.count == 15)
    for (name, parameter) in parameters {
      expectClose(parameter.gradient, reference[prefix + "grad." + name], prefix + "gradient of " + name)
    }
    for (name, buffer) in blocks.namedBuffers() {
      expectClose(buffer.value, reference[prefix + "after." + name], prefix + name + " after the step", tolerance: 1e-5)
    }
  }

  /// ResNet-50 in training mode, Bottleneck blocks with batch statistics. The forward
  /// pass, the loss and the running statistics after the step are compared whole. The
  /// gradients are compared block by block, from PyTorch's recorded input and output
  /// gradient of each block: whole-network train-mode gradients of a random-init
  /// ResNet-50 are chaotic (a 1e-6 relative change of the images moves them by 2-25 % in
  /// float64 itself, see scripts/fixtures/engine_paths.py), so float32 can agree with
  /// them only to that extent, which the whole-network check below allows.
  @Test func resnet50TrainingStep() throws {
    let reference = try Fixtures.tensors("resnet50w4-train.safetensors")
    var rng = RandomGenerator(seed: 0)
    let model = ResNet(ResNetConfiguration(depth: .resnet50, stem: .imagenet, width: 4, inChannels: 3, classes: 7), rng: &rng)
    try model.loadStateDict(Fixtures.stateDict(reference))
    model.setTraining(true)
    let x = reference["input"]!.requiringGradient()
    let logits = model(x)
    let loss = logits.crossEntropy(labels: reference["labels"]!.scalars.map { Int($0) })
    loss.backward()
    // Fifty layers with batch statistics over as few as 16 values (2x2 maps) carry the
    // input's rounding along: the whole forward pass agrees to a few 1e-5.
    expectClose(logits, reference["train.output"], "logits", tolerance: 5e-4)
    #expect(abs(loss.scalar - reference["train.loss"]!.scalar) < 1e-4 * max(1, abs(loss.scalar)))
    for (name, buffer) in model.namedBuffers() {
      expectClose(buffer.value, reference["train.after." + name], name + " after the step", tolerance: 5e-5)
    }
    let parameters = model.namedParameters()
    #expect(parameters.count == 161)
    for (name, parameter) in parameters {
      expectClose(parameter.gradient, reference["train.grad." + name], "whole-network gradient of " + name, tolerance: 0.5)
    }
    var blocks = 0
    for (stage, sequential) in model.stages.enumerated() {
      for (index, layer) in sequential.layers.enumerated() {
        let name = "block.layer\(stage + 1).\(index)."
        let block = try #require(layer as? Bottleneck)
        block.clearGradients()
        let input = reference[name + "input"]!.requiringGradient()
        (block(input) * reference[name + "grad_output"]!).sum().backward()
        expectClose(input.gradient, reference[name + "grad_input"], name + "grad_input")
        for (parameter, value) in block.namedParameters() {
          expectClose(value.gradient, reference[name + "grad." + parameter], name + parameter)
        }
        blocks += 1
      }
    }
    #expect(blocks == 16)
  }
}
