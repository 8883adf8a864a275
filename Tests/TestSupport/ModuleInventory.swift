import Engine

/// The parameters, buffers and sub-modules a module holds in its stored properties
/// (found by reflection, inside optionals and arrays too) that its `ownParameters`,
/// `ownBuffers` or `children` do not list, for it and every descendant: such state would
/// be silently left out of state dicts, optimizers and checkpoints. Empty when complete.
public func unlistedState(of root: any Module) -> [String] {
  var problems = [String]()
  for (path, module) in root.namedModules() {
    var parameters = [ObjectIdentifier]()
    var buffers = [ObjectIdentifier]()
    var modules = [ObjectIdentifier]()
    func collect(_ value: Any) {
      if let parameter = value as? Parameter {
        parameters.append(ObjectIdentifier(parameter))
      } else if let buffer = value as? Buffer {
        buffers.append(ObjectIdentifier(buffer))
      } else if let child = value as? any Module {
        modules.append(ObjectIdentifier(child))
      } else {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional || mirror.displayStyle == .collection {
          for child in mirror.children { collect(child.value) }
        }
      }
    }
    var mirror: Mirror? = Mirror(reflecting: module)
    while let current = mirror {
      for child in current.children { collect(child.value) }
      mirror = current.superclassMirror
    }
    let name = path.isEmpty ? String(describing: type(of: module)) : path
    let listedParameters = Set(module.ownParameters.map { ObjectIdentifier($0.parameter) })
    let listedBuffers = Set(module.ownBuffers.map { ObjectIdentifier($0.buffer) })
    let listedChildren = Set(module.children.map { ObjectIdentifier($0.module) })
    if !Set(parameters).isSubset(of: listedParameters) { problems.append("\(name): a parameter is not in ownParameters") }
    if !Set(buffers).isSubset(of: listedBuffers) { problems.append("\(name): a buffer is not in ownBuffers") }
    if !Set(modules).isSubset(of: listedChildren) { problems.append("\(name): a sub-module is not in children") }
  }
  return problems
}
