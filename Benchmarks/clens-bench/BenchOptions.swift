/// The `--name value` pairs after a benchmark's area, with defaults for the missing ones.
struct BenchOptions {
  private var values: [String: String] = [:]

  init(_ arguments: [String]) {
    var k = 0
    while k + 1 < arguments.count {
      values[String(arguments[k].drop { $0 == "-" })] = arguments[k + 1]
      k += 2
    }
  }

  subscript(name: String) -> String? { values[name] }
  subscript(name: String, default value: String) -> String { values[name] ?? value }
  subscript(name: String, default value: Int) -> Int { values[name].flatMap { Int($0) } ?? value }
}
