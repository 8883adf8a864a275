extension ResNetConfiguration {
  /// An estimate, in bytes, of the activation memory of one pass of `batch` images of
  /// `height` x `width` through this ResNet: for `training` (and for attacks, which
  /// also go backward) every convolution's and BatchNorm's output is kept for the
  /// backward pass, plus gradients as large as the largest layer; for inference only the
  /// largest layer's input, output and im2col columns are alive at once. Weights are
  /// not counted. It sizes input before it is run, so a 8192x8192 image is refused up
  /// front instead of exhausting memory half-way (`MemoryBudget`).
  public func activationBytes(batch: Int, height: Int, width imageWidth: Int, training: Bool) -> Int {
    var kept = 0.0
    var largest = 0.0
    var largestColumns = 0.0
    // A convolution to `channels` at `area` pixels, followed by its BatchNorm (+ ReLU).
    func convolution(from inputChannels: Int, to channels: Int, kernel: Int, area: Double) {
      let output = Double(channels) * area
      kept += 2 * output
      largest = max(largest, output + Double(inputChannels) * area * 4)
      largestColumns = max(largestColumns, Double(inputChannels * kernel * kernel) * area)
    }
    var h = Double(height)
    var w = Double(imageWidth)
    if stem == .imagenet {
      h = (h / 2).rounded(.up)
      w = (w / 2).rounded(.up)
    }
    convolution(from: inChannels, to: width, kernel: stem == .imagenet ? 7 : 3, area: h * w)
    if stem == .imagenet {
      h = (h / 2).rounded(.up)
      w = (w / 2).rounded(.up)
      kept += Double(width) * h * w
    }
    var inPlanes = width
    for (index, count) in depth.blocks.enumerated() {
      let planes = width << index
      for block in 0..<count {
        let inputArea = h * w
        if index > 0 && block == 0 {
          h = (h / 2).rounded(.up)
          w = (w / 2).rounded(.up)
        }
        let area = h * w
        let outPlanes = planes * depth.expansion
        if depth.usesBottleneck {
          convolution(from: inPlanes, to: planes, kernel: 1, area: inputArea)
          convolution(from: planes, to: planes, kernel: 3, area: area)
          convolution(from: planes, to: outPlanes, kernel: 1, area: area)
        } else {
          convolution(from: inPlanes, to: planes, kernel: 3, area: area)
          convolution(from: planes, to: planes, kernel: 3, area: area)
        }
        if inPlanes != outPlanes || area != inputArea {
          convolution(from: inPlanes, to: outPlanes, kernel: 1, area: area)
        }
        inPlanes = outPlanes
      }
    }
    let perImage = training ? kept + 2 * largest + largestColumns : largest + largestColumns
    let bytes = perImage * Double(batch) * Double(MemoryLayout<Float>.size)
    return bytes < Double(Int.max) ? Int(bytes) : Int.max
  }
}
