import CCairo
import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import TestSupport
import Testing

@testable import Plotting

/// Reading rendered figures back: PNG pixels through Cairo's own decoder, PDF text
/// through poppler's pdftotext, SVG through Foundation's XML parser.
enum RenderChecks {
  /// A decoded PNG: size and straight (unpremultiplied) RGB per pixel.
  struct Image: CustomStringConvertible {
    let width: Int
    let height: Int
    let pixels: [UInt32]

    /// Short, so that a failed expectation does not print every pixel.
    var description: String { "\(width)x\(height) image" }

    /// The colour at (x, y) as (red, green, blue) in 0...255.
    func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) {
      let p = pixels[y * width + x]
      let a = Int(p >> 24)
      guard a > 0 else { return (255, 255, 255) }
      return (Int((p >> 16) & 0xFF) * 255 / a, Int((p >> 8) & 0xFF) * 255 / a, Int(p & 0xFF) * 255 / a)
    }

    /// Whether any pixel within `radius` of (x, y) is within `tolerance` of `color`.
    func hasColor(near point: Point, radius: Int = 2, _ color: Color, tolerance: Int = 40) -> Bool {
      let cx = Int(point.x), cy = Int(point.y)
      for y in max(0, cy - radius)...min(height - 1, cy + radius) {
        for x in max(0, cx - radius)...min(width - 1, cx + radius) {
          let (r, g, b) = rgb(x, y)
          let distance =
            abs(r - Int(color.red * 255)) + abs(g - Int(color.green * 255)) + abs(b - Int(color.blue * 255))
          if distance <= tolerance { return true }
        }
      }
      return false
    }
  }

  static func decodePNG(_ bytes: [UInt8]) throws -> Image {
    let directory = TemporaryDirectory()
    let path = directory.path + "/figure.png"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let surface = cairo_image_surface_create_from_png(path)!
    defer { cairo_surface_destroy(surface) }
    try #require(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, "Cairo could not decode the PNG")
    let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
    let stride = Int(cairo_image_surface_get_stride(surface)) / 4
    let data = UnsafeMutableRawPointer(cairo_image_surface_get_data(surface)!).bindMemory(
      to: UInt32.self, capacity: stride * height)
    var pixels = [UInt32]()
    pixels.reserveCapacity(width * height)
    for y in 0..<height { for x in 0..<width { pixels.append(data[y * stride + x]) } }
    return Image(width: width, height: height, pixels: pixels)
  }

  /// The text poppler finds in a PDF.
  static func pdfText(_ bytes: [UInt8]) throws -> String {
    let directory = TemporaryDirectory()
    let path = directory.path + "/figure.pdf"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
    process.arguments = [path, "-"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "pdftotext failed on the figure")
    return String(decoding: output, as: UTF8.self)
  }

  /// Whether the bytes are well-formed XML with an <svg> root.
  static func isSVG(_ bytes: [UInt8]) -> Bool {
    let parser = XMLParser(data: Data(bytes))
    let delegate = RootRecorder()
    parser.delegate = delegate
    return parser.parse() && delegate.root == "svg"
  }

  private final class RootRecorder: NSObject, XMLParserDelegate {
    var root: String?
    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
      attributes: [String: String] = [:]
    ) {
      if root == nil { root = name }
    }
  }

  /// Renders `figure` in every format and checks what every figure must satisfy: the
  /// PNG decodes at the expected size, the PDF's text contains `texts`, the SVG is XML,
  /// and a second render is byte-identical. Returns the PNG rendering and its image.
  @discardableResult
  static func checkAllFormats(_ figure: Figure, texts: [String]) throws -> (RenderedFigure, Image) {
    let png = try figure.render(.png)
    let image = try decodePNG(png.bytes)
    #expect(image.width == Int((figure.width * figure.dpi).rounded()))
    #expect(image.height == Int((figure.height * figure.dpi).rounded()))
    #expect(try figure.render(.png).bytes == png.bytes, "PNG not deterministic")

    let pdf = try figure.render(.pdf)
    #expect(pdf.bytes.starts(with: Array("%PDF".utf8)))
    let text = try pdfText(pdf.bytes)
    for expected in texts { #expect(text.contains(expected), "PDF text lacks '\(expected)'") }
    #expect(try figure.render(.pdf).bytes == pdf.bytes, "PDF not deterministic")

    let svg = try figure.render(.svg)
    #expect(isSVG(svg.bytes), "SVG does not parse as XML")
    #expect(try figure.render(.svg).bytes == svg.bytes, "SVG not deterministic")
    return (png, image)
  }
}
