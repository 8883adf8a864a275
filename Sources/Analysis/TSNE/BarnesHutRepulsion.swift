import Engine

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A quadtree over 2-D points for Barnes–Hut sums: every node stores its centre of mass,
/// the number of points below it and its side length; a leaf holds one point, or
/// several that coincide exactly.
struct QuadTree {
  var comX = [Double]()
  var comY = [Double]()
  var count = [Int32]()
  var side = [Double]()
  /// Index of the first of four consecutive children; −1 for a leaf.
  var firstChild = [Int32]()
  /// The node's points are `order[start ..< end]`.
  var start = [Int32]()
  var end = [Int32]()
  /// Point indices in tree (depth-first, quadrant) order.
  var order: [Int32]
  /// Position of each point in `order`.
  var position: [Int32]
  /// The leaf holding each point.
  var leafOf: [Int32]

  private static let maxDepth = 64

  /// Builds the tree over `y` = [x0, y0, x1, y1, ...] (all finite).
  init(_ y: UnsafeBufferPointer<Double>) {
    let n = y.count / 2
    order = (0..<n).map { Int32($0) }
    position = [Int32](repeating: 0, count: n)
    leafOf = [Int32](repeating: 0, count: n)
    let (minX, maxX, minY, maxY) = boundingBox(y)
    let half = max(maxX - minX, maxY - minY) / 2 * (1 + 1e-9) + 1e-300
    appendNode(start: 0, end: n, side: 2 * half)
    var scratch = [Int32](repeating: 0, count: n)
    // (node, centre x, centre y, half side, depth)
    var stack: [(Int, Double, Double, Double, Int)] = [
      (0, (minX + maxX) / 2, (minY + maxY) / 2, half, 0)
    ]
    while let (node, cx, cy, h, depth) = stack.popLast() {
      let s = Int(start[node])
      let e = Int(end[node])
      var sx = 0.0
      var sy = 0.0
      var x0 = Double.infinity
      var x1 = -Double.infinity
      var y0 = Double.infinity
      var y1 = -Double.infinity
      for t in s..<e {
        let p = Int(order[t])
        let px = y[2 * p]
        let py = y[2 * p + 1]
        sx += px
        sy += py
        x0 = min(x0, px)
        x1 = max(x1, px)
        y0 = min(y0, py)
        y1 = max(y1, py)
      }
      comX[node] = sx / Double(e - s)
      comY[node] = sy / Double(e - s)
      if e - s == 1 || (x0 == x1 && y0 == y1) || depth >= QuadTree.maxDepth {
        for t in s..<e { leafOf[Int(order[t])] = Int32(node) }
        continue
      }
      // Stable partition into quadrants 0..3 (bit 0: x ≥ cx, bit 1: y ≥ cy).
      var counts = [0, 0, 0, 0]
      for t in s..<e {
        let p = Int(order[t])
        counts[(y[2 * p] >= cx ? 1 : 0) + (y[2 * p + 1] >= cy ? 2 : 0)] += 1
      }
      var offsets = [
        s, s + counts[0], s + counts[0] + counts[1], s + counts[0] + counts[1] + counts[2],
      ]
      let bounds = offsets
      for t in s..<e {
        let p = Int(order[t])
        let q = (y[2 * p] >= cx ? 1 : 0) + (y[2 * p + 1] >= cy ? 2 : 0)
        scratch[offsets[q]] = order[t]
        offsets[q] += 1
      }
      for t in s..<e { order[t] = scratch[t] }
      let first = comX.count
      firstChild[node] = Int32(first)
      for q in 0..<4 {
        appendNode(start: bounds[q], end: bounds[q] + counts[q], side: h)
      }
      for q in (0..<4).reversed() where counts[q] > 0 {
        let qx = cx + (q & 1 == 1 ? h / 2 : -h / 2)
        let qy = cy + (q & 2 == 2 ? h / 2 : -h / 2)
        stack.append((first + q, qx, qy, h / 2, depth + 1))
      }
    }
    for (t, p) in order.enumerated() { position[Int(p)] = Int32(t) }
  }

  private mutating func appendNode(start s: Int, end e: Int, side: Double) {
    comX.append(0)
    comY.append(0)
    count.append(Int32(e - s))
    self.side.append(side)
    firstChild.append(-1)
    start.append(Int32(s))
    end.append(Int32(e))
  }
}

/// Barnes–Hut repulsion (van der Maaten 2014): a cell whose side over its distance to the
/// point is below θ counts as one body at its centre of mass. The side is the full cell
/// side (openTSNE's and scikit-learn's convention), and a cell that holds the point itself
/// is never summarised, so θ = 0 gives the exact sum.
struct BarnesHutRepulsion: Repulsion {
  let theta: Double
  let dof: Double
  let threads: ThreadCount

  mutating func forces(
    _ y: UnsafeBufferPointer<Double>, into forces: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    let tree = QuadTree(y)
    let n = y.count / 2
    let theta2 = theta * theta
    let dof = self.dof
    let ys = SendablePointer(UnsafeMutablePointer(mutating: y.baseAddress!))
    let out = SendablePointer(forces.baseAddress!)
    return chunkedSum(count: n, threads: threads) { points in
      var stack = [Int32]()
      stack.reserveCapacity(256)
      var zChunk = 0.0
      for t in points {
        let i = Int(tree.order[t])
        let xi = ys[2 * i]
        let yi = ys[2 * i + 1]
        let own = tree.leafOf[i]
        let pos = tree.position[i]
        var fx = 0.0
        var fy = 0.0
        var z = 0.0
        stack.append(0)
        while let node32 = stack.popLast() {
          let node = Int(node32)
          let dx = xi - tree.comX[node]
          let dy = yi - tree.comY[node]
          let d2 = dx * dx + dy * dy
          let child = tree.firstChild[node]
          let isLeaf = child < 0
          let holdsPoint = tree.start[node] <= pos && pos < tree.end[node]
          if isLeaf || (!holdsPoint && tree.side[node] * tree.side[node] < theta2 * d2) {
            var mass = Double(tree.count[node])
            if node32 == own { mass -= 1 }
            if mass == 0 { continue }
            let w: Double
            let wq: Double
            if dof == 1 {
              w = 1 / (1 + d2)
              wq = w * w
            } else {
              let base = 1 + d2 / dof
              w = pow(base, -dof)
              wq = w / base
            }
            z += mass * w
            fx += mass * wq * dx
            fy += mass * wq * dy
          } else {
            for q in stride(from: 3, through: 0, by: -1) where tree.count[Int(child) + q] > 0 {
              stack.append(child + Int32(q))
            }
          }
        }
        out[2 * i] = fx
        out[2 * i + 1] = fy
        zChunk += z
      }
      return zChunk
    }
  }
}
