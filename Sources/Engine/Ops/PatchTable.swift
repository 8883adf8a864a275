/// im2col and col2im for small maps by an index table: where each entry of a channel's
/// patch rows comes from in the input plane.
///
/// On the late layers' 7×7 and 4×4 maps a patch row is a few dozen floats, and copying it
/// as runs with zeroed borders spends more on loop control than on the copy (9 % of a
/// width-16 training step). Here each channel of each image is copied once into a buffer
/// with a zero after it, and every entry of its rows is one load through the table, the
/// positions that fall on padding reading that zero; strided layers need no special case.
struct PatchTable: Sendable {
  let geometry: ConvGeometry
  /// For tap r = ky·kw + kx and output position j, at r·outputPlane + j: the input
  /// position the patch entry reads, or `inputPlane` (the zero after the plane).
  let sources: [Int32]

  /// Whether a convolution's planes are small enough for the table: at most 256 input
  /// values (16×16), and not a pointwise layer, whose input is its own im2col matrix.
  static func applies(to geometry: ConvGeometry) -> Bool {
    geometry.inputPlane <= 256 && !geometry.isPointwise
  }

  /// The table of `geometry`, or nil where it does not apply: built once per
  /// convolution, and used by every image group of every thread.
  init?(_ geometry: ConvGeometry) {
    guard Self.applies(to: geometry) else { return nil }
    self.geometry = geometry
    let g = geometry
    var sources = [Int32](repeating: Int32(g.inputPlane), count: g.kernelHeight * g.kernelWidth * g.outputPlane)
    for ky in 0..<g.kernelHeight {
      for kx in 0..<g.kernelWidth {
        let row = (ky * g.kernelWidth + kx) * g.outputPlane
        for oy in 0..<g.outHeight {
          let iy = oy * g.stride - g.padding + ky
          guard iy >= 0 && iy < g.height else { continue }
          for ox in 0..<g.outWidth {
            let ix = ox * g.stride - g.padding + kx
            if ix >= 0 && ix < g.width { sources[row + oy * g.outWidth + ox] = Int32(iy * g.width + ix) }
          }
        }
      }
    }
    self.sources = sources
  }

  /// Runs `body` for channel c of image i, for every channel of `count` images, with a
  /// buffer of inputPlane + 1 floats and the table's rows (tap r at r·outputPlane).
  private func forEachChannel(
    count: Int, _ body: (_ c: Int, _ i: Int, _ plane: UnsafeMutablePointer<Float>, _ table: UnsafePointer<Int32>) -> Void
  ) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: geometry.inputPlane + 1) { buffer in
      sources.withUnsafeBufferPointer { table in
        for c in 0..<geometry.inChannels {
          for i in 0..<count { body(c, i, buffer.baseAddress!, table.baseAddress!) }
        }
      }
    }
  }

  /// Fills `col` [patchSize, count·outputPlane] with the patches of `count` images
  /// starting at `image`.
  func im2col(_ x: UnsafePointer<Float>, image: Int, count: Int, into col: UnsafeMutablePointer<Float>) {
    let g = geometry
    let taps = g.kernelHeight * g.kernelWidth
    let columns = count * g.outputPlane
    forEachChannel(count: count) { c, i, plane, table in
      let source = x + ((image + i) * g.inChannels + c) * g.inputPlane
      for j in 0..<g.inputPlane { plane[j] = source[j] }
      plane[g.inputPlane] = 0
      for r in 0..<taps {
        let out = col + (c * taps + r) * columns + i * g.outputPlane
        let index = table + r * g.outputPlane
        for j in 0..<g.outputPlane { out[j] = plane[Int(index[j])] }
      }
    }
  }

  /// Adds the patch gradients `col` back into `dx` for `count` images from `image`: each
  /// entry into a buffer through the table (padding's entries into the slot after the
  /// plane, which is dropped), the buffer into the image.
  func col2im(_ col: UnsafePointer<Float>, image: Int, count: Int, into dx: UnsafeMutablePointer<Float>) {
    let g = geometry
    let taps = g.kernelHeight * g.kernelWidth
    let columns = count * g.outputPlane
    forEachChannel(count: count) { c, i, plane, table in
      plane.initialize(repeating: 0, count: g.inputPlane + 1)
      for r in 0..<taps {
        let row = col + (c * taps + r) * columns + i * g.outputPlane
        let index = table + r * g.outputPlane
        for j in 0..<g.outputPlane { plane[Int(index[j])] += row[j] }
      }
      let target = dx + ((image + i) * g.inChannels + c) * g.inputPlane
      for j in 0..<g.inputPlane { target[j] += plane[j] }
    }
  }
}
