import Datasets
import Engine
import Foundation
import RunFormat
import Testing
import Training

/// Data-parallel training, its ranks as threads (`ThreadedProcessGroup`): P ranks with
/// synchronized batch norm train as one process with the same global batch.
@Suite struct DataParallelTests {
  /// What a run ends with: the loss of every step, the logged scores, and the weights.
  struct Outcome: Sendable {
    var losses: [Double]
    var scores: [ScoreRecord]
    var state: [String: [Float]]
  }

  final class Recorder: TrainingObserver {
    var losses = [Double]()
    var scores = [ScoreRecord]()
    func stepFinished(_ report: StepReport) throws { losses.append(report.loss) }
    func logged(_ metrics: MetricsRecord, _ scores: ScoreRecord?) throws { scores.map { self.scores.append($0) } }
  }

  static func train(_ configuration: RunConfiguration, group: any ProcessGroup) throws -> Outcome {
    let trainer = try Trainer(
      configuration: configuration, data: TrainingData.Splits(train: TinyRun.train, heldOut: nil), threads: .one,
      group: group, synchronizedBatchNorm: true)
    let recorder = Recorder()
    try trainer.train(writer: nil, observers: [recorder])
    return Outcome(losses: recorder.losses, scores: recorder.scores, state: TinyRun.state(trainer.model))
  }

  static func configuration(_ method: String) -> RunConfiguration {
    var configuration = method == "moco" ? MoCoTrainingTests.configuration(featureTransform: false)
      : method == "fnc" ? FNCTrainingTests.configuration(memoryMultiplier: 4)
      : TinyRun.configuration(method: method)
    configuration.optimization.epochs = 1
    configuration.logging.logEvery = 1
    return configuration
  }

  /// The largest |a − b| over every tensor, relative to the largest |a| of that tensor.
  static func largestDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float {
    var worst: Float = 0
    for (name, values) in a {
      let other = b[name] ?? []
      guard other.count == values.count else { return .infinity }
      let scale = values.map(abs).max() ?? 0
      for (x, y) in zip(values, other) {
        let difference = abs(x - y) / max(scale, 1e-6)
        guard difference.isFinite else { return .infinity }
        worst = max(worst, difference)
      }
    }
    return worst
  }

  @Test(arguments: ["simclr", "supcon", "moco", "fnc"]) func twoRanksTrainAsOneProcess(method: String) throws {
    let configuration = Self.configuration(method)
    let single = try Self.train(configuration, group: SingleProcess())
    let ranks = try ThreadedProcessGroup.run(size: 2) { group in try Self.train(configuration, group: group) }
    #expect(single.losses.count == configuration.optimization.totalSteps)
    // Every rank holds the same weights, bit for bit, and logs the same global numbers.
    #expect(ranks[0].state == ranks[1].state)
    #expect(ranks[0].losses == ranks[1].losses)
    for (one, two) in zip(single.losses, ranks[0].losses) {
      #expect(abs(one - two) <= 1e-4 * abs(one), "loss \(one) on one process, \(two) on two ranks")
    }
    // Scores of the global batch: as many pairs as one process sees, the same mean.
    #expect(single.scores.count == ranks[0].scores.count)
    for (one, two) in zip(single.scores, ranks[0].scores) {
      #expect(one.positive.count == two.positive.count && one.negative.count == two.negative.count)
      #expect(abs(one.positive.mean - two.positive.mean) <= 1e-4)
      #expect(abs(one.negative.mean - two.negative.mean) <= 1e-4)
    }
    let difference = Self.largestDifference(single.state, ranks[0].state)
    #expect(difference <= 1e-3, "weights differ by \(difference) of their scale")
  }

  /// Without synchronized batch norm each rank normalises its own shard, so the losses
  /// differ from one process's: the test above would notice a synchronizer that did
  /// nothing.
  @Test func shardStatisticsDifferFromTheGlobalBatchs() throws {
    let configuration = Self.configuration("simclr")
    let single = try Self.train(configuration, group: SingleProcess())
    let ranks = try ThreadedProcessGroup.run(size: 2) { group in
      let trainer = try Trainer(
        configuration: configuration, data: TrainingData.Splits(train: TinyRun.train, heldOut: nil), threads: .one,
        group: group)
      let recorder = Recorder()
      try trainer.train(writer: nil, observers: [recorder])
      return recorder.losses
    }
    #expect(abs(single.losses[0] - ranks[0][0]) > 1e-3 * abs(single.losses[0]))
  }

  @Test func shardsOfABatchMakeTheWholeBatch() {
    let transform = AugmentationRecipe.simclr.transform(height: 8, width: 8, normalization: nil)
    func loader(_ shard: BatchLoader.Shard) -> BatchLoader {
      BatchLoader(
        images: TinyRun.train, batchSize: 64, views: 2, transform: transform, dropLast: true, seed: 3, threads: .one,
        shard: shard)
    }
    let whole = loader(.whole).batch(epoch: 1, index: 2)
    let parts = (0..<4).map { loader(BatchLoader.Shard(index: $0, count: 4)).batch(epoch: 1, index: 2) }
    #expect(parts.flatMap(\.indices) == whole.indices)
    #expect(parts.flatMap(\.labels) == whole.labels)
    for view in 0..<2 {
      #expect(parts.flatMap { Array($0.view(view)) } == Array(whole.view(view)))
    }
  }

  @Test func gatheredViewsAreInTheOneProcessOrderAndOnlyOwnRowsGetGradients() throws {
    // Rank r's rows: view v of image i is the value 100·r + 10·v + i (2 images, 2 views).
    let results = try ThreadedProcessGroup.run(size: 2) { group -> ([Float], [Float]) in
      let values = (0..<2).flatMap { view in (0..<2).map { Float(100 * group.rank + 10 * view + $0) } }
      let local = Tensor(shape: [4, 1], scalars: values).requiringGradient()
      let global = group.gatherViews(local, views: 2)
      let weights = Tensor(shape: [8, 1], scalars: (1...8).map(Float.init))
      let gradient = gradients(of: (global * weights).sum(), wrt: [local])[0]
      return (global.scalars, gradient.scalars)
    }
    #expect(results[0].0 == [0, 1, 100, 101, 10, 11, 110, 111])
    #expect(results[1].0 == results[0].0)
    // Rank 0's rows sit at global rows 0, 1, 4, 5; rank 1's at 2, 3, 6, 7.
    #expect(results[0].1 == [1, 2, 5, 6])
    #expect(results[1].1 == [3, 4, 7, 8])
  }

  @Test func gatheredRowsSendEachRankTheGradientOfEveryRanksLoss() throws {
    // Rank r's rows are [10r, 10r + 1]; rank r's loss weighs the 4 gathered rows by
    // (r + 1)·[1, 2, 3, 4], so each row's gradient is the sum 3·[1, 2, 3, 4] at its place.
    let results = try ThreadedProcessGroup.run(size: 2) { group -> ([Float], [Float]) in
      let local = Tensor(shape: [2, 1], scalars: [Float(10 * group.rank), Float(10 * group.rank + 1)]).requiringGradient()
      let global = group.gatherRows(local)
      let weights = Tensor(shape: [4, 1], scalars: [1, 2, 3, 4].map { Float(group.rank + 1) * $0 })
      return (global.scalars, gradients(of: (global * weights).sum(), wrt: [local])[0].scalars)
    }
    #expect(results[0].0 == [0, 1, 10, 11] && results[1].0 == results[0].0)
    #expect(results[0].1 == [3, 6] && results[1].1 == [9, 12])
  }

  @Test func pooledScoresAreTheScoresOfBothParts() {
    var rng = RandomGenerator(seed: 5)
    let positives = (0..<40).map { _ in Float(rng.uniform() * 2 - 1) }
    let negatives = (0..<120).map { _ in Float(rng.uniform() * 2 - 1) }
    func scores(_ p: ArraySlice<Float>, _ n: ArraySlice<Float>) -> PairScores {
      PairScores(positives: Array(p), negatives: Array(n), negativesPerAnchor: 6, accuracy: 0, bins: 10)
    }
    let whole = scores(positives[...], negatives[...])
    let parts = [scores(positives[..<20], negatives[..<60]), scores(positives[20...], negatives[60...])]
    for (side, pooled) in [
      (whole.positive, ScoreStatistics.pooled(parts.map(\.positive))),
      (whole.negative, ScoreStatistics.pooled(parts.map(\.negative))),
    ] {
      #expect(pooled.count == side.count)
      #expect(abs(pooled.mean - side.mean) <= 1e-12)
      #expect(abs(pooled.variance - side.variance) <= 1e-12)
      #expect(pooled.histogram == side.histogram)
    }
    // Equal shards: the mean of per-anchor variances is the mean of the parts' means.
    let anchorVariance = ScoreStatistics.pooled(parts.map(\.negative)).anchorVariance
    #expect(abs((anchorVariance ?? .nan) - (whole.negative.anchorVariance ?? .nan)) <= 1e-12)
  }

  /// Synchronized batch norm on two halves of a batch gives the outputs and gradients of
  /// plain batch norm on the whole batch (the weight gradients summed over the ranks).
  @Test(arguments: [(false, false), (true, false), (true, true)])
  func synchronizedBatchNormIsBatchNormOfTheWholeBatch(relu: Bool, residual: Bool) throws {
    var rng = RandomGenerator(seed: 9)
    let shape = [8, 3, 5, 5]
    let count = shape.reduce(1, *)
    let x = Tensor(shape: shape, scalars: (0..<count).map { _ in Float(rng.normal() * 2 + 1) })
    let g = Tensor(shape: shape, scalars: (0..<count).map { _ in Float(rng.normal()) })
    let r = Tensor(shape: shape, scalars: (0..<count).map { _ in Float(rng.normal()) })
    let weight = Tensor(shape: [3], scalars: [0.5, 1.5, -1])
    let bias = Tensor(shape: [3], scalars: [0.1, -0.2, 0.3])
    @Sendable func normalize(_ input: Tensor, _ upstream: Tensor, _ shortcut: Tensor, _ synchronizer: (any BatchNormSynchronizer)?)
      -> (y: [Float], dx: [Float], dw: [Float], db: [Float], dr: [Float], count: Int)
    {
      let (leaf, w, b, s) = (input.requiringGradient(), weight.requiringGradient(), bias.requiringGradient(), shortcut.requiringGradient())
      let (y, statistics) = leaf.batchNormalized(
        weight: w, bias: b, eps: 1e-5, adding: residual ? s : nil, relu: relu, synchronizer: synchronizer)
      let grads = gradients(of: (y * upstream).sum(), wrt: [leaf, w, b, s])
      return (y.scalars, grads[0].scalars, grads[1].scalars, grads[2].scalars, grads[3].scalars, statistics.count)
    }
    let whole = normalize(x, g, r, nil)
    let halves = try ThreadedProcessGroup.run(size: 2) { group in
      let rows = (4 * group.rank)..<(4 * group.rank + 4)
      return normalize(
        x.slice(alongAxis: 0, rows), g.slice(alongAxis: 0, rows), r.slice(alongAxis: 0, rows), SynchronizedBatchNorm(group))
    }
    func close(_ a: [Float], _ b: [Float]) -> Bool {
      a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) }
    }
    #expect(halves.allSatisfy { $0.count == 8 * 25 })
    #expect(close(halves[0].y + halves[1].y, whole.y))
    #expect(close(halves[0].dx + halves[1].dx, whole.dx))
    #expect(close(zip(halves[0].dw, halves[1].dw).map(+), whole.dw))
    #expect(close(zip(halves[0].db, halves[1].db).map(+), whole.db))
    #expect(close(halves[0].dr + halves[1].dr, whole.dr))
  }
}
