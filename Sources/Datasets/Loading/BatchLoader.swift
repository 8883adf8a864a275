import Engine

/// Seeded shuffling, augmentation and batching of an `ImageSet`.
///
/// Every batch is a pure function of (seed, epoch, batch index): with
/// `root = RandomGenerator(seed: seed).stream(.batches)`, epoch `e`'s order is a
/// permutation drawn from `root.stream(e).stream(0)`, and image `i`'s views in that epoch
/// draw from `root.stream(e).stream(i + 1)`, one view after another. So
/// a seed gives the same batches on every run, for any thread count and any prefetch
/// depth.
///
/// ```swift
/// let loader = BatchLoader(images: train, batchSize: 256, views: 2,
///                          transform: AugmentationRecipe.simclr.transform(height: 28, width: 28, normalization: nil),
///                          seed: 0, threads: ThreadCount(2))
/// for batch in loader.batches(epoch: 0) { ... }   // prepared on background threads
/// ```
public struct BatchLoader: Sendable {
  /// The images batches are drawn from.
  public let images: ImageSet
  /// Images per batch (the last batch of an epoch may be smaller unless `dropLast`).
  public let batchSize: Int
  /// Augmented views made of every image (2 for SimCLR/SupCon, 2 + S for FNC).
  public let views: Int
  /// The augmentation each view goes through; it must give every image one size.
  public let transform: any ImageTransform
  /// Visit the images in a seeded random order each epoch (else in index order).
  public let shuffle: Bool
  /// Drop the last batch when it would be smaller than `batchSize`.
  public let dropLast: Bool
  /// The seed every order and every augmentation derives from.
  public let seed: UInt64
  /// Worker threads preparing batches in the background.
  public let threads: ThreadCount
  /// How many batches may wait ready ahead of the consumer.
  public let prefetch: Int
  /// The part of every batch this loader makes: in data-parallel training rank r of P
  /// takes images r·B/P ..< (r+1)·B/P of each global batch of B, so the ranks' parts
  /// together are exactly the one-process batch, for any P.
  public let shard: Shard

  /// One of `count` equal parts of every batch.
  public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
      precondition(count >= 1 && index >= 0 && index < count, "BatchLoader.Shard: part \(index) of \(count)")
      self.index = index
      self.count = count
    }

    /// The whole batch.
    public static let whole = Shard(index: 0, count: 1)
  }

  /// A loader of `images`; `batchSize`, `views` and `prefetch` must be positive.
  public init(
    images: ImageSet, batchSize: Int, views: Int = 1, transform: any ImageTransform = Compose([]),
    shuffle: Bool = true,
    dropLast: Bool = false, seed: UInt64, threads: ThreadCount = .available, prefetch: Int = 4, shard: Shard = .whole
  ) {
    precondition(
      batchSize > 0 && views > 0 && prefetch > 0,
      "BatchLoader: batch size, views and prefetch must be positive")
    precondition(
      shard.count == 1 || (dropLast && batchSize % shard.count == 0),
      "BatchLoader: a sharded loader needs whole batches that split into \(shard.count) equal parts")
    self.images = images
    self.batchSize = batchSize
    self.views = views
    self.transform = transform
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.seed = seed
    self.threads = threads
    self.prefetch = prefetch
    self.shard = shard
  }

  /// Batches in one epoch.
  public var batchesPerEpoch: Int {
    dropLast ? images.count / batchSize : (images.count + batchSize - 1) / batchSize
  }

  /// The order in which epoch `epoch` visits the images.
  public func order(epoch: Int) -> [Int] {
    guard shuffle else { return Array(0..<images.count) }
    var rng = RandomGenerator(seed: seed).stream(.batches).stream(UInt64(epoch)).stream(0)
    return rng.permutation(images.count)
  }

  /// Batch `index` of epoch `epoch`, made on the calling thread.
  public func batch(epoch: Int, index: Int) -> Batch {
    makeBatch(epoch: epoch, index: index, order: order(epoch: epoch))
  }

  /// The batches of epoch `epoch` in order from batch `first` on (a resumed run starts
  /// mid-epoch), prepared by `threads` background threads at most `prefetch` batches
  /// ahead. Stopping early (breaking out of a loop) stops the workers.
  public func batches(epoch: Int, from first: Int = 0) -> BatchSequence {
    precondition(first >= 0 && first <= batchesPerEpoch, "BatchLoader: batch \(first) of \(batchesPerEpoch)")
    return BatchSequence(loader: self, epoch: epoch, first: first)
  }

  func makeBatch(epoch: Int, index: Int, order: [Int]) -> Batch {
    precondition(
      index >= 0 && index < batchesPerEpoch, "BatchLoader: batch \(index) of \(batchesPerEpoch)")
    let part = batchSize / shard.count
    let first = index * batchSize + (shard.count == 1 ? 0 : shard.index * part)
    let members = Array(order[first..<min(first + (shard.count == 1 ? batchSize : part), order.count)])
    let epochRandom = RandomGenerator(seed: seed).stream(.batches).stream(UInt64(epoch))
    var pixels = [Float]()
    var shape: (channels: Int, height: Int, width: Int)?
    for (position, imageIndex) in members.enumerated() {
      var rng = epochRandom.stream(UInt64(imageIndex) + 1)
      let original = images.image(imageIndex)
      for view in 0..<views {
        let augmented = transform(original, using: &rng)
        if let shape {
          precondition(
            shape == (augmented.channels, augmented.height, augmented.width),
            "BatchLoader: the transform must give every image one size (add a crop or resize)")
        } else {
          shape = (augmented.channels, augmented.height, augmented.width)
          pixels = [Float](repeating: 0, count: views * members.count * augmented.pixels.count)
        }
        let size = augmented.pixels.count
        let offset = (view * members.count + position) * size
        pixels.withUnsafeMutableBufferPointer { target in
          _ = UnsafeMutableBufferPointer(rebasing: target[offset..<offset + size]).update(
            fromContentsOf: augmented.pixels)
        }
      }
    }
    let (channels, height, width) = shape ?? (images.channels, images.height, images.width)
    return Batch(
      pixels: pixels, labels: members.map { images.labels[$0] }, indices: members, views: views,
      channels: channels,
      height: height, width: width)
  }
}
