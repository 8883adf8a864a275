/// A bounded max-heap of (distance, index) pairs that keeps the k smallest, ordered by
/// distance and then index, so the kept set does not depend on the order of offers.
struct NeighborHeap {
  let k: Int
  private(set) var count = 0
  private let distances: UnsafeMutablePointer<Double>
  private let indices: UnsafeMutablePointer<Int32>

  /// Uses caller-owned storage of `k` elements each, whose first `count` elements
  /// already form a heap (any order is a heap when it is descending).
  init(
    k: Int, distances: UnsafeMutablePointer<Double>, indices: UnsafeMutablePointer<Int32>,
    count: Int = 0
  ) {
    self.k = k
    self.distances = distances
    self.indices = indices
    self.count = count
  }

  /// The distance a new candidate must beat (infinity until the heap is full).
  var threshold: Double { count < k ? .infinity : distances[0] }

  @inline(__always)
  private func greater(_ a: Int, _ b: Int) -> Bool {
    distances[a] > distances[b] || (distances[a] == distances[b] && indices[a] > indices[b])
  }

  /// The index stored at heap position `position` (< count).
  func index(at position: Int) -> Int32 { indices[position] }

  /// True when `index` is already kept (linear scan; k is small).
  func contains(_ index: Int32) -> Bool {
    for i in 0..<count where indices[i] == index { return true }
    return false
  }

  /// Offers a candidate; it is kept when it is among the k smallest so far.
  mutating func offer(_ distance: Double, _ index: Int32) {
    if count < k {
      var i = count
      distances[i] = distance
      indices[i] = index
      count += 1
      while i > 0 {
        let parent = (i - 1) / 2
        guard greater(i, parent) else { break }
        swapAt(i, parent)
        i = parent
      }
      return
    }
    guard distance < distances[0] || (distance == distances[0] && index < indices[0]) else {
      return
    }
    distances[0] = distance
    indices[0] = index
    var i = 0
    while true {
      let left = 2 * i + 1
      if left >= k { break }
      var largest = left
      if left + 1 < k && greater(left + 1, left) { largest = left + 1 }
      guard greater(largest, i) else { break }
      swapAt(i, largest)
      i = largest
    }
  }

  private func swapAt(_ a: Int, _ b: Int) {
    let d = distances[a]
    distances[a] = distances[b]
    distances[b] = d
    let j = indices[a]
    indices[a] = indices[b]
    indices[b] = j
  }

  /// Sorts the kept pairs in place, nearest first (ties by index): heapsort, popping
  /// the largest to the back. It heapifies first, so it is also right after distances
  /// were overwritten. The heap is empty (count 0) afterwards; its storage holds the
  /// sorted pairs.
  mutating func sortAscending() {
    for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(start, limit: count) }
    var end = count - 1
    while end > 0 {
      swapAt(0, end)
      siftDown(0, limit: end)
      end -= 1
    }
    count = 0
  }

  private func siftDown(_ start: Int, limit: Int) {
    var i = start
    while true {
      let left = 2 * i + 1
      if left >= limit { break }
      var largest = left
      if left + 1 < limit && greater(left + 1, left) { largest = left + 1 }
      guard greater(largest, i) else { break }
      swapAt(i, largest)
      i = largest
    }
  }
}
