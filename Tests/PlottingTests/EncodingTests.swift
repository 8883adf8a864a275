import Engine
import Testing

@testable import Plotting

/// The PNG encoder and the SVG identifier renumbering.
@Suite struct EncodingTests {
  func image(width: Int, height: Int, pixel: (Int, Int) -> UInt32) throws -> CairoSurface {
    let surface = try CairoSurface.image(width: width, height: height)
    let pixels = ImagePixels(surface)
    for y in 0..<height { for x in 0..<width { pixels.base[y * pixels.stride + x] = pixel(x, y) } }
    ImagePixels.markDirty(surface)
    return surface
  }

  @Test func opaqueImagesRoundTripExactly() throws {
    var state: UInt32 = 12345
    let surface = try image(width: 37, height: 23) { x, y in
      // Noise in the top half, flat rows below: both filter choices get used.
      if y < 12 {
        state = state &* 1_103_515_245 &+ 12345
        return 0xFF00_0000 | (state >> 8)
      }
      return 0xFF00_0000 | UInt32(x * 5) << 16 | 0x80
    }
    let bytes = try PNGEncoder.encode(ImagePixels(surface), dpi: 300, threads: .one)
    #expect(try decodes(bytes, to: surface))
    // 300 dpi is 11811 pixels per metre in the pHYs chunk.
    let phys = bytes.firstRange(of: Array("pHYs".utf8))!
    let perMetre = bytes[phys.upperBound..<phys.upperBound + 4].reduce(0) { $0 << 8 | Int($1) }
    #expect(perMetre == 11811)
  }

  /// Whether `bytes` decode (through Cairo) to exactly the pixels of `surface`.
  func decodes(_ bytes: [UInt8], to surface: CairoSurface) throws -> Bool {
    let decoded = try RenderChecks.decodePNG(bytes)
    let original = ImagePixels(surface)
    guard decoded.width == original.width, decoded.height == original.height else { return false }
    for y in 0..<original.height {
      for x in 0..<original.width where decoded.pixels[y * original.width + x] != original.base[y * original.stride + x]
      {
        return false
      }
    }
    return true
  }

  @Test func imagesOfManyPiecesRoundTripWhateverTheThreads() throws {
    // 300 rows: three pieces compressed apart and joined into one stream.
    let surface = try image(width: 50, height: 300) { x, y in 0xFF00_0000 | UInt32((x * y) % 256) << 8 | UInt32(y % 7) }
    let one = try PNGEncoder.encode(ImagePixels(surface), dpi: 100, threads: .one)
    #expect(try PNGEncoder.encode(ImagePixels(surface), dpi: 100, threads: ThreadCount(3)) == one)
    #expect(try decodes(one, to: surface))
  }

  @Test func translucentImagesKeepTheirAlpha() throws {
    // Premultiplied: 50 % alpha red is (128, 128, 0, 0).
    let surface = try image(width: 4, height: 2) { x, _ in x < 2 ? 0x8080_0000 : 0 }
    let decoded = try RenderChecks.decodePNG(try PNGEncoder.encode(ImagePixels(surface), dpi: 72, threads: .one))
    #expect(decoded.pixels[0] >> 24 == 0x80)
    #expect(abs(Int((decoded.pixels[0] >> 16) & 0xFF) - 0x80) <= 1)
    #expect(decoded.pixels[3] == 0)
  }

  @Test func svgIdentifiersAreRenumberedInOrderOfAppearance() {
    let input =
      ##"<g id="surface18"><use xlink:href="#image5"/><image id="image5"/><g clip-path="url(#clip12)"/><path id="clip12"/><use xlink:href="#glyph0-1"/><g id="surface19"/></g>"##
    let output = String(decoding: SVGIdentifiers.renumber(Array(input.utf8)), as: UTF8.self)
    #expect(
      output
        == ##"<g id="surface1"><use xlink:href="#image1"/><image id="image1"/><g clip-path="url(#clip1)"/><path id="clip1"/><use xlink:href="#glyph0-1"/><g id="surface2"/></g>"##
    )
  }
}
