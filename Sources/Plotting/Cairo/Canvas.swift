import CCairo

/// Where a piece of text sits relative to its anchor point, horizontally.
enum HorizontalAnchor { case left, center, right }

/// Where a piece of text sits relative to its anchor point, vertically: `top` puts the
/// top of capital letters at the point, `bottom` the lowest descender.
enum VerticalAnchor { case top, center, baseline, bottom }

/// A thin wrapper over one `cairo_t` (destroyed with the value), drawing in points.
///
/// Every output format is drawn through this type; only the surface differs. Raster
/// surfaces get a scale of dpi/72 so that all drawing code works in points.
final class Canvas {
  let pointer: OpaquePointer
  let surface: CairoSurface
  /// Device pixels per point: dpi/72 for PNG, 1 for the vector formats.
  let pixelsPerPoint: Double
  /// True for PDF and SVG, where dense layers are embedded as images.
  let isVector: Bool
  let fontFamily: String

  init(surface: CairoSurface, pixelsPerPoint: Double, isVector: Bool, fontFamily: String) throws(PlotError) {
    guard let context = cairo_create(surface.pointer) else { throw PlotError("cairo could not create a context") }
    let status = cairo_status(context)
    guard status == CAIRO_STATUS_SUCCESS else {
      cairo_destroy(context)
      throw PlotError("cairo could not create a context: \(String(cString: cairo_status_to_string(status)))")
    }
    pointer = context
    self.surface = surface
    self.pixelsPerPoint = pixelsPerPoint
    self.isVector = isVector
    self.fontFamily = fontFamily
    if pixelsPerPoint != 1 { cairo_scale(context, pixelsPerPoint, pixelsPerPoint) }
    // Unhinted metrics make text widths, and so the layout, identical in every format.
    let options = cairo_font_options_create()
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
    cairo_set_font_options(context, options)
    cairo_font_options_destroy(options)
    cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
    cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
  }

  deinit { cairo_destroy(pointer) }

  /// Cairo's sticky error state, as a Swift error.
  func checkStatus() throws(PlotError) {
    let status = cairo_status(pointer)
    guard status == CAIRO_STATUS_SUCCESS else {
      throw PlotError("cairo failed while drawing: \(String(cString: cairo_status_to_string(status)))")
    }
  }

  // MARK: State

  func save() { cairo_save(pointer) }
  func restore() { cairo_restore(pointer) }
  func translate(_ x: Double, _ y: Double) { cairo_translate(pointer, x, y) }
  func rotate(_ radians: Double) { cairo_rotate(pointer, radians) }

  func setColor(_ color: Color) {
    cairo_set_source_rgba(pointer, color.red, color.green, color.blue, color.alpha)
  }

  func setLineWidth(_ width: Double) { cairo_set_line_width(pointer, width) }

  /// A dash pattern in points; empty for a solid line.
  func setDash(_ pattern: [Double]) {
    pattern.withUnsafeBufferPointer { cairo_set_dash(pointer, $0.baseAddress, Int32($0.count), 0) }
  }

  /// Restricts drawing to `rect` until the matching `restore`.
  func clip(to rect: Rect) {
    cairo_rectangle(pointer, rect.x, rect.y, rect.width, rect.height)
    cairo_clip(pointer)
  }

  // MARK: Paths

  func newPath() { cairo_new_path(pointer) }
  func move(to point: Point) { cairo_move_to(pointer, point.x, point.y) }
  func line(to point: Point) { cairo_line_to(pointer, point.x, point.y) }
  func closePath() { cairo_close_path(pointer) }

  func addRect(_ rect: Rect) { cairo_rectangle(pointer, rect.x, rect.y, rect.width, rect.height) }

  func addCircle(center: Point, radius: Double) {
    cairo_new_sub_path(pointer)
    cairo_arc(pointer, center.x, center.y, radius, 0, 2 * Double.pi)
    cairo_close_path(pointer)
  }

  func stroke() { cairo_stroke(pointer) }
  func fill() { cairo_fill(pointer) }
  func fillPreserve() { cairo_fill_preserve(pointer) }

  func fill(_ rect: Rect, _ color: Color) {
    setColor(color)
    addRect(rect)
    fill()
  }

  /// A straight stroked segment.
  func strokeLine(from a: Point, to b: Point, color: Color, width: Double, dash: [Double] = []) {
    setColor(color)
    setLineWidth(width)
    setDash(dash)
    move(to: a)
    line(to: b)
    stroke()
  }

  // MARK: Images

  /// Paints an image surface into `rect`; `smooth` interpolates (densities), otherwise
  /// every image pixel stays a sharp square (heat-map cells).
  func paint(image: CairoSurface, in rect: Rect, smooth: Bool) {
    let width = Double(cairo_image_surface_get_width(image.pointer))
    let height = Double(cairo_image_surface_get_height(image.pointer))
    save()
    translate(rect.x, rect.y)
    cairo_scale(pointer, rect.width / width, rect.height / height)
    cairo_set_source_surface(pointer, image.pointer, 0, 0)
    cairo_pattern_set_filter(cairo_get_source(pointer), smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST)
    cairo_pattern_set_extend(cairo_get_source(pointer), CAIRO_EXTEND_PAD)
    cairo_rectangle(pointer, 0, 0, width, height)
    cairo_fill(pointer)
    restore()
  }

  // MARK: Text

  func setFont(size: Double, bold: Bool = false) {
    cairo_select_font_face(
      pointer, fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
    cairo_set_font_size(pointer, size)
  }

  /// The advance width of `text` in the current font, in points.
  func textWidth(_ text: String) -> Double {
    var extents = cairo_text_extents_t()
    cairo_text_extents(pointer, text, &extents)
    return extents.x_advance
  }

  /// `text` cut to its first and last characters around an ellipsis, as many as fit in
  /// `maxWidth` points at the current font (all of it when it fits): long run names keep
  /// their start and their distinguishing end.
  func textShortened(_ text: String, to maxWidth: Double) -> String {
    let characters = Array(text)
    guard textWidth(text) > maxWidth, characters.count > 2 else { return text }
    func cut(_ kept: Int) -> String {
      String(characters.prefix((kept + 1) / 2)) + "…" + String(characters.suffix(kept / 2))
    }
    var low = 1, high = characters.count - 1  // the longest cut that fits lies in low...high
    while low < high {
      let middle = (low + high + 1) / 2
      if textWidth(cut(middle)) <= maxWidth { low = middle } else { high = middle - 1 }
    }
    return cut(low)
  }

  /// Draws `text` in the current font and colour so that its anchor lands on `point`;
  /// `rotation` in radians turns it about that point (−π/2 reads bottom to top).
  func drawText(
    _ text: String, at point: Point, horizontal: HorizontalAnchor, vertical: VerticalAnchor,
    rotation: Double = 0, size: Double
  ) {
    let width = textWidth(text)
    let dx: Double
    switch horizontal {
    case .left: dx = 0
    case .center: dx = -width / 2
    case .right: dx = -width
    }
    let dy: Double
    switch vertical {
    case .top: dy = TextMetrics.capHeight * size
    case .center: dy = TextMetrics.capHeight * size / 2
    case .baseline: dy = 0
    case .bottom: dy = -TextMetrics.descent * size
    }
    save()
    translate(point.x, point.y)
    if rotation != 0 { rotate(rotation) }
    cairo_move_to(pointer, dx, dy)
    cairo_show_text(pointer, text)
    cairo_new_path(pointer)
    restore()
  }
}

/// Vertical metrics of DejaVu Sans as fractions of the font size, used to place text
/// by the height of its capitals rather than by the (taller) font box.
enum TextMetrics {
  /// Height of capital letters and digits (1493/2048 em).
  static let capHeight = 0.729
  /// Depth of descenders below the baseline (483/2048 em).
  static let descent = 0.236
  /// Height of a line of text, capitals plus descenders.
  static let lineHeight = capHeight + descent
}
