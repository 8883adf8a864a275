import Datasets
import Engine
import Foundation

/// `clens-bench augment [--data fashion-mnist|rgb32] [--threads 2] [--batch-size 256]
/// [--batches 40] [--repeats 3]`: augmented two-view SimCLR batches per second, made by
/// the prefetching BatchLoader and consumed as fast as they come. Prints
/// `augment_<data>: <best> batches/s` lines like the peer scripts.
enum AugmentBench {
  static func run(_ arguments: [String]) throws {
    let options = BenchOptions(arguments)
    let data = options["data", default: "fashion-mnist"]
    let threads = options["threads", default: 2]
    let batchSize = options["batch-size", default: 256]
    let batches = options["batches", default: 40]
    let repeats = options["repeats", default: 3]

    let images: ImageSet
    let normalization: (mean: [Float], std: [Float])
    switch data {
    case "fashion-mnist":
      images = try DatasetSource(.fashionMNIST).load(.train)
      normalization = ([0.2860], [0.3530])
    case "rgb32":
      // 32x32 RGB noise, as many images as CIFAR-10's training set (the cost of the
      // recipe does not depend on the content).
      var rng = RandomGenerator(seed: 0)
      let count = 50_000
      var pixels = [UInt8](repeating: 0, count: count * 3072)
      for i in 0..<pixels.count { pixels[i] = UInt8(truncatingIfNeeded: rng.next()) }
      images = ImageSet(
        pixels: pixels, labels: (0..<count).map { $0 % 10 }, channels: 3, height: 32, width: 32,
        classNames: CIFARBinary.cifar10Classes)
      normalization = ([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010])
    default:
      print(
        "usage: clens-bench augment --data fashion-mnist|rgb32 [--threads 2] [--batch-size 256] [--batches 40] [--repeats 3]"
      )
      return
    }
    let recipe = AugmentationRecipe.simclr
    let loader = BatchLoader(
      images: images, batchSize: batchSize, views: recipe.views,
      transform: recipe.transform(
        height: images.height, width: images.width, normalization: normalization),
      dropLast: true, seed: 0, threads: ThreadCount(threads))
    precondition(batches + 2 <= loader.batchesPerEpoch, "augment bench: --batches exceeds an epoch")
    print(
      "# clens-bench augment: SimCLR recipe, \(data) \(images.channels)x\(images.height)x\(images.width), batch \(batchSize) x 2 views, \(threads) threads"
    )
    var best = 0.0
    for epoch in 0..<repeats {
      let sequence = loader.batches(epoch: epoch)
      // Two warm-up batches: thread start and the first fill of the queue.
      _ = sequence.next()
      _ = sequence.next()
      let start = DispatchTime.now().uptimeNanoseconds
      var checksum: Float = 0
      for _ in 0..<batches {
        guard let batch = sequence.next() else { break }
        checksum += batch.pixels[batch.pixels.count / 2]
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      let rate = Double(batches) / seconds
      best = max(best, rate)
      print("# repeat \(epoch): \(String(format: "%.2f", rate)) batches/s (checksum \(checksum))")
    }
    print("augment_\(data): \(String(format: "%.2f", best)) batches/s")
    print("augment_\(data)_images: \(String(format: "%.0f", best * Double(batchSize))) images/s")
  }
}
