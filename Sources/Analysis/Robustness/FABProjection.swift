/// The exact projections of FAB (Croce & Hein 2020): the smallest perturbation `d`, in
/// l-inf or l2, that moves point `t` onto the hyperplane w·x = b while keeping t + d in
/// the box [0, 1]ⁿ (or as close to the hyperplane as the box allows). A port of
/// fra31/auto-attack's `projection_linf` / `projection_l2` for one point, computed in
/// `Double` (PyTorch accumulates the cumulative sums of its float32 version in double).
enum FABProjection {
  /// The l-inf projection of `t` onto {x : w·x = b} ∩ [0, 1]ⁿ.
  static func linf(point t: [Double], w wIn: [Double], b bIn: Double) -> [Double] {
    let n = t.count
    var w = wIn
    var b = bIn
    if dot(w, t) - b < 0 {
      for j in 0..<n { w[j] = -w[j] }
      b = -b
    }
    // a_j: the box face the coordinate moves towards (1 when w_j < 0, else 0).
    let a = w.map { $0 < 0 ? 1.0 : 0.0 }
    var d = (0..<n).map { w[$0] != 0 ? a[$0] - t[$0] : 0 }
    let p = (0..<n).map { a[$0] - t[$0] * (2 * a[$0] - 1) }
    let ascending = (0..<n).sorted { p[$0] < p[$1] }
    let descending = Array(ascending.reversed())
    let offset = b - dot(w, t)
    let b0 = dot(w, d)
    var s = [Double](repeating: 0, count: n)
    var sb = [Double](repeating: 0, count: n)
    var runningS = 0.0
    var runningB = b0
    for k in 0..<n {
      let j = descending[k]
      runningS += abs(w[j])
      runningB += -w[j] * d[j]
      s[k] = runningS
      sb[k] = runningB
    }
    let b2 = sb[n - 1] - s[n - 1] * p[ascending[0]]
    let outside = offset - b2 > 0
    let bisect = offset - b0 > 0 && !outside
    if outside {
      let lambda = max((offset - sb[n - 1]) / -s[n - 1], 0)
      for j in 0..<n { d[j] = (2 * a[j] - 1) * lambda }
    } else if bisect {
      var lower = 0.0
      var upper = Double(n - 1)
      for _ in 0..<iterations(n) {
        let middle = ((lower + upper) / 2).rounded(.down)
        let k = Int(middle)
        let value = sb[k] - s[k] * p[descending[k]]
        if offset - value > 0 { lower = middle } else { upper = middle }
      }
      let k = Int(lower)
      let lambda = max((offset - sb[k]) / -s[k], 0)
      for j in 0..<n { d[j] = a[j] == 1 ? min(lambda, d[j]) : max(-lambda, d[j]) }
    }
    for j in 0..<n where w[j] == 0 { d[j] = 0 }
    return d
  }

  /// The l2 projection of `t` onto {x : w·x = b} ∩ [0, 1]ⁿ.
  static func l2(point t: [Double], w wIn: [Double], b: Double) -> [Double] {
    let n = t.count
    let huge = 1e12
    var w = wIn
    var c = dot(w, t) - b
    if c < 0 {
      for j in 0..<n { w[j] = -w[j] }
      c = -c
    }
    let active = w.map { abs($0) > 1e-8 }
    // r_j: the step along −w at which coordinate j reaches its box face.
    let r = (0..<n).map { j -> Double in
      if abs(w[j]) < 1e-8 { return huge }
      let value = min(max(max(t[j] / w[j], (t[j] - 1) / w[j]), -huge), huge)
      return value == -huge ? huge : value
    }
    let order = (0..<n).sorted { r[$0] < r[$1] }
    var rs = order.map { r[$0] }
    var rs2 = Array(rs.dropFirst()) + [0]
    for k in 0..<n {
      if rs[k] == huge { rs[k] = 0 }
      if rs2[k] == huge { rs2[k] = 0 }
    }
    let w3s = order.map { w[$0] * w[$0] }
    let w5 = w3s.reduce(0, +)
    var ws = [Double](repeating: 0, count: n)
    var running = 0.0
    for k in 0..<n {
      running += w3s[k]
      ws[k] = w5 - running
    }
    var d = (0..<n).map { active[$0] ? -(r[$0] * w[$0]) : 0 }
    var s = [Double](repeating: 0, count: n + 1)
    s[0] = -w5 * rs[0]
    var sum = 0.0
    for k in 0..<n {
      sum += (-rs2[k] + rs[k]) * ws[k]
      s[k + 1] = sum - w5 * rs[0]
    }
    let beyond = s[0] + c < 0
    let inside = dot(d, w) + c > 0
    if beyond {
      let alpha = c / w5
      for j in 0..<n { d[j] = -alpha * w[j] }
    } else if !inside {
      var lower = 0.0
      var upper = Double(n - 1)
      for _ in 0..<iterations(n) {
        let middle = ((lower + upper) / 2).rounded(.down)
        if s[Int(middle)] + c > 0 { lower = middle } else { upper = middle }
      }
      let k = Int(lower)
      let alpha = ws[k] == 0 ? 0 : (s[k] + c) / ws[k] + rs[k]
      for j in 0..<n where !(alpha > r[j]) { d[j] = -alpha * w[j] }
    }
    for j in 0..<n where !active[j] { d[j] = 0 }
    return d
  }

  /// ⌈log₂ n⌉, the bisection's iterations.
  private static func iterations(_ n: Int) -> Int {
    var count = 0
    while (1 << count) < n { count += 1 }
    return count
  }

  private static func dot(_ x: [Double], _ y: [Double]) -> Double {
    var sum = 0.0
    for j in x.indices { sum += x[j] * y[j] }
    return sum
  }
}
