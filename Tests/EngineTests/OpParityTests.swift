import Engine
import Testing
import TestSupport

/// Each op's forward values and gradients against PyTorch (fixtures/ops.safetensors).
@Suite struct OpParityTests {
  let reference: [String: Tensor]

  init() throws { reference = try Fixtures.tensors("ops.safetensors") }

  func tensor(_ key: String) -> Tensor {
    guard let t = reference[key] else { preconditionFailure("fixture lacks \(key)") }
    return t
  }

  /// Runs `function` on the case's inputs, compares output and input gradients.
  func check(_ name: String, _ inputs: [String], tolerance: Float = 1e-4, _ function: ([Tensor]) -> Tensor) {
    for threads in [ThreadCount.one, ThreadCount(2)] {
      withThreads(threads) {
        let leaves = inputs.map { tensor("\(name).\($0)").requiringGradient() }
        let y = function(leaves)
        let expected = tensor("\(name).y")
        #expect(y.shape == expected.shape || (y.count == 1 && expected.count == 1), "\(name): shape \(y.shape) vs \(expected.shape)")
        #expect(maxRelativeError(y.scalars, expected.scalars) < tolerance, "\(name): forward")
        let seed = tensor("\(name).grad_y").reshaped(to: y.shape)
        let grads = gradients(of: y, wrt: leaves, seed: seed)
        for (input, grad) in zip(inputs, grads) {
          let error = maxRelativeError(grad.scalars, tensor("\(name).grad_\(input)").scalars)
          #expect(error < tolerance, "\(name): gradient of \(input) off by \(error) (\(threads.value) threads)")
        }
      }
    }
  }

  @Test func elementwise() {
    check("add", ["a", "b"]) { $0[0] + $0[1] }
    check("mul", ["a", "b"]) { $0[0] * $0[1] }
    check("div", ["a", "b"]) { $0[0] / $0[1] }
    check("exp", ["x"]) { $0[0].exp() }
    check("log", ["x"]) { $0[0].log() }
    check("sqrt", ["x"]) { $0[0].squareRoot() }
    check("relu", ["x"]) { $0[0].relu() }
    check("clamp", ["x"]) { $0[0].clamped(min: -0.5, max: 0.7) }
    check("where", ["a", "b"]) { Tensor.select(tensor("where.mask"), $0[0], $0[1]) }
  }

  @Test func reductionsAndSoftmax() {
    check("sum", ["x"]) { $0[0].sum(alongAxes: [0, 2]) }
    check("mean", ["x"]) { $0[0].mean(alongAxes: [1], keepingDimensions: true) }
    check("var", ["x"]) { $0[0].variance(alongAxes: [2]) }
    check("max", ["x"]) { $0[0].max(alongAxis: 1) }
    check("logsumexp", ["x"]) { $0[0].logSumExp(alongAxis: 1) }
    check("softmax", ["x"]) { $0[0].softmax(alongAxis: 1) }
    check("log_softmax", ["x"]) { $0[0].logSoftmax() }
    check("normalize", ["x"]) { $0[0].l2Normalized(alongAxis: 1) }
    check("topk", ["x"]) { $0[0].topK(3).values }
    let x = tensor("topk.x")
    #expect(x.topK(3).indices.map(Float.init) != [] && tensor("topk.x").topK(3).values.count == 12)
  }

  @Test func productsAndShapes() {
    check("matmul", ["a", "b"]) { $0[0].matmul($0[1]) }
    check("matmul_bt", ["a", "b"]) { $0[0].matmul($0[1], transposeOther: true) }
    check("linear", ["x", "w", "b"]) { $0[0].matmul($0[1], transposeOther: true) + $0[2] }
    check("concat", ["a", "b"]) { Tensor.concatenate([$0[0], $0[1]], alongAxis: 1) }
    check("stack", ["a", "b"]) { Tensor.stack([$0[0], $0[1]], alongAxis: 1) }
    let index = tensor("index_select.index").scalars.map { Int($0) }
    check("index_select", ["x"]) { $0[0].indexSelect(alongAxis: 0, index) }
    let gatherIndex = tensor("gather.index").scalars.map { Int($0) }
    check("gather", ["x"]) { $0[0].gather(alongAxis: 1, indices: gatherIndex, indexShape: [3, 2]) }
  }

  @Test(arguments: [("conv3x3", 1, 1), ("conv3x3s2", 2, 1), ("conv1x1", 1, 0), ("conv1x1s2", 2, 0), ("conv7x7s2", 2, 3)])
  func convolution(name: String, stride: Int, padding: Int) {
    check(name, ["x", "w"]) { $0[0].conv2d($0[1], stride: stride, padding: padding) }
  }

  @Test func poolingAndLosses() {
    check("maxpool", ["x"]) { $0[0].maxPool2d(kernelSize: 3, stride: 2, padding: 1) }
    check("avgpool", ["x"]) { $0[0].globalAveragePool() }
    let labels = tensor("cross_entropy.labels").scalars.map { Int($0) }
    check("cross_entropy", ["x"]) { $0[0].crossEntropy(labels: labels) }
    check("soft_cross_entropy", ["x"]) { $0[0].crossEntropy(softTargets: tensor("soft_cross_entropy.targets")) }
  }

  @Test(arguments: ["bn2d", "bn1d"])
  func batchNormModule(name: String) throws {
    let train = "\(name)_train"
    let channels = tensor("\(train).before.weight").count
    let bn = BatchNorm(features: channels)
    var state = [String: SafeTensor]()
    for key in ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"] {
      let t = tensor("\(train).before.\(key)")
      state[key] = key == "num_batches_tracked" ? SafeTensor(shape: [], int64s: [Int64(t.scalar)]) : SafeTensor(t)
    }
    try bn.loadStateDict(state)
    // Training mode: batch statistics, running statistics updated as PyTorch does.
    let x = tensor("\(train).x").requiringGradient()
    let y = bn(x)
    #expect(maxRelativeError(y.scalars, tensor("\(train).y").scalars) < 1e-4)
    y.backward(seed: tensor("\(train).grad_y"))
    #expect(maxRelativeError(x.gradient!.scalars, tensor("\(train).grad_x").scalars) < 1e-4)
    #expect(maxRelativeError(bn.weight!.gradient!.scalars, tensor("\(train).grad_weight").scalars) < 1e-4)
    #expect(maxRelativeError(bn.bias!.gradient!.scalars, tensor("\(train).grad_bias").scalars) < 1e-4)
    let after = bn.stateDict()
    for key in ["running_mean", "running_var"] {
      #expect(maxRelativeError(after[key]!.floats(), tensor("\(train).after.\(key)").scalars) < 1e-5, "\(name) \(key)")
    }
    #expect(after["num_batches_tracked"]! == SafeTensor(shape: [], int64s: [8]))
    // Evaluation mode: running statistics, which stay unchanged.
    bn.clearGradients()
    bn.setTraining(false)
    let eval = "\(name)_eval"
    let x2 = tensor("\(eval).x").requiringGradient()
    let y2 = bn(x2)
    #expect(maxRelativeError(y2.scalars, tensor("\(eval).y").scalars) < 1e-4)
    y2.backward(seed: tensor("\(eval).grad_y"))
    #expect(maxRelativeError(x2.gradient!.scalars, tensor("\(eval).grad_x").scalars) < 1e-4)
    #expect(maxRelativeError(bn.weight!.gradient!.scalars, tensor("\(eval).grad_weight").scalars) < 1e-4)
    #expect(maxRelativeError(bn.bias!.gradient!.scalars, tensor("\(eval).grad_bias").scalars) < 1e-4)
    #expect(bn.stateDict() == after)
  }
}
