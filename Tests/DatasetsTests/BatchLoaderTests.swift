import Datasets
import Engine
import Foundation
import Testing

struct BatchLoaderTests {
  /// 50 random 3x8x8 images with labels i % 5.
  static let set: ImageSet = {
    var rng = RandomGenerator(seed: 1)
    return ImageSet(
      pixels: (0..<(50 * 192)).map { _ in UInt8(rng.int(below: 256)) },
      labels: (0..<50).map { $0 % 5 }, channels: 3,
      height: 8, width: 8, classNames: ["a", "b", "c", "d", "e"])
  }()

  static func loader(threads: Int, prefetch: Int = 4, seed: UInt64 = 7, views: Int = 2)
    -> BatchLoader
  {
    BatchLoader(
      images: set, batchSize: 16, views: views,
      transform: AugmentationRecipe.simclr.transform(
        height: 6, width: 6, normalization: ([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])),
      seed: seed, threads: ThreadCount(threads), prefetch: prefetch)
  }

  @Test func sameSeedSameBatchesForAnyThreadCount() {
    let reference = Array(Self.loader(threads: 1).batches(epoch: 3))
    #expect(reference.count == 4)
    #expect(Array(Self.loader(threads: 3, prefetch: 1).batches(epoch: 3)) == reference)
    #expect(Array(Self.loader(threads: 2, prefetch: 8).batches(epoch: 3)) == reference)
    #expect((0..<4).map { Self.loader(threads: 1).batch(epoch: 3, index: $0) } == reference)
    #expect(Array(Self.loader(threads: 2).batches(epoch: 4)) != reference)
    #expect(Array(Self.loader(threads: 2, seed: 8).batches(epoch: 3)) != reference)
  }

  @Test func anEpochVisitsEveryImageOnceInShuffledOrder() {
    let batches = Array(Self.loader(threads: 2).batches(epoch: 0))
    let indices = batches.flatMap(\.indices)
    #expect(indices.sorted() == Array(0..<50) && indices != Array(0..<50))
    #expect(batches.map(\.count) == [16, 16, 16, 2])
    #expect(batches.allSatisfy { $0.labels == $0.indices.map { Self.set.labels[$0] } })
    #expect(batches[0].shape == [32, 3, 6, 6] && batches[0].pixels.allSatisfy(\.isFinite))
    let dropping = BatchLoader(
      images: Self.set, batchSize: 16, dropLast: true, seed: 0, threads: ThreadCount(2))
    #expect(dropping.batchesPerEpoch == 3 && Array(dropping.batches(epoch: 0)).count == 3)
  }

  @Test func viewsAreViewMajorAndIndependent() throws {
    // Without augmentation every view is the image itself, at row v * count + i.
    let plain = BatchLoader(
      images: Self.set, batchSize: 8, views: 3, shuffle: false, seed: 0, threads: ThreadCount(1))
    let batch = plain.batch(epoch: 0, index: 1)
    #expect(batch.indices == Array(8..<16) && batch.shape == [24, 3, 8, 8])
    for v in 0..<3 {
      for i in 0..<8 {
        let row = Array(batch.pixels[(v * 8 + i) * 192..<(v * 8 + i + 1) * 192])
        #expect(row == Self.set.image(8 + i).pixels)
      }
    }
    #expect(Array(batch.view(2)) == Array(batch.pixels[2 * 8 * 192..<3 * 8 * 192]))
    // With augmentation the two views of an image differ.
    let augmented = Self.loader(threads: 1).batch(epoch: 0, index: 0)
    #expect(augmented.view(0) != augmented.view(1))
  }

  /// A transform that passes images through and holds `token`: the token lives as long
  /// as any copy of the loader, and so as long as any batch worker thread.
  struct Tracked: ImageTransform {
    final class Token: Sendable {}
    let token: Token
    let inner: Compose

    func callAsFunction(_ image: Image, using rng: inout RandomGenerator) -> Image {
      inner(image, using: &rng)
    }
  }

  @Test func stoppingEarlyEndsTheWorkers() throws {
    weak var token: Tracked.Token?
    do {
      let strong = Tracked.Token()
      token = strong
      let many = BatchLoader(
        images: Self.set, batchSize: 1, views: 2,
        transform: Tracked(
          token: strong,
          inner: AugmentationRecipe.mocoV2.transform(height: 8, width: 8, normalization: nil)),
        seed: 0, threads: ThreadCount(2), prefetch: 2)
      var seen = 0
      for batch in many.batches(epoch: 0) {
        seen += batch.count
        if seen == 3 { break }
      }
      #expect(seen == 3)
    }
    // The workers were blocked waiting for room in the queue; dropping the sequence
    // must wake them and let them exit rather than leave them parked forever.
    let deadline = Date().addingTimeInterval(10)
    while token != nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    #expect(token == nil, "a batch worker thread outlived the sequence it worked for")
  }
}

struct TransformTests {
  let rgb: Image = {
    var rng = RandomGenerator(seed: 2)
    return Image(
      channels: 3, height: 12, width: 10, pixels: (0..<360).map { _ in rng.uniformFloat() })
  }()

  @Test func randomResizedCropFallsBackToTheCentredClampedWindow() {
    // An area of at least 90 % of a 12x40 image cannot have an aspect ratio <= 4/3.
    let crop = RandomResizedCrop(height: 4, width: 4, scale: 0.9...1)
    var rng = RandomGenerator(seed: 0)
    #expect(
      crop.sampleBox(height: 12, width: 40, using: &rng)
        == CropBox(top: 0, left: 12, height: 12, width: 16))
    #expect(
      crop.sampleBox(height: 40, width: 12, using: &rng)
        == CropBox(top: 12, left: 0, height: 16, width: 12))
    let box = CropBox(top: 1, left: 2, height: 7, width: 5)
    #expect(
      crop.apply(rgb, box: box)
        == rgb.resizedCrop(top: 1, left: 2, height: 7, width: 5, outHeight: 4, outWidth: 4))
  }

  @Test func colorJitterParameters() {
    let jitter = ColorJitter(brightness: 0.4, contrast: 0.8, saturation: 0, hue: 0.1)
    var rng = RandomGenerator(seed: 3)
    var orders = Set<[ColorJitter.Adjustment]>()
    var brightness = [Float]()
    var contrast = [Float]()
    var hue = [Float]()
    for _ in 0..<2000 {
      let p = jitter.sampleParameters(using: &rng)
      orders.insert(p.order)
      #expect(Set(p.order) == Set(ColorJitter.Adjustment.allCases))
      #expect(p.saturation == nil)
      brightness.append(p.brightness ?? .nan)
      contrast.append(p.contrast ?? .nan)
      hue.append(p.hue ?? .nan)
    }
    #expect(orders.count == 24)
    // Each factor is uniform over torchvision's range: it stays inside and reaches
    // both ends (2000 draws come within 0.5 % of each end), centred on the middle.
    for (values, low, high) in [(brightness, 0.6, 1.4), (contrast, 0.2, 1.8), (hue, -0.1, 0.1)] {
      let (low, high) = (Float(low), Float(high))
      let margin = (high - low) * 0.005
      #expect(values.allSatisfy { $0 >= low && $0 <= high })
      #expect((values.min() ?? .nan) < low + margin && (values.max() ?? .nan) > high - margin)
      let mean = values.reduce(0, +) / Float(values.count)
      #expect(abs(mean - (low + high) / 2) < (high - low) * 0.03)
    }
  }

  @Test func probabilitiesAndGreyscaleImages() {
    var rng = RandomGenerator(seed: 4)
    let flip = RandomHorizontalFlip(probability: 0.3)
    let flips = (0..<4000).filter { _ in flip(rgb, using: &rng) != rgb }.count
    #expect(abs(Double(flips) / 4000 - 0.3) < 0.03)
    let greyed = RandomApply(probability: 0.8, [RandomGrayscale(probability: 1)])
    let count = (0..<4000).filter { _ in greyed(rgb, using: &rng) != rgb }.count
    #expect(abs(Double(count) / 4000 - 0.8) < 0.03)
    // Greyscale images keep one channel through every recipe; colour-only steps skip them.
    let grey = Image(channels: 1, height: 28, width: 28, repeating: 0.5)
    #expect(RandomGrayscale(probability: 1)(grey, using: &rng) == grey)
    #expect(grey.adjustingHue(0.3) == grey && grey.adjustingSaturation(0) == grey)
    #expect(RandomGrayscale(probability: 1)(rgb, using: &rng).channels == 3)
  }

  @Test func randomCropWithPaddingStaysInThePaddedImage() {
    let crop = RandomCrop(height: 12, width: 10, padding: 4)
    var rng = RandomGenerator(seed: 5)
    var corners = Set<[Int]>()
    for _ in 0..<3000 {
      let box = crop.sampleBox(height: 12, width: 10, using: &rng)
      #expect(box.top >= 0 && box.top <= 8 && box.left >= 0 && box.left <= 8)
      corners.insert([box.top, box.left])
    }
    #expect(corners.count == 81)
    let shifted = crop.apply(rgb, box: CropBox(top: 4, left: 4, height: 12, width: 10))
    #expect(shifted == rgb)
    #expect(crop.apply(rgb, box: CropBox(top: 0, left: 0, height: 12, width: 10))[0, 3, 3] == 0)
  }

  @Test func resizeTargetsAndBlurKernelSizes() {
    var rng = RandomGenerator(seed: 7)
    let shorter = Resize(.shorterSide(16))
    #expect(
      shorter.outputSize(height: 12, width: 10) == (19, 16)
        && shorter.outputSize(height: 10, width: 25) == (16, 40))
    let resized = shorter(rgb, using: &rng)
    #expect(resized.height == 19 && resized.width == 16)
    #expect(
      CenterCrop(height: 4, width: 6)(rgb, using: &rng)
        == rgb.cropped(top: 4, left: 2, height: 4, width: 6))
    #expect([224, 32, 28, 96].map(GaussianBlur.kernelSize(forSide:)) == [23, 3, 3, 9])
    let blur = GaussianBlur(kernelSize: 5, sigma: 0.5...1.5)
    for _ in 0..<100 {
      let sigma = blur.sampleSigma(using: &rng)
      #expect(sigma >= 0.5 && sigma <= 1.5)
    }
  }

  @Test func simclrBatchesOfFashionMNIST() throws {
    let test = try DatasetSource(.fashionMNIST).load(.test)
    let recipe = AugmentationRecipe.simclr
    let loader = BatchLoader(
      images: test, batchSize: 64, views: recipe.views,
      transform: recipe.transform(
        height: 28, width: 28, normalization: DatasetKind.fashionMNIST.referenceNormalization),
      seed: 1, threads: ThreadCount(2))
    let sequence = loader.batches(epoch: 0).makeIterator()
    let batch = try #require(sequence.next())
    #expect(batch.shape == [128, 1, 28, 28] && batch.labels.count == 64)
    // Normalised with Fashion-MNIST's statistics: values span about -0.81 ... 2.02.
    let low = batch.pixels.min() ?? 0
    let high = batch.pixels.max() ?? 0
    #expect(abs(low + 0.2860 / 0.3530) < 1e-4 && high > 1.9 && high <= (1 - 0.2860) / 0.3530 + 1e-4)
  }

  @Test(arguments: [(1, 28, 28), (3, 32, 32)]) func everyRecipeGivesFiniteFixedSizeViews(
    shape: (Int, Int, Int)
  ) {
    var rng = RandomGenerator(seed: 6)
    let image = Image(
      channels: shape.0, height: shape.1, width: shape.2,
      pixels: (0..<(shape.0 * shape.1 * shape.2)).map { _ in rng.uniformFloat() })
    for name in AugmentationRecipe.names {
      let recipe = AugmentationRecipe(name: name, supportViews: 3)
      #expect(recipe != nil)
      guard let recipe else { continue }
      let transform = recipe.transform(
        height: shape.1, width: shape.2, normalization: ([0.5], [0.5]))
      for _ in 0..<20 {
        let out = transform(image, using: &rng)
        #expect(out.channels == shape.0 && out.height == shape.1 && out.width == shape.2)
        #expect(out.pixels.allSatisfy { $0.isFinite && $0 >= -1.0001 && $0 <= 1.0001 })
      }
    }
    #expect(
      AugmentationRecipe.fnc(supportViews: 3).views == 5 && AugmentationRecipe.simclr.views == 2)
    #expect(AugmentationRecipe.selfcon.views == 1 && AugmentationRecipe(name: "byol") == nil)
  }
}
