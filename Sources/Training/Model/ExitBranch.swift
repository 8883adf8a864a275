import Engine
import RunFormat

/// SelfCon's sub-network (shared/spec/methods.md §3.2): from the output of an encoder
/// stage to a pooled feature of the encoder's feature width. `fc` pools first and maps
/// with a linear layer (`fc.weight`); `small` and `same` run private copies of the
/// remaining stages (`layer3`, `layer4`, … with half or all of their blocks) and pool.
public final class ExitBranch: Module {
  public var isTraining = true
  /// The linear layer of an `fc` exit.
  public let fc: Linear?
  /// The private stages of a `small` or `same` exit, named after the stages they copy.
  public let stages: [Sequential]
  /// The first encoder stage the branch copies (stage index + 1 of its input).
  private let firstStage: Int

  /// The branch `exit` describes for an encoder of `encoder`.
  public init(_ exit: ModelArchitecture.Exit, encoder: ResNetConfiguration, rng: inout RandomGenerator) {
    let inputChannels = (encoder.width << (exit.stage - 1)) * encoder.depth.expansion
    firstStage = exit.stage
    switch exit.size {
    case "fc":
      fc = Linear(inFeatures: inputChannels, outFeatures: encoder.featureDimension, rng: &rng)
      stages = []
    default:
      let full = encoder.depth.blocks
      let blocks = exit.size == "small" ? full.map { max($0 / 2, 1) } : full
      fc = nil
      stages = ResNet.makeStages(encoder, from: exit.stage, blocks: blocks, rng: &rng)
    }
  }

  public var children: [(name: String, module: any Module)] {
    if let fc { return [("fc", fc)] }
    return stages.enumerated().map { ("layer\(firstStage + $0.offset + 1)", $0.element as any Module) }
  }

  /// The exit's pooled features [N, D] from the stage output [N, C, H, W].
  public func callAsFunction(_ stageOutput: Tensor) -> Tensor {
    if let fc { return fc(stageOutput.globalAveragePool()) }
    return stages.reduce(stageOutput) { $1($0) }.globalAveragePool()
  }
}
