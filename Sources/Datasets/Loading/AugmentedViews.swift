import Engine

extension ImageSet {
  /// `views` augmented views of every image by `transform`, as Float32 CHW pixels:
  /// element `v` holds view `v` of image after image (row-aligned across views, so view
  /// 1 is the positive of view 0 for alignment).
  ///
  /// Image `i` draws from `RandomGenerator(seed: seed).stream(.views).stream(i)`, so any
  /// thread count gives the same views and the views do not reuse the draws of `--limit`
  /// or of training batches. A view that comes out blank (a small crop of empty
  /// background) is drawn again, up to ten times: a zero vector has no direction.
  public func augmentedViews(
    _ transform: any ImageTransform, views: Int = 2, seed: UInt64, threads: ThreadCount
  ) -> [[Float]] {
    precondition(views >= 1, "augmentedViews: at least one view")
    guard count > 0 else { return Array(repeating: [], count: views) }
    var probe = RandomGenerator(seed: 0)
    let size = transform(image(0), using: &probe).pixels.count
    let storage = UnsafeMutablePointer<Float>.allocate(capacity: views * count * size)
    defer { storage.deallocate() }
    let output = SendablePointer(storage)
    let base = RandomGenerator(seed: seed).stream(.views)
    let ranges = evenRanges(count, parts: 8 * threads.value)
    parallelFor(chunks: ranges.count, threads: threads) { chunk in
      for i in ranges[chunk] {
        var rng = base.stream(UInt64(i))
        let original = image(i)
        for v in 0..<views {
          var pixels = transform(original, using: &rng).pixels
          for _ in 0..<10 where !pixels.contains(where: { $0 != 0 }) {
            pixels = transform(original, using: &rng).pixels
          }
          precondition(pixels.count == size, "augmentedViews: the transform must give every image one size")
          (output.base + (v * count + i) * size).update(from: pixels, count: size)
        }
      }
    }
    return (0..<views).map { Array(UnsafeBufferPointer(start: storage + $0 * count * size, count: count * size)) }
  }
}
