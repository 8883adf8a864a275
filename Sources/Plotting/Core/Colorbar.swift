/// The colour bar to the right of a heat map's panel: the colour map as a gradient,
/// ticks with values, and a label.
enum Colorbar {
  static let gap = 5.0
  static let width = 6.0

  static func draw(_ heatmap: Heatmap, ticks: [Tick], next rect: Rect, theme: Theme, canvas: Canvas) throws(PlotError) {
    let bar = Rect(x: rect.maxX + gap, y: rect.minY, width: width, height: rect.height)
    let steps = 256
    let image = try CairoSurface.image(width: 1, height: steps)
    let pixels = ImagePixels(image)
    for row in 0..<steps {
      let c = heatmap.colormap.color(at: 1 - Double(row) / Double(steps - 1))
      pixels.base[row * pixels.stride] =
        0xFF00_0000 | UInt32((c.red * 255).rounded()) << 16 | UInt32((c.green * 255).rounded()) << 8
        | UInt32((c.blue * 255).rounded())
    }
    ImagePixels.markDirty(image)
    canvas.paint(image: image, in: bar, smooth: true)
    canvas.setColor(theme.axisColor)
    canvas.setLineWidth(theme.axisLineWidth * 0.7)
    canvas.setDash([])
    canvas.newPath()
    canvas.addRect(bar)
    let range = heatmap.resolvedRange
    let axis = AxisRange(lower: range.lowerBound, upper: range.upperBound, scale: .linear)
    var widest = 0.0
    canvas.stroke()
    canvas.setFont(size: theme.tickLabelSize)
    for tick in ticks {
      guard let fraction = axis.fraction(tick.value), fraction >= -1e-9, fraction <= 1 + 1e-9 else { continue }
      let y = bar.maxY - fraction * bar.height
      canvas.strokeLine(
        from: Point(bar.maxX, y), to: Point(bar.maxX + 2, y), color: theme.axisColor, width: theme.axisLineWidth * 0.7)
      canvas.setColor(theme.textColor)
      canvas.drawText(
        tick.label, at: Point(bar.maxX + 4.5, y), horizontal: .left, vertical: .center, size: theme.tickLabelSize)
      widest = max(widest, canvas.textWidth(tick.label))
    }
    if let label = heatmap.colorbarLabel, !label.isEmpty {
      canvas.setFont(size: theme.labelSize)
      canvas.setColor(theme.textColor)
      canvas.drawText(
        label, at: Point(bar.maxX + 4.5 + widest + 3.5, bar.midY), horizontal: .center, vertical: .top,
        rotation: -Double.pi / 2, size: theme.labelSize)
    }
  }
}
