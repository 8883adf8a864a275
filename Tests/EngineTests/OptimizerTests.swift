import Engine
import Foundation
import Testing
import TestSupport

/// Optimizer steps against torch.optim (SGD, Adam, AdamW) and SimCLR's LARS formula
/// (fixtures/optimizers.safetensors): three steps each, so momentum state matters.
@Suite struct OptimizerTests {
  let reference: [String: Tensor]

  init() throws { reference = try Fixtures.tensors("optimizers.safetensors") }

  func run(_ name: String, _ make: ([Parameter]) -> any Optimizer) {
    let parameters = (0..<3).map { Parameter(reference["param\($0)"]!) }
    let optimizer = make(parameters)
    for step in 0..<3 {
      // Each step's gradient arrives through the tape, as in training.
      for (i, parameter) in parameters.enumerated() {
        (parameter.value * reference["grad\(step).\(i)"]!).sum().backward()
      }
      optimizer.step()
      optimizer.clearGradients()
      for (i, parameter) in parameters.enumerated() {
        let error = maxRelativeError(parameter.value.scalars, reference["\(name).step\(step).\(i)"]!.scalars)
        #expect(error < 1e-5, "\(name) step \(step) parameter \(i): relative error \(error)")
        #expect(parameter.gradient == nil)
      }
    }
  }

  @Test func sgd() {
    run("sgd_nesterov") { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4) }
    run("sgd_momentum") { SGD($0, learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-4) }
    run("sgd_plain") { SGD($0, learningRate: 0.2) }
  }

  @Test func lars() {
    run("lars") { LARS($0, learningRate: 0.5, momentum: 0.9, trustCoefficient: 0.001, weightDecay: 1e-4) }
    run("lars_nesterov") { LARS($0, learningRate: 0.5, momentum: 0.9, weightDecay: 1e-4, nesterov: true) }
  }

  @Test func adam() {
    run("adam") { Adam($0, learningRate: 1e-2, beta1: 0.5, weightDecay: 1e-3) }
    run("adamw") { Adam($0, learningRate: 1e-2, weightDecay: 0.05, decoupledWeightDecay: true) }
  }

  /// Two half-batches with the loss halved accumulate the full batch's gradient.
  @Test func gradientAccumulation() {
    var rng = RandomGenerator(seed: 1)
    let layer = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
    let x = Tensor(randomNormal: [6, 4], using: &rng)
    let labels = [0, 2, 1, 1, 0, 2]
    layer(x).crossEntropy(labels: labels).backward()
    let full = layer.weight.gradient!.scalars
    layer.clearGradients()
    for half in [0..<3, 3..<6] {
      (layer(x.slice(alongAxis: 0, half)).crossEntropy(labels: Array(labels[half])) * 0.5).backward()
    }
    #expect(maxRelativeError(layer.weight.gradient!.scalars, full) < 1e-5)
  }

  @Test func schedulesMatchPyTorch() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("schedules.json")))
    let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Double]])
    let schedules: [String: LearningRateSchedule] = [
      "cosine_T10": .cosine(base: 0.5, steps: 10),
      "cosine_T10_min0.01": .cosine(base: 0.5, steps: 10, minimum: 0.01),
      "multistep_3_6_g0.1": .multiStep(base: 0.5, milestones: [3, 6], gamma: 0.1),
      "linear_warmup_4_from0.1": LearningRateSchedule.constant(0.5).withLinearWarmup(steps: 4, startFactor: 0.1),
    ]
    #expect(Set(schedules.keys) == Set(expected.keys))
    for (name, schedule) in schedules {
      let values = expected[name]!
      for (t, value) in values.enumerated() {
        #expect(abs(Double(schedule(t)) - value) < 1e-6 * max(1, abs(value)), "\(name) at step \(t)")
      }
    }
  }

  @Test func warmupCombinators() {
    // FNC: linear from 0 over 4 steps to the peak, then cosine to 0 over the remaining 6.
    let fnc = LearningRateSchedule.cosine(base: 2, steps: 6).delayed(by: 4).afterWarmup(steps: 4, from: 0)
    #expect([0, 1, 2, 3, 4].map { fnc($0) } == [0, 0.5, 1, 1.5, 2])
    #expect(abs(fnc(7) - 1) < 1e-6 && abs(fnc(10)) < 1e-6)
    // SupCon: from 0.01 to the cosine value at the end of warm-up.
    let cosine = LearningRateSchedule.cosine(base: 0.5, steps: 100)
    let supcon = cosine.afterWarmup(steps: 10, from: 0.01)
    #expect(supcon(0) == 0.01 && abs(supcon(5) - (0.01 + (cosine(10) - 0.01) / 2)) < 1e-7 && supcon(20) == cosine(20))
  }
}
