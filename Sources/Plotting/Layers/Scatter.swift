/// Points, one colour per class or one colour for all.
///
/// Points are drawn in data order. PNG output and dense scatters in PDF/SVG (more than
/// `vectorLimit` points) go through a raster path: the points become one embedded image
/// inside an otherwise vector figure (spec §6, §9), which is fast and keeps files small.
public struct Scatter: Sendable {
  /// x of each point.
  public var x: [Double]
  /// y of each point.
  public var y: [Double]
  /// Class of each point (0-based), selecting its colour from `palette`; nil draws all
  /// points in `color`.
  public var classes: [Int]?
  /// Legend text per class index; classes beyond it are labelled by their number.
  public var classNames: [String]?
  /// The colour of all points when `classes` is nil.
  public var color: Color
  /// Colours by class; nil uses the theme's palette.
  public var palette: [Color]?
  /// Legend text when `classes` is nil; nil adds no entry.
  public var label: String?
  /// Marker diameter in points.
  public var markerSize = 2.0
  /// Opacity of each point; overlaps get darker.
  public var alpha = 0.7
  /// Vector output draws up to this many points as vector discs, more as an image.
  public var vectorLimit = 5000

  /// Points of one colour.
  public init(x: [Double], y: [Double], color: Color = Palette.okabeIto[0], label: String? = nil) {
    self.x = x
    self.y = y
    self.color = color
    self.label = label
  }

  /// Points coloured by class, with one legend entry per class present.
  public init(x: [Double], y: [Double], classes: [Int], classNames: [String]? = nil) {
    self.x = x
    self.y = y
    self.classes = classes
    self.classNames = classNames
    self.color = Palette.okabeIto[0]
  }

  /// The legend text of class `index`.
  func name(ofClass index: Int) -> String {
    if let classNames, index >= 0, index < classNames.count { return classNames[index] }
    return "\(index)"
  }

  func resolvedPalette(_ theme: Theme) -> [Color] { palette ?? theme.palette }
}

extension Scatter: LayerDrawing {
  func bounds(x xScale: AxisScale, y yScale: AxisScale) -> LayerBounds {
    LayerBounds(xs: x, ys: y, x: xScale, y: yScale)
  }

  func legendEntries(theme: Theme) -> [LegendEntry] {
    guard let classes else { return label.map { [LegendEntry($0, .marker(color, .circle))] } ?? [] }
    let colors = resolvedPalette(theme)
    return Set(classes).sorted().map { LegendEntry(name(ofClass: $0), .marker(Palette.color($0, of: colors), .circle)) }
  }

  func markOccupancy(_ grid: inout OccupancyGrid, mapping: PlotMapping) {
    for (a, b) in zip(x, y) {
      if let point = mapping.point(a, b) { grid.mark(point) }
    }
  }

  func draw(in context: DrawContext, mapping: PlotMapping) throws(PlotError) -> SkippedValues {
    guard x.count == y.count else { throw PlotError("scatter: \(x.count) x values but \(y.count) y values") }
    if let classes, classes.count != x.count {
      throw PlotError("scatter: \(x.count) points but \(classes.count) class labels")
    }
    let colors = classColors(context.theme)
    var skipped = SkippedValues()
    var pageX = [Double](), pageY = [Double](), colorIndex = [Int32]()
    pageX.reserveCapacity(x.count)
    pageY.reserveCapacity(x.count)
    colorIndex.reserveCapacity(x.count)
    for i in 0..<x.count {
      guard let point = mapping.point(x[i], y[i]) else {
        skipped.count(x[i], y[i])
        continue
      }
      pageX.append(point.x)
      pageY.append(point.y)
      colorIndex.append(Int32(colorSlot(i, paletteCount: colors.count)))
    }
    let canvas = context.canvas
    if let image = context.target.imageSurface {
      // PNG: blend straight into the page's pixels.
      let scale = canvas.pixelsPerPoint
      let rect = mapping.rect
      let rasterizer = DiscRasterizer(colors: colors, alpha: alpha, radius: markerSize / 2 * scale)
      rasterizer.draw(
        xs: pageX.map { Float($0 * scale) }, ys: pageY.map { Float($0 * scale) }, colorIndex: colorIndex,
        into: ImagePixels(image),
        clipX: Int((rect.minX * scale).rounded(.down))..<Int((rect.maxX * scale).rounded(.up)),
        clipY: Int((rect.minY * scale).rounded(.down))..<Int((rect.maxY * scale).rounded(.up)),
        threads: context.target.threads)
      ImagePixels.markDirty(image)
    } else if pageX.count > vectorLimit {
      // Dense vector output: one embedded image of the plot area.
      let rect = mapping.rect
      let scale = context.rasterDPI / pointsPerInch
      let width = max(1, Int((rect.width * scale).rounded(.up)))
      let height = max(1, Int((rect.height * scale).rounded(.up)))
      let image = try CairoSurface.image(width: width, height: height)
      let rasterizer = DiscRasterizer(colors: colors, alpha: alpha, radius: markerSize / 2 * scale)
      rasterizer.draw(
        xs: pageX.map { Float(($0 - rect.minX) * scale) }, ys: pageY.map { Float(($0 - rect.minY) * scale) },
        colorIndex: colorIndex, into: ImagePixels(image), clipX: 0..<width, clipY: 0..<height,
        threads: context.target.threads)
      ImagePixels.markDirty(image)
      canvas.paint(
        image: image,
        in: Rect(x: rect.minX, y: rect.minY, width: Double(width) / scale, height: Double(height) / scale),
        smooth: true)
    } else {
      for i in 0..<pageX.count {
        canvas.newPath()
        canvas.addCircle(center: context.snap(Point(pageX[i], pageY[i])), radius: markerSize / 2)
        canvas.setColor(colors[Int(colorIndex[i])].with(alpha: colors[Int(colorIndex[i])].alpha * alpha))
        canvas.fill()
      }
    }
    return skipped
  }

  /// The colours points can take: the palette by class, or the single colour.
  private func classColors(_ theme: Theme) -> [Color] {
    classes == nil ? [color] : resolvedPalette(theme)
  }

  private func colorSlot(_ point: Int, paletteCount: Int) -> Int {
    guard let classes else { return 0 }
    return ((classes[point] % paletteCount) + paletteCount) % paletteCount
  }
}
