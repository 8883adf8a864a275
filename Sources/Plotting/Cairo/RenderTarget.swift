import CCairo
import Engine

/// Collects the bytes Cairo streams out (PDF, SVG, PNG) in memory, so files can be
/// written atomically afterwards.
private final class ByteSink {
  var bytes: [UInt8] = []
}

private let appendToSink: cairo_write_func_t = { closure, data, length in
  guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
  let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
  sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
  return CAIRO_STATUS_SUCCESS
}

/// One page to draw on in one format, and the encoded file once drawing is done.
final class RenderTarget {
  let format: OutputFormat
  let canvas: Canvas
  /// Pixel size of the PNG; for vector formats, the page size rounded to points.
  let pixelWidth: Int
  let pixelHeight: Int
  private let dpi: Double
  /// Threads for encoding the PNG; the bytes do not depend on it.
  let threads: ThreadCount
  private let sink = ByteSink()
  private let surface: CairoSurface

  /// A page of `width` x `height` inches; PNGs get `dpi` pixels per inch.
  init(
    format: OutputFormat, width: Double, height: Double, dpi: Double, fontFamily: String, threads: ThreadCount
  ) throws(PlotError) {
    self.format = format
    self.dpi = dpi
    self.threads = threads
    let widthPoints = width * pointsPerInch
    let heightPoints = height * pointsPerInch
    let closure = Unmanaged.passUnretained(sink).toOpaque()
    switch format {
    case .png:
      pixelWidth = Int((width * dpi).rounded())
      pixelHeight = Int((height * dpi).rounded())
      surface = try CairoSurface.image(width: pixelWidth, height: pixelHeight)
      canvas = try Canvas(
        surface: surface, pixelsPerPoint: Double(pixelWidth) / widthPoints, isVector: false, fontFamily: fontFamily)
    case .pdf:
      pixelWidth = Int(widthPoints.rounded())
      pixelHeight = Int(heightPoints.rounded())
      surface = try CairoSurface(
        owning: cairo_pdf_surface_create_for_stream(appendToSink, closure, widthPoints, heightPoints),
        what: "PDF surface")
      // A fixed date keeps the file identical for identical input.
      cairo_pdf_surface_set_metadata(surface.pointer, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z")
      cairo_pdf_surface_set_metadata(surface.pointer, CAIRO_PDF_METADATA_CREATOR, "ContrastLens")
      canvas = try Canvas(surface: surface, pixelsPerPoint: 1, isVector: true, fontFamily: fontFamily)
    case .svg:
      pixelWidth = Int(widthPoints.rounded())
      pixelHeight = Int(heightPoints.rounded())
      surface = try CairoSurface(
        owning: cairo_svg_surface_create_for_stream(appendToSink, closure, widthPoints, heightPoints),
        what: "SVG surface")
      cairo_svg_surface_set_document_unit(surface.pointer, CAIRO_SVG_UNIT_PT)
      canvas = try Canvas(surface: surface, pixelsPerPoint: 1, isVector: true, fontFamily: fontFamily)
    }
  }

  /// Direct pixel access for raster layers; only for PNG targets.
  var imageSurface: CairoSurface? { format == .png ? surface : nil }

  /// Ends drawing and returns the encoded file.
  func finish() throws(PlotError) -> [UInt8] {
    try canvas.checkStatus()
    switch format {
    case .png:
      return try PNGEncoder.encode(ImagePixels(surface), dpi: dpi, threads: threads)
    case .pdf:
      try surface.finish()
      return sink.bytes
    case .svg:
      try surface.finish()
      return SVGIdentifiers.renumber(sink.bytes)
    }
  }
}

/// Cairo names SVG elements after process-wide counters (`surface18`, `image5`), so the
/// same figure drawn twice in one process gets different ids. Renumbering them in order
/// of appearance makes the file a function of the figure alone.
enum SVGIdentifiers {
  private static let prefixes: [[UInt8]] = ["surface", "image", "pattern", "clip", "mask", "source", "filter"]
    .map { Array($0.utf8) }

  static func renumber(_ bytes: [UInt8]) -> [UInt8] {
    var mapping: [[UInt8]: Int] = [:]
    var next: [[UInt8]: Int] = [:]
    var output = [UInt8]()
    output.reserveCapacity(bytes.count)
    var index = 0
    let quote = UInt8(ascii: "\""), hash = UInt8(ascii: "#")
    while index < bytes.count {
      let byte = bytes[index]
      output.append(byte)
      index += 1
      // Identifiers appear as id="name12", href="#name12" and url(#name12).
      guard byte == quote || byte == hash else { continue }
      guard let prefix = prefixes.first(where: { startsWith(bytes, at: index, $0) }) else { continue }
      var end = index + prefix.count
      let digitsStart = end
      while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
      guard end > digitsStart, end < bytes.count, bytes[end] == quote || bytes[end] == UInt8(ascii: ")") else {
        continue
      }
      let name = Array(bytes[index..<end])
      let number: Int
      if let known = mapping[name] {
        number = known
      } else {
        number = next[prefix, default: 1]
        next[prefix] = number + 1
        mapping[name] = number
      }
      output.append(contentsOf: prefix)
      output.append(contentsOf: Array(String(number).utf8))
      index = end
    }
    return output
  }

  private static func startsWith(_ bytes: [UInt8], at index: Int, _ prefix: [UInt8]) -> Bool {
    guard index + prefix.count <= bytes.count else { return false }
    for offset in 0..<prefix.count where bytes[index + offset] != prefix[offset] { return false }
    return true
  }
}
