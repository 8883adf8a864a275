import CCairo

/// Owns one `cairo_surface_t`; the surface is destroyed with the value.
final class CairoSurface {
  let pointer: OpaquePointer

  /// Takes ownership of a surface a `cairo_*_create` function returned, checking its status.
  init(owning pointer: OpaquePointer?, what: String) throws(PlotError) {
    guard let pointer else { throw PlotError("cairo could not create the \(what)") }
    let status = cairo_surface_status(pointer)
    guard status == CAIRO_STATUS_SUCCESS else {
      cairo_surface_destroy(pointer)
      throw PlotError("cairo could not create the \(what): \(String(cString: cairo_status_to_string(status)))")
    }
    self.pointer = pointer
  }

  /// A transparent ARGB32 image of the given size in pixels.
  static func image(width: Int, height: Int) throws(PlotError) -> CairoSurface {
    guard width > 0, height > 0, width <= 32767, height <= 32767 else {
      throw PlotError("image size \(width)x\(height) pixels is outside 1...32767")
    }
    return try CairoSurface(
      owning: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)),
      what: "\(width)x\(height) image")
  }

  /// Flushes pending drawing and finishes the output stream (PDF and SVG write their
  /// trailer here), reporting a failure instead of writing a broken file.
  func finish() throws(PlotError) {
    cairo_surface_finish(pointer)
    try checkStatus()
  }

  func checkStatus() throws(PlotError) {
    let status = cairo_surface_status(pointer)
    guard status == CAIRO_STATUS_SUCCESS else {
      throw PlotError("cairo failed while drawing: \(String(cString: cairo_status_to_string(status)))")
    }
  }

  deinit { cairo_surface_destroy(pointer) }
}

/// Pixel access to an ARGB32 image surface (premultiplied alpha, native-endian words).
/// Workers of `parallelFor` may share it as long as each writes only its own rows.
struct ImagePixels: @unchecked Sendable {
  let base: UnsafeMutablePointer<UInt32>
  let width: Int
  let height: Int
  /// Row length in 32-bit words.
  let stride: Int

  /// Flushes Cairo's pending drawing; call `markDirty` on the surface after writing.
  init(_ surface: CairoSurface) {
    cairo_surface_flush(surface.pointer)
    let data = cairo_image_surface_get_data(surface.pointer)!
    base = UnsafeMutableRawPointer(data).bindMemory(
      to: UInt32.self,
      capacity: Int(cairo_image_surface_get_stride(surface.pointer)) / 4
        * Int(cairo_image_surface_get_height(surface.pointer)))
    width = Int(cairo_image_surface_get_width(surface.pointer))
    height = Int(cairo_image_surface_get_height(surface.pointer))
    stride = Int(cairo_image_surface_get_stride(surface.pointer)) / 4
  }

  static func markDirty(_ surface: CairoSurface) { cairo_surface_mark_dirty(surface.pointer) }
}
