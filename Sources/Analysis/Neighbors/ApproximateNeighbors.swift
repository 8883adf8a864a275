import CBLAS
import Engine

/// Approximate k-nearest-neighbour search for large N: a forest of random-projection
/// trees (as Annoy and PyNNDescent start) whose leaves are searched exhaustively, then
/// rounds of nearest-neighbour descent (Dong et al. 2011) that test the neighbours of
/// neighbours.
///
/// Deterministic for a seed and independent of the thread count: each tree draws from
/// its own random stream, leaves of one tree are disjoint (so they update disjoint
/// heaps in parallel), and a descent round reads the previous graph and writes a new one,
/// each point only its own row. Winners are re-measured in Double as in `ExactNeighbors`.
public enum ApproximateNeighbors {
  /// Tuning of the index; the defaults reach a recall of 0.997 at k = 90 on
  /// Fashion-MNIST (PCA-50, 10,000 and 70,000 points), measured in `Benchmarks/clens-bench/TSNEBench.swift`.
  public struct Settings: Sendable {
    /// Random-projection trees.
    public var trees = 6
    /// Largest leaf, as a multiple of k (at least 32 points).
    public var leafFactor = 1.5
    /// Neighbours (and reverse neighbours) of a point whose lists a descent round reads.
    public var sample = 30
    /// Most descent rounds; a round that changes fewer than 0.1% of the entries ends it.
    public var rounds = 8

    /// The default tuning.
    public init() {}
  }

  /// The approximate k nearest other rows of every row.
  public static func search(
    _ data: FeatureMatrix, k: Int, seed: UInt64, settings: Settings = Settings(),
    threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> NeighborGraph {
    precondition(k >= 1 && k < data.rows, "ApproximateNeighbors: need 1 <= k < N")
    // Work on the rows in the leaf order of one extra tree, so that neighbours, and the
    // neighbours of neighbours the descent reads, sit close together in memory.
    var rng = RandomGenerator(seed: seed).stream(UInt64.max)
    let centred = ExactNeighbors.centred(data, ExactNeighbors.columnMeans(data))
    let (order, _) = buildTree(centred, n: data.rows, d: data.columns, leafSize: 64, rng: &rng)
    let permutation = order.map(Int.init)
    let local = withSingleThreadedBLAS {
      build(
        data.selecting(rows: permutation), k: k, seed: seed, settings: settings, threads: threads,
        progress: progress)
    }
    var position = [Int](repeating: 0, count: data.rows)
    for (p, i) in permutation.enumerated() { position[i] = p }
    var indices = [Int32](repeating: 0, count: data.rows * k)
    var distances = [Float](repeating: 0, count: data.rows * k)
    for i in 0..<data.rows {
      let row = position[i]
      for e in 0..<k {
        indices[i * k + e] = Int32(permutation[Int(local.indices[row * k + e])])
        distances[i * k + e] = local.squaredDistances[row * k + e]
      }
    }
    // Ties were broken by permuted index; order them by original index.
    for i in 0..<data.rows {
      var e = 0
      while e < k {
        var f = e + 1
        while f < k && distances[i * k + f] == distances[i * k + e] { f += 1 }
        if f - e > 1 { indices[i * k + e..<i * k + f].sort() }
        e = f
      }
    }
    return NeighborGraph(count: data.rows, k: k, indices: indices, squaredDistances: distances)
  }

  private static func build(
    _ data: FeatureMatrix, k: Int, seed: UInt64, settings: Settings, threads: ThreadCount,
    progress: (@Sendable (Int, Int) -> Void)?
  ) -> NeighborGraph {
    let n = data.rows
    let d = data.columns
    let mean = ExactNeighbors.columnMeans(data)
    let x = ExactNeighbors.centred(data, mean)
    let norms = ExactNeighbors.squaredNorms(x, d)
    let leafSize = max(32, Int(settings.leafFactor * Double(k)), k + 1)
    var heapDist = [Double](repeating: .infinity, count: n * k)
    var heapIdx = [Int32](repeating: -1, count: n * k)
    var heapCount = [Int32](repeating: 0, count: n)
    let steps = settings.trees + settings.rounds
    let counter = ProgressCounter(total: steps, progress)
    let root = RandomGenerator(seed: seed)
    // Trees are built in parallel; their leaves are then joined tree by tree.
    var forest = [[Int32]](repeating: [], count: settings.trees)
    var leafBounds = [[Int]](repeating: [], count: settings.trees)
    forest.withUnsafeMutableBufferPointer { fb in
      leafBounds.withUnsafeMutableBufferPointer { lb in
        let trees = SendablePointer(fb.baseAddress!)
        let bounds = SendablePointer(lb.baseAddress!)
        parallelFor(chunks: settings.trees, threads: threads) { t in
          var rng = root.stream(UInt64(t))
          let (order, leaves) = buildTree(x, n: n, d: d, leafSize: leafSize, rng: &rng)
          trees[t] = order
          bounds[t] = leaves
        }
      }
    }
    for t in 0..<settings.trees {
      let order = forest[t]
      let leaves = leafBounds[t]
      heapDist.withUnsafeMutableBufferPointer { hd in
        heapIdx.withUnsafeMutableBufferPointer { hi in
          heapCount.withUnsafeMutableBufferPointer { hc in
            let dist = SendablePointer(hd.baseAddress!)
            let idx = SendablePointer(hi.baseAddress!)
            let cnt = SendablePointer(hc.baseAddress!)
            parallelFor(chunks: leaves.count - 1, threads: threads) { leaf in
              joinLeaf(
                Array(order[leaves[leaf]..<leaves[leaf + 1]]), x: x, norms: norms, d: d, k: k,
                dist: dist.base, idx: idx.base, count: cnt.base)
            }
          }
        }
      }
      counter.advance()
    }
    // Nearest-neighbour descent.
    let sample = min(settings.sample, k)
    var previous = [Int32](repeating: -1, count: n * sample)
    for _ in 0..<settings.rounds {
      let nearest = nearestSnapshot(heapDist, heapIdx, heapCount, n: n, k: k, sample: sample)
      // An entry is fresh when it was not among the point's nearest last round; a pair
      // reached only through entries that are not fresh was compared before.
      var freshness = [Bool](repeating: false, count: n * sample)
      for i in 0..<n {
        let old = previous[i * sample..<(i + 1) * sample]
        for e in 0..<sample where nearest[i * sample + e] >= 0 {
          freshness[i * sample + e] = !old.contains(nearest[i * sample + e])
        }
      }
      let fresh = freshness
      previous = nearest
      let (reverseStart, reverse, reverseFresh) = reverseLists(nearest, fresh: fresh, n: n, sample: sample)
      var newDist = heapDist
      var newIdx = heapIdx
      var newCount = heapCount
      let chunks = min(n, 64)
      var changedParts = [Int](repeating: 0, count: chunks)
      newDist.withUnsafeMutableBufferPointer { nd in
        newIdx.withUnsafeMutableBufferPointer { ni in
          newCount.withUnsafeMutableBufferPointer { nc in
            changedParts.withUnsafeMutableBufferPointer { cp in
              let dist = SendablePointer(nd.baseAddress!)
              let idx = SendablePointer(ni.baseAddress!)
              let cnt = SendablePointer(nc.baseAddress!)
              let changed = SendablePointer(cp.baseAddress!)
              parallelFor(chunks: chunks, threads: threads) { chunk in
                let stamp = UnsafeMutablePointer<Int32>.allocate(capacity: n)
                stamp.initialize(repeating: -1, count: n)
                defer { stamp.deallocate() }
                var changes = 0
                x.withUnsafeBufferPointer { xp in
                  nearest.withUnsafeBufferPointer { near in
                    reverse.withUnsafeBufferPointer { rev in
                      norms.withUnsafeBufferPointer { nb in
                        let lists = CandidateLists(
                          nearest: near.baseAddress!, fresh: fresh, sample: sample,
                          reverseStart: reverseStart, reverse: rev.baseAddress!,
                          reverseFresh: reverseFresh)
                        for i in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
                          var heap = NeighborHeap(
                            k: k, distances: dist.base + i * k, indices: idx.base + i * k,
                            count: Int(cnt[i]))
                          changes += descend(
                            i, heap: &heap, lists: lists, stamp: stamp, x: xp.baseAddress!,
                            norms: nb.baseAddress!, d: d)
                          cnt[i] = Int32(heap.count)
                        }
                      }
                    }
                  }
                }
                changed[chunk] = changes
              }
            }
          }
        }
      }
      heapDist = newDist
      heapIdx = newIdx
      heapCount = newCount
      counter.advance()
      if changedParts.reduce(0, +) * 1000 < n * k { break }
    }
    // Re-measure exactly, order, and fill any row the forest left short (tiny inputs).
    var indices = [Int32](repeating: 0, count: n * k)
    var distances = [Float](repeating: 0, count: n * k)
    x.withUnsafeBufferPointer { xp in
      heapDist.withUnsafeMutableBufferPointer { hd in
        heapIdx.withUnsafeMutableBufferPointer { hi in
          for i in 0..<n {
            var heap = NeighborHeap(
              k: k, distances: hd.baseAddress! + i * k, indices: hi.baseAddress! + i * k,
              count: Int(heapCount[i]))
            var j = 0
            while heap.count < k {
              if j != i && !heap.contains(Int32(j)) { heap.offer(0, Int32(j)) }
              j += 1
            }
            for e in 0..<k {
              hd[i * k + e] = ExactNeighbors.exactSquaredDistance(
                xp.baseAddress! + i * d, xp.baseAddress! + Int(hi[i * k + e]) * d, d)
            }
            heap.sortAscending()
            for e in 0..<k {
              indices[i * k + e] = hi[i * k + e]
              distances[i * k + e] = Float(hd[i * k + e])
            }
          }
        }
      }
    }
    return NeighborGraph(count: n, k: k, indices: indices, squaredDistances: distances)
  }

  /// The lists a descent round reads: each point's `sample` nearest (−1 padded) and the
  /// points that list it among theirs.
  struct CandidateLists {
    let nearest: UnsafePointer<Int32>
    let fresh: [Bool]
    let sample: Int
    let reverseStart: [Int]
    let reverse: UnsafePointer<Int32>
    let reverseFresh: [Bool]
  }

  /// Offers point i the neighbours and reverse neighbours of its neighbours and reverse
  /// neighbours (each candidate once, marked in `stamp`), skipping those reached only
  /// through entries that are not fresh; returns how many were kept.
  static func descend(
    _ i: Int, heap: inout NeighborHeap, lists: CandidateLists, stamp: UnsafeMutablePointer<Int32>,
    x: UnsafePointer<Float>, norms: UnsafePointer<Float>, d: Int
  ) -> Int {
    let mark = Int32(i)
    let k = heap.k
    for e in 0..<heap.count { stamp[Int(heap.index(at: e))] = mark }
    stamp[i] = mark
    var changes = 0
    let xi = x + i * d
    let ni = norms[i]
    @inline(__always)
    func visit(_ c: Int32) {
      let j = Int(c)
      if j < 0 || stamp[j] == mark { return }
      stamp[j] = mark
      let dd = Double(ni + norms[j] - 2 * Distances.dot(xi, x + j * d, d))
      if heap.count < k || dd < heap.threshold {
        heap.offer(dd, c)
        changes += 1
      }
    }
    let s = lists.sample
    var hubs = [(Int32, Bool)]()
    hubs.reserveCapacity(2 * s)
    for e in 0..<s where lists.nearest[i * s + e] >= 0 {
      hubs.append((lists.nearest[i * s + e], lists.fresh[i * s + e]))
    }
    for e in lists.reverseStart[i]..<lists.reverseStart[i + 1] {
      hubs.append((lists.reverse[e], lists.reverseFresh[e]))
    }
    for (hub, hubFresh) in hubs {
      let h = Int(hub)
      visit(hub)
      for e in 0..<s where hubFresh || lists.fresh[h * s + e] { visit(lists.nearest[h * s + e]) }
      for e in lists.reverseStart[h]..<lists.reverseStart[h + 1] where hubFresh || lists.reverseFresh[e] {
        visit(lists.reverse[e])
      }
    }
    return changes
  }

  /// The `sample` nearest entries of every heap, nearest first (−1 where a heap is short).
  static func nearestSnapshot(
    _ dist: [Double], _ idx: [Int32], _ count: [Int32], n: Int, k: Int, sample: Int
  ) -> [Int32] {
    var out = [Int32](repeating: -1, count: n * sample)
    var rowDist = dist
    var rowIdx = idx
    rowDist.withUnsafeMutableBufferPointer { rd in
      rowIdx.withUnsafeMutableBufferPointer { ri in
        for i in 0..<n {
          let c = Int(count[i])
          var heap = NeighborHeap(
            k: k, distances: rd.baseAddress! + i * k, indices: ri.baseAddress! + i * k, count: c)
          heap.sortAscending()
          for e in 0..<min(sample, c) { out[i * sample + e] = ri[i * k + e] }
        }
      }
    }
    return out
  }

  /// One random-projection tree: the points in leaf order and the leaf boundaries.
  static func buildTree(_ x: [Float], n: Int, d: Int, leafSize: Int, rng: inout RandomGenerator)
    -> ([Int32], [Int])
  {
    var order = (0..<n).map { Int32($0) }
    var leaves = [0]
    var scratch = [Int32](repeating: 0, count: n)
    var side = [Bool](repeating: false, count: n)
    var stack = [(0, n)]
    var normal = [Float](repeating: 0, count: d)
    x.withUnsafeBufferPointer { xp in
      while let (s, e) = stack.popLast() {
        if e - s <= leafSize {
          leaves.append(e)
          continue
        }
        let a = Int(order[s + rng.int(below: e - s)])
        var b = Int(order[s + rng.int(below: e - s)])
        var tries = 0
        while b == a && tries < 8 {
          b = Int(order[s + rng.int(below: e - s)])
          tries += 1
        }
        var offset: Float = 0
        for j in 0..<d {
          normal[j] = xp[a * d + j] - xp[b * d + j]
          offset += normal[j] * (xp[a * d + j] + xp[b * d + j]) / 2
        }
        var left = 0
        normal.withUnsafeBufferPointer { np in
          for t in s..<e {
            let p = Int(order[t])
            side[t] = Distances.dot(np.baseAddress!, xp.baseAddress! + p * d, d) <= offset
            if side[t] { left += 1 }
          }
        }
        if left == 0 || left == e - s {
          // Degenerate split (duplicates): halve at random.
          left = (e - s) / 2
          for t in s..<e { side[t] = rng.bernoulli(0.5) }
          left = side[s..<e].filter { $0 }.count
          if left == 0 || left == e - s {
            for t in s..<e { side[t] = t - s < (e - s) / 2 }
            left = (e - s) / 2
          }
        }
        var l = s
        var r = s + left
        for t in s..<e {
          if side[t] {
            scratch[l] = order[t]
            l += 1
          } else {
            scratch[r] = order[t]
            r += 1
          }
        }
        for t in s..<e { order[t] = scratch[t] }
        stack.append((s + left, e))
        stack.append((s, s + left))
      }
    }
    return (order, leaves)
  }

  /// Offers every pair of a leaf to both points' heaps (distances from one sgemm).
  static func joinLeaf(
    _ members: [Int32], x: [Float], norms: [Float], d: Int, k: Int,
    dist: UnsafeMutablePointer<Double>, idx: UnsafeMutablePointer<Int32>,
    count: UnsafeMutablePointer<Int32>
  ) {
    let s = members.count
    var block = [Float](repeating: 0, count: s * d)
    for (r, m) in members.enumerated() {
      for j in 0..<d { block[r * d + j] = x[Int(m) * d + j] }
    }
    var gram = [Float](repeating: 0, count: s * s)
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(s), Int32(s), Int32(d), 1, block, Int32(d),
      block, Int32(d), 0, &gram, Int32(s))
    for a in 0..<s {
      let i = Int(members[a])
      var heap = NeighborHeap(
        k: k, distances: dist + i * k, indices: idx + i * k, count: Int(count[i]))
      for b in 0..<s where b != a {
        let j = members[b]
        let dd = Double(norms[i] + norms[Int(j)] - 2 * gram[a * s + b])
        if (dd < heap.threshold || heap.count < k) && !heap.contains(j) { heap.offer(dd, j) }
      }
      count[i] = Int32(heap.count)
    }
  }

  /// For every point, up to `sample` points that list it among their `sample` nearest
  /// (in increasing index order), with the freshness of those entries.
  static func reverseLists(_ nearest: [Int32], fresh: [Bool], n: Int, sample: Int) -> ([Int], [Int32], [Bool]) {
    var full = [Int](repeating: 0, count: n + 1)
    for c in nearest where c >= 0 { full[Int(c) + 1] += 1 }
    for i in 0..<n { full[i + 1] += full[i] }
    var fill = full
    var all = [Int32](repeating: 0, count: full[n])
    var allFresh = [Bool](repeating: false, count: full[n])
    for i in 0..<n {
      for e in 0..<sample where nearest[i * sample + e] >= 0 {
        let t = Int(nearest[i * sample + e])
        all[fill[t]] = Int32(i)
        allFresh[fill[t]] = fresh[i * sample + e]
        fill[t] += 1
      }
    }
    var capped = [Int](repeating: 0, count: n + 1)
    var out = [Int32]()
    var outFresh = [Bool]()
    for i in 0..<n {
      let s = full[i]
      let e = min(full[i + 1], s + sample)
      out += all[s..<e]
      outFresh += allFresh[s..<e]
      capped[i + 1] = out.count
    }
    return (capped, out, outFresh)
  }
}
